/**
 * The demo end to end on a small league, into a real SQLite store in a temp folder, checked
 * through the store: the run, its per-fold metrics, artifacts, dataset input, the registered
 * version — and a second run into the same store.
 */

import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GbdtModel, readModelArtifact } from '../../src/models/index.js';
import { type DemoResult, runDemo } from '../../src/pipelines/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

const SMALL = {
  seed: 7,
  seasons: 1,
  gbdt: { nEstimators: 60, maxDepth: 5, learningRate: 0.1, minChildWeight: 20 },
};

let dir: string;
let uri: string;
let store: TrackingStore;
let first: DemoResult;
let second: DemoResult;
let weak: DemoResult;
const progress: string[] = [];

async function download(runId: string, artifactPath: string): Promise<string> {
  return Buffer.from(await store.downloadArtifact(runId, artifactPath)).toString('utf8');
}

async function metricHistory(runId: string, key: string) {
  return (await store.getMetricHistory(runId, key, { maxResults: 10_000 })).items.sort(
    (a, b) => a.step - b.step,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'propflow-demo-'));
  uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
  first = await runDemo({ ...SMALL, trackingUri: uri, out: (l) => progress.push(l) });
  second = await runDemo({ ...SMALL, trackingUri: uri });
  // one shallow tree barely moves off the mean: it must not pass the registration gate
  weak = await runDemo({
    ...SMALL,
    gbdt: { nEstimators: 1, maxDepth: 1, learningRate: 0.05 },
    trackingUri: uri,
  });
  store = await openStore(uri);
}, 120_000);

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runDemo', () => {
  it('reports progress and finishes one run in the demo experiment', async () => {
    expect(progress.some((l) => /fold +1\/\d+/.test(l))).toBe(true);
    const run = await store.getRun(first.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.endTime).not.toBeNull();
    const exp = await store.getExperiment(run.info.experimentId);
    expect(exp.name).toBe('NBA_Props_Model/Demo');
    expect(run.info.runName).toMatch(/^\d{8}_demo_v3_advanced_walkforward_v1$/);
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    expect(params['feature_set']).toBe('v3_advanced');
    expect(params['seed']).toBe('7');
    expect(params['n_estimators']).toBe('60');
    expect(params['dataset_hash']).toBe(first.dataset.hash);
    expect(Number(params['n_folds'])).toBe(first.validation.nFolds);
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags['data_version']).toBe(first.dataset.hash);
    expect(tags['production_ready']).toBe('true');
    // the dataset input, digest from the dataset hash
    const input = run.inputs.datasetInputs[0]!;
    expect(input.dataset.digest).toBe(first.dataset.hash.slice(0, 36));
    expect(input.tags).toContainEqual({ key: 'mlflow.data.context', value: 'training' });
  });

  it('logs per-fold metrics at steps 0..n−1 with the fold dates', async () => {
    const n = first.validation.nFolds;
    expect(n).toBeGreaterThan(3);
    for (const key of ['fold_mae', 'fold_n_predictions', 'fold_date', 'fold_train_rows']) {
      const h = await metricHistory(first.runId, key);
      expect(h.map((m) => m.step)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    const preds = await metricHistory(first.runId, 'fold_n_predictions');
    expect(preds.reduce((s, m) => s + m.value, 0)).toBe(first.validation.nPredictions);
    const dates = await metricHistory(first.runId, 'fold_date');
    expect(dates[0]!.value).toBe(Number(first.validation.start.replaceAll('-', '')));
    const train = await metricHistory(first.runId, 'fold_train_rows');
    for (let i = 1; i < n; i++) expect(train[i]!.value).toBeGreaterThan(train[i - 1]!.value);
  });

  it('beats predicting the mean, logs honest betting numbers, and the predictions back them up', async () => {
    const run = await store.getRun(first.runId);
    const metric = (k: string) => {
      const m = run.data.metrics.find((x) => x.key === k);
      if (!m) throw new Error(`metric ${k} missing`);
      return m.value;
    };
    const rows = parseCsv(await download(first.runId, 'validation_predictions.csv'), {
      columns: true,
    }) as Record<string, string>[];
    expect(rows.length).toBe(first.validation.nPredictions);
    const actual = rows.map((r) => Number(r['actual']));
    const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
    const meanMae = actual.reduce((s, a) => s + Math.abs(a - mean), 0) / actual.length;
    const valMae = metric('val_mae');
    expect(Number.isFinite(valMae)).toBe(true);
    expect(valMae).toBeLessThan(meanMae);
    const csvMae =
      rows.reduce((s, r) => s + Math.abs(Number(r['actual']) - Number(r['prediction'])), 0) / rows.length;
    expect(csvMae).toBeCloseTo(valMae, 2);
    expect(metric('vs_baseline_mae_delta')).toBeCloseTo(valMae - metric('baseline_mae'), 9);
    for (const k of ['val_rmse', 'val_r2', 'val_bias', 'n_folds', 'baseline_mae', 'vs_baseline_mae_pct'])
      metric(k);

    // every prediction is for a game on or after its fold date (training was before it)
    const foldDates = (await metricHistory(first.runId, 'fold_date')).map((m) => String(m.value));
    for (const r of rows) {
      expect(r['date']!.replaceAll('-', '') >= foldDates[Number(r['fold'])]!).toBe(true);
    }

    // betting: ROI and win rate follow from the bets in the CSV
    const bets = rows.filter((r) => r['bet'] !== '');
    expect(bets.length).toBe(metric('n_bets'));
    expect(bets.length).toBeGreaterThan(50);
    const profit = bets.reduce((s, r) => s + Number(r['bet_profit']), 0);
    expect(metric('betting_roi')).toBeCloseTo(profit / bets.length, 3);
    const wins = bets.filter((r) => Number(r['bet_profit']) > 0).length;
    const losses = bets.filter((r) => Number(r['bet_profit']) < 0).length;
    expect(metric('betting_win_rate')).toBeCloseTo(wins / (wins + losses), 9);
    for (const r of bets) {
      const edge = Number(r['prediction']) - Number(r['line']);
      expect(r['bet'] === 'over' ? edge : -edge).toBeGreaterThanOrEqual(2 - 1e-3);
    }
  });

  it('logs lineage, training info and a loadable model', async () => {
    const root = (await store.listArtifacts(first.runId)).map((f) => f.path);
    for (const p of [
      'feature_lineage.json',
      'training_info.json',
      'validation_predictions.csv',
      'walk_forward_folds.csv',
      'validation_segments.csv',
      'feature_importance.csv',
      'model',
    ]) {
      expect(root).toContain(p);
    }
    const segments = parseCsv(await download(first.runId, 'validation_segments.csv'), {
      columns: true,
    }) as Record<string, string>[];
    for (const group of ['location', 'rest', 'role', 'market']) {
      const rows = segments.filter((s) => s['group'] === group);
      expect(rows.reduce((n, s) => n + Number(s['n']), 0)).toBe(first.validation.nPredictions);
    }
    const lineage = JSON.parse(await download(first.runId, 'feature_lineage.json'));
    expect(lineage.feature_set).toBe('v3_advanced');
    const info = JSON.parse(await download(first.runId, 'training_info.json'));
    expect(info.dataset.hash).toBe(first.dataset.hash);
    expect(info.validation.n_folds).toBe(first.validation.nFolds);

    const local = path.join(dir, 'downloaded-model');
    mkdirSync(local);
    for (const f of await store.listArtifacts(first.runId, 'model')) {
      if (f.isDir) continue;
      await writeFile(
        path.join(local, path.posix.basename(f.path)),
        await store.downloadArtifact(first.runId, f.path),
      );
    }
    const loaded = readModelArtifact(local);
    expect(loaded.mlmodel.runId).toBe(first.runId);
    expect(loaded.model).toBeInstanceOf(GbdtModel);
    expect(loaded.model.nFeatures).toBe(first.featureSet.nFeatures);
    expect((loaded.featureSet as { name: string }).name).toBe('v3_advanced');
  });

  it('registers a version and promotes it; a second run adds a version the workflow places in Staging', async () => {
    expect(first.registry.registration.registered).toBe(true);
    const v1 = await store.getModelVersion('NBAPropsModel', '1');
    expect(v1.runId).toBe(first.runId);
    expect(v1.source).toBe(`runs:/${first.runId}/model`);
    expect(v1.currentStage).toBe('Production');

    const run2 = await store.getRun(second.runId);
    expect(run2.info.status).toBe('FINISHED');
    expect(run2.info.runName).toMatch(/_v2$/);
    // same seed and parameters: the same numbers
    expect(second.metrics.mae).toBeCloseTo(first.metrics.mae, 12);
    const v2 = await store.getModelVersion('NBAPropsModel', '2');
    expect(v2.runId).toBe(second.runId);
    expect(v2.currentStage).toBe('Staging');
    expect((await store.getModelVersion('NBAPropsModel', '1')).currentStage).toBe('Production');
    expect(second.registry.production).toBe('1');
    expect(second.registry.staging).toBe('2');
    expect(second.registry.history.map((e) => e.action)).toContain('evaluate');
  });

  it('does not register a model that fails the gate, and says why on the run', async () => {
    expect(weak.metrics.mae).toBeGreaterThan(6);
    expect(weak.registry.registration.registered).toBe(false);
    expect(weak.registry.evaluation).toBeNull();
    const run = await store.getRun(weak.runId);
    expect(run.info.status).toBe('FINISHED');
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags['propflow.registration']).toMatch(
      /^rejected for NBAPropsModel: val_mae=.* does not pass the gate/,
    );
    expect(tags['production_ready']).toBe('false');
    const versions = await store.searchModelVersions({ filter: "name = 'NBAPropsModel'" });
    expect(versions.items.map((v) => v.version).sort()).toEqual(['1', '2']);
    expect((await store.getModelVersion('NBAPropsModel', '1')).currentStage).toBe('Production');
  });
});
