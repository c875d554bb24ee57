/**
 * Runs shaped like the pipelines' contract, made through the store API: fold metrics at
 * step = fold index with `fold_date` (YYYYMMDD) at the same step, standard tags, a dataset
 * input and the artifacts `training_info.json`, `feature_lineage.json`, `pipeline_config.json`.
 */
import type { Metric, TrackingStore } from '../../src/tracking/index.js';

export interface FoldRunSpec {
  name: string;
  /** Fold dates as YYYY-MM-DD, in fold order. */
  dates: string[];
  maes: number[];
  params?: Record<string, string>;
  tags?: Record<string, string>;
  extraMetrics?: Record<string, number>;
  /** Also log `fold_<i>_date` tags (the contract logs both). */
  dateTags?: boolean;
  /** Leave out the `fold_date` metric (older runs: dates only in tags, or nowhere). */
  noDateMetric?: boolean;
  datasetHash?: string;
  artifacts?: boolean;
}

/** `n` consecutive dates from `start` (YYYY-MM-DD), as YYYY-MM-DD. */
export function dateSeries(start: string, n: number, everyDays = 1): string[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) =>
    new Date(t0 + i * everyDays * 86_400_000).toISOString().slice(0, 10),
  );
}

export async function makeFoldRun(
  store: TrackingStore,
  experimentId: string,
  spec: FoldRunSpec,
): Promise<string> {
  const hash = spec.datasetHash ?? 'a'.repeat(64);
  const run = await store.createRun({
    experimentId,
    runName: spec.name,
    startTime: Date.now(),
    tags: [
      { key: 'project', value: 'propflow' },
      { key: 'phase', value: 'p1' },
      { key: 'feature_set', value: 'v3_advanced' },
      { key: 'validation_type', value: 'walk_forward' },
      { key: 'propflow.pipeline', value: 'walk-forward' },
      { key: 'data_version', value: hash },
      ...Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value })),
    ],
  });
  const id = run.info.runId;
  const t = Date.now();
  const metrics: Metric[] = [];
  for (const [i, mae] of spec.maes.entries()) {
    metrics.push({ key: 'fold_mae', value: mae, step: i, timestamp: t + i });
    metrics.push({ key: 'fold_rmse', value: mae * 1.3, step: i, timestamp: t + i });
    metrics.push({ key: 'fold_n_predictions', value: 100 + i, step: i, timestamp: t + i });
    if (!spec.noDateMetric)
      metrics.push({
        key: 'fold_date',
        value: Number(spec.dates[i]!.replaceAll('-', '')),
        step: i,
        timestamp: t + i,
      });
  }
  const valMae = spec.maes.reduce((s, x) => s + x, 0) / spec.maes.length;
  metrics.push({ key: 'val_mae', value: valMae, step: 0, timestamp: t });
  for (const [key, value] of Object.entries(spec.extraMetrics ?? {}))
    metrics.push({ key, value, step: 0, timestamp: t });
  for (let i = 0; i < metrics.length; i += 1000)
    await store.logBatch(id, { metrics: metrics.slice(i, i + 1000) });
  const params = { model: 'gbdt', learning_rate: '0.05', max_depth: '6', seed: '0', ...spec.params };
  await store.logBatch(id, {
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
  });
  const dateTags = spec.dateTags ? spec.dates.map((d, i) => ({ key: `fold_${i}_date`, value: d })) : [];
  for (let i = 0; i < dateTags.length; i += 100)
    await store.logBatch(id, { tags: dateTags.slice(i, i + 100) });
  await store.logInputs(id, [
    {
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: { name: 'league', digest: hash.slice(0, 36), sourceType: 'local', source: '/data/league' },
    },
  ]);
  if (spec.artifacts !== false) {
    await store.logArtifact(
      id,
      'training_info.json',
      JSON.stringify({ dataset: { hash, source: '/data/league' }, dataset_dir: '/data/league' }),
    );
    await store.logArtifact(
      id,
      'feature_lineage.json',
      JSON.stringify({ feature_set: 'v3_advanced', features: [] }),
    );
    await store.logArtifact(
      id,
      'pipeline_config.json',
      JSON.stringify({ pipeline: 'walk-forward', seed: 0, feature_set: 'v3_advanced' }),
    );
  }
  await store.updateRun(id, { status: 'FINISHED', endTime: Date.now() });
  return id;
}
