/** Output helpers shared by all commands: JSON for machines, colour only on a TTY. */
import pc from 'picocolors';
import { PropflowError } from '../errors.js';

const useColor = process.stderr.isTTY && !process.env['NO_COLOR'];

/** An error as one readable line for people: `error: <message>` (with its MLflow code when it has one). */
export function formatError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof PropflowError && err.code !== 'INTERNAL_ERROR' ? ` [${err.code}]` : '';
  const head = useColor ? pc.red('error:') : 'error:';
  return `${head} ${message}${code}`;
}

/** Print a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
