/**
 * The conventions every propflow command follows, as helpers (see docs/commands.md,
 * "Writing a command"):
 *
 * - exit codes: `EXIT` (0 success, 2 usage or input error, 3 a check that failed, 1 anything
 *   else), decided in one place (`exitCodeFor`) from the error thrown;
 * - the store: `withStore(flags, { readOnly }, fn)` resolves the tracking URI, prints the one
 *   stderr line `store: <uri>` and closes the store afterwards;
 * - output: `printJson` (snake_case keys, a `store` field), `renderTable` (fits 100 columns),
 *   `formatNumber` (one number format), `out` (a reader that stops early is not an error);
 * - errors: `formatError` for people (stderr), `errorJson` for `--json` (stdout).
 */
import pc from 'picocolors';
import { PropflowError } from '../errors.js';

/** Exit codes of every propflow command. */
export const EXIT = {
  /** The command did what was asked. */
  OK: 0,
  /** Anything else: a bug, an I/O failure, a server that failed. */
  FAILURE: 1,
  /** A usage or input error: a bad flag, a missing file, an unknown model, bad data. */
  USAGE: 2,
  /** A check ran and failed: a gate rejected a run, an evaluation FAILED. */
  CHECK_FAILED: 3,
} as const;

/** The exit-code scheme as printed at the end of every `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  anything else (an I/O failure, a server error, a bug)
  2  usage or input error (bad flag or value, missing file or store, unknown model, bad data)
  3  a check that failed (a gate rejected the run, an evaluation FAILED)

Every command names the tracking store it uses on stderr (store: <uri>); with --json the
result, and any error, is JSON on stdout (errors as {"error_code", "message", "exit_code"}).`;

/** Record that the command's check failed (exit code 3) after it has printed its result. */
export function checkFailed(): void {
  process.exitCode = EXIT.CHECK_FAILED;
}

/** The usage errors commander reports (its error codes); anything from the parser is a usage error. */
function isCommanderError(err: unknown): err is Error & { code: string; exitCode: number } {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as unknown as { code: string }).code.startsWith('commander.')
  );
}

/** The exit code for an error thrown by a command (or by the parser). */
export function exitCodeFor(err: unknown): number {
  if (isCommanderError(err)) {
    // Help or the version asked for (exit code 0 from commander); anything else from the parser is a usage error.
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof PropflowError) return err.status < 500 ? EXIT.USAGE : EXIT.FAILURE;
  return EXIT.FAILURE;
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return isCommanderError(err) ? message.replace(/^error: /, '') : message;
}

const stderrColor = () => Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'];
const stdoutColor = () => Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];

/** An error as one readable line for people: `error: <message>` (with its MLflow code when it has one). */
export function formatError(err: unknown): string {
  const code = err instanceof PropflowError && err.code !== 'INTERNAL_ERROR' ? ` [${err.code}]` : '';
  const head = stderrColor() ? pc.red('error:') : 'error:';
  return `${head} ${messageOf(err)}${code}`;
}

/** An error as `--json` prints it on stdout: MLflow's `{error_code, message}` plus the exit code. */
export function errorJson(err: unknown): { error_code: string; message: string; exit_code: number } {
  let code = 'INTERNAL_ERROR';
  if (err instanceof PropflowError) code = err.code;
  else if (isCommanderError(err)) code = 'INVALID_PARAMETER_VALUE';
  return { error_code: code, message: messageOf(err), exit_code: exitCodeFor(err) };
}

// ── JSON ─────────────────────────────────────────────────────────────────────

/** `runId` → `run_id`, `valMAE` → `val_mae`; keys already in snake_case or with dots are kept. */
export function snakeCase(key: string): string {
  if (!/[A-Z]/.test(key) || /[._\-\s/:]/.test(key)) return key;
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Field names whose values are user data keyed by user names (param, metric, tag and alias
 * maps, the dataset's per-column and per-table maps): copied as they are, keys and all.
 */
const DATA_MAPS = new Set([
  'params',
  'metrics',
  'tags',
  'aliases',
  'null_counts',
  'tables',
  'excluded',
  'checks',
]);

/** Deep copy of `value` with every object key in snake_case, except inside user-data maps. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const outObj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = snakeCase(k);
    outObj[key] =
      DATA_MAPS.has(key) && v !== null && typeof v === 'object' && !Array.isArray(v) ? v : snakeKeys(v);
  }
  return outObj;
}

/**
 * Print a command's result as pretty JSON on stdout, keys in snake_case. With `store`, the
 * result carries a `store` field first (an array result is given under `items`: pass an
 * object such as `{ models }` to name it).
 */
export function printJson(value: unknown, options: { store?: string } = {}): void {
  let body = snakeKeys(value);
  if (options.store !== undefined) {
    body =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? { store: options.store, ...(body as Record<string, unknown>) }
        : { store: options.store, items: body };
  }
  out(JSON.stringify(body, null, 2));
}

// ── text output ──────────────────────────────────────────────────────────────

let pipeGuard = false;

/** A reader that stops early (`propflow … | head -1`) is not an error: stdout's EPIPE is ignored. */
export function guardStdoutPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** Print a line on stdout; a reader that stops early (`| head -1`) is not an error. */
export function out(text = ''): void {
  guardStdoutPipe();
  process.stdout.write(`${text}\n`);
}

/**
 * The one way numbers are shown: integers as they are (thousands not grouped, so they can
 * be pasted back), other numbers with 4 decimals at most (trailing zeros dropped), very
 * small or very large ones in exponent form; NaN/±Infinity as `NaN`, `inf`, `-inf`.
 */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) return x.toExponential(3);
  return String(Number(x.toFixed(4)));
}

