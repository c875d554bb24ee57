import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './uri.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pf-signal-'));
const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
const CHILD = path.resolve('src/tracking/testing/signal-child.ts');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start the child, wait for its `started <id>` line; resolves with the run id and the exit. */
function startChild(...args: string[]): Promise<{
  child: ChildProcess;
  runId: string;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, uri, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /started ([0-9a-f]{32})/.exec(out);
      if (m) resolve({ child, runId: m[1]!, exit });
    });
    exit.then((e) => reject(new Error(`child exited before starting its run: ${e.stderr}`)));
  });
}

async function statusOf(runId: string) {
  const store = await openStore(uri, { readOnly: true });
  try {
    const run = await store.getRun(runId);
    const history = await store.getMetricHistory(runId, 'loss');
    return { status: run.info.status, endTime: run.info.endTime, points: history.items.length };
  } finally {
    await store.close();
  }
}

describe('runs are never left RUNNING', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-run ends the run KILLED (buffered metrics flushed) and exits ${code}`, async () => {
      const { child, runId, exit } = await startChild();
      await new Promise((r) => setTimeout(r, 150)); // let it buffer some points
      child.kill(signal);
      const e = await exit;
      expect(e.code).toBe(code);
      expect(e.stderr).toMatch(new RegExp(`${signal}: ending 1 active run as KILLED`));
      const s = await statusOf(runId);
      expect(s.status).toBe('KILLED');
      expect(s.endTime).toBeGreaterThan(0);
      expect(s.points).toBeGreaterThan(1);
    });
  }

  it('a command that fails ends its run FAILED', async () => {
    const { runId, exit } = await startChild('throw');
    expect((await exit).code).toBe(1);
    expect((await statusOf(runId)).status).toBe('FAILED');
  });
});
