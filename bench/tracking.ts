/**
 * Tracking benchmark: 1,000,000 metric points (200 keys × 5,000 steps) logged with
 * `logBatch` (1000 points per batch) into a fresh embedded store in a temp folder, then the
 * full history of 10 keys read back. Prints progress to stderr and one JSON line last:
 * `{"bench":"tracking","points_per_s":N,"history_read_ms":N}`.
 *
 * Options: `--keys N --steps N` to change the shape (defaults 200 × 5000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Metric } from '../src/tracking/index.js';
import { openStore } from '../src/tracking/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const KEYS = arg('keys', 200);
const STEPS = arg('steps', 5000);
const BATCH = 1000;
const READ_KEYS = 10;

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-bench-tracking-'));
try {
  const store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`);
  const experimentId = await store.createExperiment('bench-tracking');
  const run = await store.createRun({ experimentId, runName: 'bench' });
  const runId = run.info.runId;
  const keys = Array.from({ length: KEYS }, (_, k) => `metric_${String(k).padStart(3, '0')}`);
  const total = KEYS * STEPS;
  const t0 = Date.now();
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let logged = 0;
  let batch: Metric[] = [];
  let lastReport = 0;
  // Step-major order, as a training loop logs: all keys of step 0, then step 1, …
  for (let step = 0; step < STEPS; step++) {
    for (let k = 0; k < KEYS; k++) {
      batch.push({ key: keys[k]!, value: Math.sin(step * 0.01 + k), timestamp: t0 + step, step });
      if (batch.length === BATCH) {
        await store.logBatch(runId, { metrics: batch });
        logged += batch.length;
        batch = [];
        if (logged - lastReport >= 100_000) {
          lastReport = logged;
          process.stderr.write(
            `logged ${logged.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} points\n`,
          );
        }
      }
    }
  }
  if (batch.length > 0) {
    await store.logBatch(runId, { metrics: batch });
    logged += batch.length;
  }
  const writeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const pointsPerSecond = Math.round(logged / writeSeconds);
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stderr.write(
    `wrote ${logged.toLocaleString('en-US')} points in ${writeSeconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU (${Math.round(logged / cpuSeconds).toLocaleString('en-US')} points per CPU second)\n`,
  );

  const readStart = process.hrtime.bigint();
  let read = 0;
  for (const key of keys.slice(0, READ_KEYS)) {
    const history = await store.getMetricHistory(runId, key);
    if (history.items.length !== STEPS) {
      throw new Error(`history of ${key} has ${history.items.length} points, expected ${STEPS}`);
    }
    read += history.items.length;
  }
  const historyReadMs = Math.round(Number(process.hrtime.bigint() - readStart) / 1e6);
  process.stderr.write(
    `read ${read.toLocaleString('en-US')} points of ${READ_KEYS} keys in ${historyReadMs} ms\n`,
  );
  const latest = await store.getRun(runId);
  if (latest.data.metrics.length !== KEYS)
    throw new Error(`run shows ${latest.data.metrics.length} latest metrics`);
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ bench: 'tracking', points_per_s: pointsPerSecond, history_read_ms: historyReadMs })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
