/**
 * GitHub Actions' file protocol: step outputs are `key=value` lines appended to the file
 * `$GITHUB_OUTPUT` names, the job summary is Markdown appended to `$GITHUB_STEP_SUMMARY`.
 * Outside Actions (no variable set) both are skipped, so every step runs on a laptop too.
 */
import { appendFileSync } from 'node:fs';
import { InvalidParameterError } from '../errors.js';

/** Append step outputs (`run_id=…`) to `$GITHUB_OUTPUT`, when it is set. */
export function writeStepOutputs(outputs: Record<string, string | number>, env: NodeJS.ProcessEnv): void {
  const file = env['GITHUB_OUTPUT'];
  if (!file) return;
  const lines = Object.entries(outputs).map(([k, v]) => {
    const value = String(v);
    if (/[\r\n]/.test(value)) {
      throw new InvalidParameterError(`step output '${k}' must be one line (got ${JSON.stringify(value)})`);
    }
    return `${k}=${value}\n`;
  });
  appendFileSync(file, lines.join(''));
}

/** Append Markdown to the job summary (`$GITHUB_STEP_SUMMARY`), when it is set. */
export function appendJobSummary(markdown: string, env: NodeJS.ProcessEnv): void {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (file) appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}

/** Parse a `$GITHUB_OUTPUT` file's `key=value` lines (the last value of a key wins). */
export function parseStepOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
