/** Command-line numbers for benchmarks: `--name value`, or the fallback when absent. */

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A positive number (`--seconds 2.5`). */
export function positiveArg(name: string, fallback: number): number {
  const value = argValue(name, fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** A positive integer (`--requests 400`). */
export function positiveIntArg(name: string, fallback: number): number {
  const value = argValue(name, fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}
