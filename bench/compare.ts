/**
 * Compare benchmark: 10 runs shaped like the pipelines' (fold_mae, fold_rmse, fold_r2,
 * fold_n_predictions and fold_date at 200 steps each, 30 params, 25 tags, 40 summary
 * metrics) in a fresh embedded store, then `compareRuns` over all 10 (params, metrics,
 * 200 dates, 45 paired tests) plus the terminal table — on the embedded store and through
 * the REST store against a live `propflow server` on loopback (same process).
 *
 * Prints progress on stderr and one JSON line per store on stdout:
 * `{"bench":"compare","store":"embedded"|"server","runs":10,"steps":200,"ms":N,"cold_ms":N}`
 * — `ms` is the median of 5 calls (wall clock; `fetch_ms` of it fetching, `cpu_ms` the
 * process's CPU time, server included, which a loaded machine does not inflate), `cold_ms`
 * and `cold_cpu_ms` the first call on a freshly opened store; `stats_load_ms` loading the
 * statistics package, once per process, before any call (a CLI process pays it once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareRuns, comparisonTable, loadStatistics } from '../src/runs/index.js';
import { startServer } from '../src/server/index.js';
import { type Metric, openStore, type TrackingStore } from '../src/tracking/index.js';

const RUNS = 10;
/** Time to load the statistics package once per process (reported apart from the calls). */
let statsLoadMs = 0;
const STEPS = 200;
const REPEAT = 5;

async function seed(store: TrackingStore): Promise<string[]> {
  const exp = await store.createExperiment('bench-compare');
  const ids: string[] = [];
  const day0 = Date.parse('2023-10-24T00:00:00Z');
  for (let r = 0; r < RUNS; r++) {
    const run = await store.createRun({
      experimentId: exp,
      runName: `20261204_p1_v3_advanced_wfdaily_v${r + 1}`,
      tags: Array.from({ length: 25 }, (_, k) => ({
        key: `tag_${k}`,
        value: k % 5 === 0 ? `v${r}` : 'same',
      })),
    });
    const id = run.info.runId;
    const t = Date.now();
    const metrics: Metric[] = [];
    for (let s = 0; s < STEPS; s++) {
      const mae = 5 + 0.4 * Math.sin(s / 9 + r) + 0.02 * r;
      const date = new Date(day0 + s * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      metrics.push(
        { key: 'fold_mae', value: mae, step: s, timestamp: t + s },
        { key: 'fold_rmse', value: mae * 1.3, step: s, timestamp: t + s },
        { key: 'fold_r2', value: 0.5 + 0.01 * r, step: s, timestamp: t + s },
        { key: 'fold_n_predictions', value: 120 + s, step: s, timestamp: t + s },
        { key: 'fold_date', value: Number(date), step: s, timestamp: t + s },
      );
    }
    for (let k = 0; k < 40; k++)
      metrics.push({ key: `val_metric_${k}`, value: k + r / 10, step: 0, timestamp: t });
    for (let i = 0; i < metrics.length; i += 1000)
      await store.logBatch(id, { metrics: metrics.slice(i, i + 1000) });
    await store.logBatch(id, {
      params: Array.from({ length: 30 }, (_, k) => ({ key: `param_${k}`, value: k < 3 ? String(r) : 'x' })),
    });
    await store.updateRun(id, { status: 'FINISHED', endTime: Date.now() });
    ids.push(id);
  }
  return ids;
}

async function measure(label: string, open: () => Promise<TrackingStore>, ids: string[]): Promise<void> {
  const store = await open();
  try {
    const once = async () => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const c = await compareRuns(store, ids);
      comparisonTable(c);
      if (c.folds.length !== STEPS || c.pairs.length !== (RUNS * (RUNS - 1)) / 2)
        throw new Error('wrong comparison');
      const cpu = process.cpuUsage(cpu0);
      return { ms: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000, fetch: c.fetch_ms };
    };
    const first = await once();
    const cold = first.ms;
    const calls: Array<{ ms: number; cpu: number; fetch: number }> = [];
    for (let i = 0; i < REPEAT; i++) calls.push(await once());
    calls.sort((a, b) => a.ms - b.ms);
    const mid = calls[Math.floor(REPEAT / 2)]!;
    const ms = mid.ms;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    process.stdout.write(
      `${JSON.stringify({ bench: 'compare', store: label, runs: RUNS, steps: STEPS, ms: r1(ms), cold_ms: r1(cold), fetch_ms: r1(mid.fetch), cpu_ms: r1(mid.cpu), cold_cpu_ms: r1(first.cpu), stats_load_ms: statsLoadMs })}\n`,
    );
  } finally {
    await store.close();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-bench-compare-'));
try {
  const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
  const setup = await openStore(uri);
  process.stderr.write(`seeding ${RUNS} runs × ${STEPS} fold steps into ${uri}\n`);
  const ids = await seed(setup);
  await setup.close();
  const tLoad = performance.now();
  await loadStatistics();
  statsLoadMs = Math.round((performance.now() - tLoad) * 10) / 10;
  await measure('embedded', () => openStore(uri), ids);
  const server = await startServer({
    backendStoreUri: uri,
    artifactsDestination: path.join(dir, 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  process.stderr.write(`propflow server at ${server.url}\n`);
  try {
    await measure('server', () => openStore(server.url, { env: {} }), ids);
  } finally {
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
