/** Option parsers and the signal handling the commands share. */
import { InvalidArgumentError } from 'commander';

/** A whole-number option in `[min, max]`; anything else is a one-line usage error naming the option. */
export function intArg(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from ${min} to ${max} (got '${value}').`,
      );
    }
    return n;
  };
}

/** A finite-number option. */
export function numArg(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${name} must be a number (got '${value}').`);
    return n;
  };
}

/** Ctrl-C / SIGTERM: let requests in flight finish, close, and say so (once). */
export function stopOnSignals(service: { close(): Promise<void> }): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: finishing in-flight requests and shutting down…\n`);
    service.close().then(
      () => process.stderr.write('stopped.\n'),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
