/**
 * Several processes log batches at once — through one live server, and one straight into the
 * same SQLite file — and afterwards every point is there exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, 'log-worker.ts');

function runWorker(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      cwd: path.join(here, '..', '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('concurrent writers', () => {
  let dir: string;
  let server: RunningServer;
  let dbUri: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pf-concurrency-'));
    dbUri = `sqlite:///${path.join(dir, 'tracking.db')}`;
    server = await startServer({
      backendStoreUri: dbUri,
      artifactsDestination: path.join(dir, 'artifacts'),
      port: 0,
    });
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and duplicates nothing', async () => {
    const experimentId = await server.store.createExperiment('concurrency');
    const runId = (await server.store.createRun({ experimentId })).info.runId;
    const viaServer = 4;
    const batches = 15;
    const perBatch = 200;
    const jobs = Array.from({ length: viaServer }, (_, w) =>
      runWorker([server.url, runId, String(w), String(batches), String(perBatch)]),
    );
    // One more writer goes straight to the database file while the server writes to it.
    jobs.push(runWorker([dbUri, runId, 'direct', String(batches), String(perBatch)]));
    const results = await Promise.all(jobs);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const run = await server.store.getRun(runId);
    for (const w of [...Array.from({ length: viaServer }, (_, i) => String(i)), 'direct']) {
      const history = (await server.store.getMetricHistory(runId, `w${w}`)).items;
      expect(history).toHaveLength(batches * perBatch);
      const steps = history.map((m) => m.step).sort((a, b) => a - b);
      expect(steps).toEqual(Array.from({ length: batches * perBatch }, (_, i) => i));
      for (const m of history) expect(m.value).toBe(m.step);
      for (let b = 0; b < batches; b++) {
        expect(run.data.params.filter((p) => p.key === `w${w}_b${b}`)).toEqual([
          { key: `w${w}_b${b}`, value: String(b) },
        ]);
      }
    }
  });
});
