/**
 * `reproduceRun` on a small synthetic league: a walk-forward run rerun from its logged config
 * gives zero metric differences (embedded store and a live server); changed data and a
 * changed feature definition are refused, naming what changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeLeague, writeDataset } from '../../src/data/index.js';
import { featureLineage, V1_BASELINE } from '../../src/features/index.js';
import { runPipeline } from '../../src/pipelines/index.js';
import { checkLineage, compareRuns, reproduceRun } from '../../src/runs/index.js';
import { startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

const TINY = { n_estimators: 12, max_depth: 4, learning_rate: 0.3, min_child_weight: 20 };
const CONFIG = {
  model: TINY,
  validation: { start: 'season_mid', refit_every_days: 28 },
  target_mae: 8,
  registry: { register: false },
  betting: { bootstrap_iterations: 200 },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-reproduce-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectZeroDifferences(store: TrackingStore, uri: string): Promise<void> {
  const original = await runPipeline('walk-forward', CONFIG, {
    store,
    trackingUri: uri,
    synthetic: { seed: 5, seasons: 1 },
  });
  const report = await reproduceRun(store, original.runId, { trackingUri: uri });
  expect(report.data.matches).toBe(true);
  expect(report.pipeline).toBe('walk-forward');
  expect(report.reproduction_run_id).not.toBe(original.runId);
  const nonTiming = report.metrics.filter((m) => !m.timing);
  expect(nonTiming.length).toBeGreaterThan(20);
  for (const m of nonTiming) expect(m.difference, m.key).toBe(0);
  expect(report.fold_histories.map((f) => f.key)).toContain('fold_mae');
  for (const f of report.fold_histories) expect(f.max_abs_difference, f.key).toBe(0);
  expect(report.identical).toBe(true);
  const copy = await store.getRun(report.reproduction_run_id);
  expect(copy.info.status).toBe('FINISHED');
  expect(copy.data.tags.find((t) => t.key === 'reproduces')?.value).toBe(original.runId);
  // the pipeline's own runs compare by fold date: every date tied, no difference
  const c = await compareRuns(store, [original.runId, report.reproduction_run_id]);
  expect(c.folds.length).toBeGreaterThanOrEqual(2);
  expect(c.runs.every((r) => r.fold_dates_from === 'fold_date metric')).toBe(true);
  expect(c.pairs[0]).toMatchObject({ mean_difference: 0, wins_a: 0, wins_b: 0, ties: c.folds.length });
  expect(c.pairs[0]!.wilcoxon!.p_value).toBe(1);
}

describe('reproduceRun', () => {
  it('reruns a walk-forward run with zero metric differences (embedded store)', async () => {
    const uri = `sqlite:///${path.join(dir, 'embedded.db')}`;
    const store = await openStore(uri);
    try {
      await expectZeroDifferences(store, uri);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('reruns with zero differences through a live propflow server', async () => {
    const sub = path.join(dir, 'server');
    const server = await startServer({
      backendStoreUri: `sqlite:///${path.join(sub, 'tracking.db')}`,
      artifactsDestination: path.join(sub, 'artifacts'),
      host: '127.0.0.1',
      port: 0,
    });
    const store = await openStore(server.url, { env: {} });
    try {
      await expectZeroDifferences(store, server.url);
    } finally {
      await store.close();
      await server.close();
    }
  }, 180_000);

  it('refuses when the data changed, naming both hashes and sources, unless allowed', async () => {
    const uri = `sqlite:///${path.join(dir, 'data.db')}`;
    const data = path.join(dir, 'league');
    writeDataset(data, synthesizeLeague({ seed: 6, seasons: 1 }));
    const store = await openStore(uri);
    try {
      const original = await runPipeline('walk-forward', CONFIG, { store, trackingUri: uri, dataDir: data });
      const logged = (await store.getRun(original.runId)).data.params.find(
        (p) => p.key === 'dataset_hash',
      )!.value;
      writeDataset(data, synthesizeLeague({ seed: 7, seasons: 1 }), { force: true });
      const err = await reproduceRun(store, original.runId, { trackingUri: uri }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toContain(logged);
      expect(msg).toMatch(/the data now has hash [0-9a-f]{64}/);
      expect(msg).toContain('seed=6');
      expect(msg).toContain('seed=7');
      expect(msg).toContain(data);
      const runsBefore = (await store.searchRuns({ experimentIds: [original.experimentId] })).items.length;
      expect(runsBefore).toBe(1);
      const forced = await reproduceRun(store, original.runId, { trackingUri: uri, allowDataChange: true });
      expect(forced.data.matches).toBe(false);
      expect(forced.identical).toBe(false);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('refuses a feature whose definition version changed, naming it', () => {
    const lineage = featureLineage(V1_BASELINE);
    expect(() => checkLineage(lineage)).not.toThrow();
    const first = lineage.features[0]!;
    const changed = {
      ...lineage,
      features: lineage.features.map((f, i) => (i === 0 ? { ...f, version: f.version + 1 } : f)),
    };
    expect(() => checkLineage(changed)).toThrow(
      new RegExp(
        `Feature '${first.name}' changed: the run used definition version ${first.version + 1}, propflow now has version ${first.version}`,
      ),
    );
  });
});
