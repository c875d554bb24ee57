/**
 * What the browser tests look at: a store filled by the demo (two runs of a small league, so
 * two registered versions and a promotion history), an experiment of 1,000 runs (the table's
 * speed), and a monitoring run in the shape `propflow serve` writes.
 */
import { foldMaeSpec, foldPointsFromHistories, renderPng, yyyymmddToIso } from '../../src/charts/index.js';
import { type PipelineKind, runDemo } from '../../src/pipelines/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

export const BIG_EXPERIMENT = 'NBA_Props_Model/Phase1_Features';
export const BIG_RUNS = 1000;

/** Tiny models and fortnightly refits: the pages, not the numbers, are under test. */
const TINY = { n_estimators: 15, max_depth: 4, learning_rate: 0.3, min_child_weight: 20 };
const CONFIGS = {
  'walk-forward': { model: TINY, validation: { refit_every_days: 14 }, target_mae: 8 },
  'two-stage': {
    two_stage: { folds: 2, minutes: { ...TINY, n_estimators: 8 }, target: TINY },
    validation: { refit_every_days: 21 },
    target_mae: 8,
  },
  validate: { model: { ...TINY, learning_rate: 0.2 }, validation: { refit_every_days: 14 } },
};

export interface DemoRun {
  kind: PipelineKind;
  runId: string;
  /** Fold dates (YYYY-MM-DD) in order, from the run's fold metrics. */
  foldDates: string[];
}

/** The demo (three pipelines, two registered versions, one in Production) on a one-season league. */
export async function fillWithDemo(
  trackingUri: string,
  datasetDir: string,
): Promise<{ runs: DemoRun[]; production: string; other: string }> {
  const r = await runDemo({ trackingUri, seed: 3, seasons: 1, datasetDir, configs: CONFIGS, env: {} });
  const store = await openStore(trackingUri, { env: {} });
  try {
    const out: DemoRun[] = [];
    for (const kind of ['walk-forward', 'two-stage', 'validate'] as const) {
      const runId = r.runs[kind].runId;
      const dates = (await store.getMetricHistory(runId, 'fold_date', { maxResults: 10000 })).items
        .sort((a, b) => a.step - b.step)
        .map((m) => yyyymmddToIso(m.value)!);
      out.push({ kind, runId, foldDates: dates });
    }
    const production = r.registry.production;
    if (production === null) throw new Error(`the demo promoted nothing: ${r.registry.actions.join('; ')}`);
    return { runs: out, production, other: production === '1' ? '2' : '1' };
  } finally {
    await store.close();
  }
}

/** `n` finished runs with params, metrics and tags (names in the project's run-name style). */
export async function fillBigExperiment(store: TrackingStore, n: number): Promise<string> {
  const experimentId = await store.createExperiment(BIG_EXPERIMENT);
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const run = await store.createRun({
      experimentId,
      runName: `20260101_p1_f${String(i).padStart(4, '0')}_wfdaily_v1`,
      startTime: t0 + i * 60_000,
    });
    const ts = t0 + i * 60_000 + 1000;
    await store.logBatch(run.info.runId, {
      params: [
        { key: 'feature_set', value: `f${i % 7}` },
        { key: 'learning_rate', value: String([0.05, 0.08, 0.1][i % 3]) },
        { key: 'max_depth', value: String(4 + (i % 4)) },
      ],
      metrics: [
        { key: 'val_mae', value: 5 + ((i * 37) % 1000) / 1000, timestamp: ts, step: 0 },
        { key: 'val_rmse', value: 7 + ((i * 53) % 1000) / 1000, timestamp: ts, step: 0 },
        { key: 'val_r2', value: 0.5 + ((i * 11) % 100) / 1000, timestamp: ts, step: 0 },
      ],
      tags: [{ key: 'propflow.pipeline', value: i % 2 === 0 ? 'walk-forward' : 'two-stage' }],
    });
    await store.updateRun(run.info.runId, { status: 'FINISHED', endTime: ts + 1000 });
  }
  return experimentId;
}

/** One monitoring run as the contract has it: metrics at step = YYYYMMDD. */
export async function fillMonitoring(store: TrackingStore, days: number): Promise<string> {
  const experimentId = await store.createExperiment('NBA_Props_Model/Monitoring');
  const run = await store.createRun({
    experimentId,
    runName: 'monitor_NBAPropsModel_v1',
    tags: [
      { key: 'propflow.monitor.model', value: 'NBAPropsModel' },
      { key: 'propflow.monitor.version', value: '1' },
    ],
  });
  const metrics = [];
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2026, 10, 1 + d));
    const step = Number(date.toISOString().slice(0, 10).replaceAll('-', ''));
    const ts = date.getTime();
    const day = 5.2 + 0.6 * Math.sin(d / 2) + d * 0.02;
    metrics.push(
      { key: 'live_mae_day', value: day, timestamp: ts, step },
      { key: 'live_mae', value: 5.3 + d * 0.015, timestamp: ts, step },
      { key: 'live_n_games', value: 40 + (d % 5), timestamp: ts, step },
      { key: 'val_mae', value: 5.35, timestamp: ts, step },
    );
  }
  await store.logBatch(run.info.runId, { metrics });
  await store.updateRun(run.info.runId, { status: 'FINISHED', endTime: Date.now() });
  return run.info.runId;
}

/** The run's fold chart as a PNG artifact, drawn from the same spec as the run page's chart. */
export async function logFoldPng(store: TrackingStore, runId: string): Promise<number> {
  const history = async (key: string) =>
    (await store.getMetricHistory(runId, key, { maxResults: 10000 })).items.map((m) => ({
      step: m.step,
      value: m.value,
    }));
  const points = foldPointsFromHistories({
    fold_mae: await history('fold_mae'),
    fold_date: await history('fold_date'),
    fold_n_predictions: await history('fold_n_predictions'),
  });
  const spec = foldMaeSpec([{ label: runId, points }], { title: 'Fold MAE by fold date' });
  await store.logArtifact(runId, 'fold_mae.png', await renderPng({ ...spec, width: 640 } as typeof spec));
  return points.length;
}

export async function fillStore(trackingUri: string, datasetDir: string) {
  const demo = await fillWithDemo(trackingUri, datasetDir);
  const store = await openStore(trackingUri, { env: {} });
  try {
    const t = performance.now();
    const bigExperimentId = await fillBigExperiment(store, BIG_RUNS);
    const bigSeconds = (performance.now() - t) / 1000;
    const monitorRunId = await fillMonitoring(store, 30);
    await logFoldPng(store, demo.runs[0]!.runId);
    return { demo, bigExperimentId, bigSeconds, monitorRunId };
  } finally {
    await store.close();
  }
}