export type Cell = string | number | boolean | null | undefined;

/** Cut `text` into lines of at most `width` characters, at spaces where it can, inside long words otherwise. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (let word of para.split(' ')) {
      while (word.length > width) {
        if (line) {
          lines.push(line);
          line = '';
        }
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Column widths that fit `maxWidth` (with a 2-space gap): the widest columns give way first. */
function fitWidths(natural: number[], heads: number[], maxWidth: number): number[] {
  const widths = [...natural];
  const budget = maxWidth - 2 * (widths.length - 1);
  const min = (i: number) => Math.min(natural[i]!, Math.max(6, Math.min(heads[i]!, 12)));
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > budget) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (widths[i]! > min(i) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]! -= 1;
    total -= 1;
  }
  return widths;
}

/**
 * A plain table for people: a header, a rule, then the rows; columns two spaces apart,
 * numbers right-aligned and formatted with `formatNumber`, long cells wrapped so the whole
 * table fits `maxWidth` columns (default 100). Headers are bold on a terminal, never coloured.
 */
export function renderTable(head: string[], rows: Cell[][], options: { maxWidth?: number } = {}): string {
  const maxWidth = options.maxWidth ?? 100;
  const text = rows.map((r) =>
    head.map((_, i) => {
      const c = r[i];
      if (c === null || c === undefined) return '';
      return typeof c === 'number' ? formatNumber(c) : String(c);
    }),
  );
  const numeric = head.map(
    (_, i) => rows.length > 0 && rows.every((r) => r[i] == null || typeof r[i] === 'number'),
  );
  const natural = head.map((h, i) =>
    Math.max(h.length, ...text.map((r) => Math.max(...r[i]!.split('\n').map((l) => l.length)))),
  );
  const widths = fitWidths(
    natural,
    head.map((h) => h.length),
    maxWidth,
  );
  const bold = stdoutColor() ? pc.bold : (s: string) => s;
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const lines: string[] = [];
  const emit = (cells: string[], style: (s: string) => string = (s) => s) => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i]!));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < height; k++)
      lines.push(style(wrapped.map((w, i) => pad(w[k] ?? '', i)).join('  ')).trimEnd());
  };
  emit(head, bold);
  lines.push(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of text) emit(r);
  return lines.join('\n');
}

// ── the store ────────────────────────────────────────────────────────────────

/** The flags every store-using command takes. */
export interface StoreFlags {
  trackingUri?: string;
  json?: boolean;
}

/** Description of `--tracking-uri` for every command's help. */
export const TRACKING_URI_HELP =
  'tracking store: sqlite:///path.db or http(s)://host:port (default: $MLFLOW_TRACKING_URI, else sqlite:///propflow/tracking.db)';

/** A URI fit to print: a password in it (`http://user:secret@host`) is shown as `***`. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][\w+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:***@');
}

/** Print the one stderr line naming the store a command uses: `store: <uri>` (relative paths resolved). */
export function announceStore(uri: string): void {
  uri = redactUri(uri);
  let where = '';
  const m = /^sqlite:\/\/\/([^/?][^?]*)/i.exec(uri);
  if (m?.[1]) where = ` (${process.cwd().replace(/\/$/, '')}/${decodeURIComponent(m[1])})`;
  process.stderr.write(`store: ${uri}${where}\n`);
}

type TrackingStore = import('../tracking/index.js').TrackingStore;

/**
 * Open the store the flags name (`--tracking-uri` > `MLFLOW_TRACKING_URI` > the embedded
 * default), print `store: <uri>` on stderr, run `fn`, and always close the store.
 * `readOnly: true` for commands that only read: a missing store is then an error naming the
 * path and the command that creates one, and nothing is created.
 */
export async function withStore<T>(
  flags: StoreFlags,
  options: { readOnly: boolean },
  fn: (store: TrackingStore, uri: string) => Promise<T>,
): Promise<T> {
  const { openStore, resolveTrackingUri } = await import('../tracking/index.js');
  const uri = resolveTrackingUri(flags.trackingUri);
  announceStore(uri);
  const store = await openStore(uri, { readOnly: options.readOnly });
  try {
    return await fn(store, redactUri(uri));
  } finally {
    await store.close();
  }
}
