/** `propflow … --help | head -1`: a reader that stops early ends the command quietly. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

it('help piped into a reader that closes after the first line exits 0 with no EPIPE trace', async () => {
  const child = spawn(process.execPath, [path.resolve('bin/propflow.js'), 'registry', 'promote', '--help'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // read nothing: close our end at once, as `head -0` would
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  expect(code).toBe(0);
}, 30_000);
