/** Checks shared by the pipeline tests: what every pipeline run must carry, read back through the store. */
import { expect } from 'vitest';
import { STANDARD_TAGS } from '../../src/tracker/index.js';
import type { TrackingStore } from '../../src/tracking/index.js';

export const SIX_ARTIFACTS = [
  'training_info.json',
  'feature_lineage.json',
  'validation_predictions.csv',
  'feature_importance.png',
  'residuals_analysis.png',
  'model',
] as const;

export async function download(store: TrackingStore, runId: string, p: string): Promise<string> {
  return Buffer.from(await store.downloadArtifact(runId, p)).toString('utf8');
}

/** The standard run shape: tags, params, per-date fold metrics, artifacts, config and training info. */
export async function expectStandardRun(store: TrackingStore, runId: string, kind: string): Promise<void> {
  const run = await store.getRun(runId);
  expect(run.info.status).toBe('FINISHED');
  expect(run.info.runName).toMatch(/^\d{8}_p\d+_[a-z0-9._-]+_wf\w+_v\d+$/);
  const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
  for (const key of STANDARD_TAGS) expect(tags, `tag ${key}`).toHaveProperty([key]);
  expect(tags['propflow.pipeline']).toBe(kind);
  expect(tags['mlflow.runName']).toBe(run.info.runName);
  expect(tags['mlflow.source.git.commit']).toMatch(/^[0-9a-f]{40}$/);
  const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
  expect(tags['data_version']).toBe(params['dataset_hash']);
  for (const key of ['feature_set', 'feature_version', 'n_features', 'seed', 'n_folds', 'dataset_n_samples'])
    expect(params, `param ${key}`).toHaveProperty([key]);
  const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
  for (const key of [
    'val_mae',
    'val_rmse',
    'baseline_mae',
    'vs_baseline_mae_delta',
    'vs_baseline_mae_pct',
    'n_bets',
  ])
    expect(metrics, `metric ${key}`).toHaveProperty([key]);
  expect(metrics['vs_baseline_mae_delta']).toBeCloseTo(metrics['val_mae']! - metrics['baseline_mae']!, 9);

  // per-date folds: steps 0..n−1, fold_date YYYYMMDD increasing, matching the fold_<i>_date tags
  const n = Number(params['n_folds']);
  expect(n).toBeGreaterThanOrEqual(2);
  const history = async (key: string) =>
    (await store.getMetricHistory(runId, key, { maxResults: 10_000 })).items.sort((a, b) => a.step - b.step);
  for (const key of ['fold_mae', 'fold_rmse', 'fold_r2', 'fold_n_predictions', 'fold_date']) {
    expect(
      (await history(key)).map((m) => m.step),
      key,
    ).toEqual(Array.from({ length: n }, (_, i) => i));
  }
  const dates = await history('fold_date');
  for (let i = 0; i < n; i++) {
    expect(String(dates[i]!.value)).toBe(tags[`fold_${i}_date`]!.replaceAll('-', ''));
    if (i > 0) expect(dates[i]!.value).toBeGreaterThan(dates[i - 1]!.value);
  }
  const preds = await history('fold_n_predictions');
  expect(preds.reduce((s, m) => s + m.value, 0)).toBe(metrics['val_n_predictions']);

  const root = (await store.listArtifacts(runId)).map((f) => f.path);
  for (const p of [...SIX_ARTIFACTS, 'pipeline_config.json']) expect(root, p).toContain(p);
  const model = (await store.listArtifacts(runId, 'model')).map((f) => f.path);
  expect(model).toContain('model/MLmodel');
  expect(model).toContain('model/calibration.json');
  for (const png of ['feature_importance.png', 'residuals_analysis.png']) {
    const bytes = await store.downloadArtifact(runId, png);
    expect(Buffer.from(bytes.subarray(1, 4)).toString('latin1')).toBe('PNG');
  }
  const config = JSON.parse(await download(store, runId, 'pipeline_config.json'));
  expect(config.pipeline).toBe(kind);
  expect(config.seed).toBe(Number(params['seed']));
  const info = JSON.parse(await download(store, runId, 'training_info.json'));
  expect(info.dataset.hash).toBe(params['dataset_hash']);
  expect(info.dataset.source).toBeTruthy();
  expect(info).toHaveProperty('dataset_dir');
  expect(run.inputs.datasetInputs[0]!.dataset.digest).toBe(String(params['dataset_hash']).slice(0, 36));
}
