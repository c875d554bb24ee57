/**
 * The demo (`propflow demo`, what `npm start` runs): a seeded synthetic league written as a
 * dataset folder (or the user's own dataset folder) → the three pipelines → the registry
 * workflow (register through the gate, evaluate against criteria, Staging, Production when
 * there is none). A few lines over `runPipeline`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { synthesizeLeague, writeDataset } from '../data/index.js';
import {
  criteriaFromObject,
  DEFAULT_MODEL_NAME,
  type EvaluationReport,
  type HistoryEvent,
  ModelRegistry,
} from '../registry/index.js';
import { openStore, resolveTrackingUri } from '../tracking/index.js';
import type { PipelineKind } from './config.js';
import { type PipelineResult, runPipeline } from './pipelines.js';

/** Where the demo writes its synthetic league (what `propflow serve` finds with no flags). */
export const DEMO_DATASET_DIR = path.join('propflow', 'datasets', 'demo');
export const DEMO_EXPERIMENT = 'NBA_Props_Model/Demo';
export const DEMO_TARGET_MAE = 6.0;

/**
 * The demo's configs: small enough for the three pipelines to finish in well under three
 * minutes on two shared cores (weekly or fortnightly refits, 40–100 trees).
 */
export const DEMO_CONFIGS: Record<PipelineKind, Record<string, unknown>> = {
  'walk-forward': {
    experiment: DEMO_EXPERIMENT,
    features: { set: 'v3_advanced', baseline: 'v1_baseline' },
    model: { n_estimators: 100, max_depth: 6, learning_rate: 0.1, min_child_weight: 20 },
    validation: { start: 'season_mid', refit_every_days: 7 },
    registry: { register: true },
  },
  'two-stage': {
    experiment: DEMO_EXPERIMENT,
    features: { set: 'v3_advanced', baseline: 'v1_baseline' },
    two_stage: {
      mode: 'total',
      folds: 2,
      minutes: { n_estimators: 40, max_depth: 5, learning_rate: 0.15, min_child_weight: 20 },
      target: { n_estimators: 80, max_depth: 6, learning_rate: 0.1, min_child_weight: 20 },
    },
    validation: { start: 'season_mid', refit_every_days: 14 },
    registry: { register: true },
  },
  validate: {
    experiment: DEMO_EXPERIMENT,
    features: { set: 'v2_opponent_efficiency', baseline: 'v1_baseline' },
    model: { n_estimators: 100, max_depth: 6, learning_rate: 0.1, min_child_weight: 20 },
    validation: { start: 'season_mid', refit_every_days: 14 },
  },
};

/**
 * On the user's own data the demo cannot know what MAE to expect: the gate and the criteria
 * ask the model to beat the last-10 average computed in the same run instead.
 */
export const USER_DATA_GATE = 'vs_baseline_mae_delta<0';
export const USER_DATA_CRITERIA = {
  criteria: [
    { metric: 'vs_baseline_mae_delta', max: 0, description: 'beats the last-10 average on the same rows' },
    { metric: 'n_folds', min: 3, description: 'validated on at least 3 walk-forward folds' },
    { artifact: 'validation_predictions.csv', description: 'the walk-forward predictions are on the run' },
  ],
};

/** Production criteria of the demo (what a criteria file would hold). */
export const DEMO_CRITERIA = {
  criteria: [
    { metric: 'val_mae', max: DEMO_TARGET_MAE, description: 'validation MAE of PRA at most 6 points' },
    { metric: 'n_folds', min: 3, description: 'validated on at least 3 walk-forward folds' },
    { artifact: 'validation_predictions.csv', description: 'the walk-forward predictions are on the run' },
  ],
};

export interface DemoOptions {
  trackingUri?: string;
  /** The user's dataset folder; default: a synthetic league written to `datasetDir`. */
  dataDir?: string;
  seed?: number;
  seasons?: number;
  /** Where the synthetic league is written (default `./propflow/datasets/demo`). */
  datasetDir?: string;
  modelName?: string;
  /** Config overrides per pipeline (merged over DEMO_CONFIGS, e.g. smaller models in tests). */
  configs?: Partial<Record<PipelineKind, Record<string, unknown>>>;
  out?: (line: string) => void;
  tty?: NodeJS.WriteStream | null;
  env?: NodeJS.ProcessEnv;
}

export interface DemoResult {
  trackingUri: string;
  datasetDir: string;
  runs: Record<PipelineKind, PipelineResult>;
  registry: {
    name: string;
    actions: string[];
    evaluations: EvaluationReport[];
    production: string | null;
    staging: string | null;
    history: HistoryEvent[];
  };
  seconds: number;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const base = out[k];
    out[k] =
      base &&
      typeof base === 'object' &&
      !Array.isArray(base) &&
      v &&
      typeof v === 'object' &&
      !Array.isArray(v)
        ? merge(base as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Write the synthetic league as a dataset folder, unless the folder already holds the same league. */
function ensureDemoDataset(dir: string, seed: number, seasons: number): string {
  const abs = path.resolve(dir);
  const manifest = path.join(abs, 'dataset.json');
  const source = `synthetic:seed=${seed},seasons=${seasons}`;
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: { source?: string } };
    if (m.version?.source?.startsWith(`${source},`)) return abs;
  }
  writeDataset(abs, synthesizeLeague({ seed, seasons }), { force: true });
  return abs;
}

/** Register-evaluate-promote: the best passing version goes to Staging, and to Production when there is none. */
async function promoteBest(
  registry: ModelRegistry,
  name: string,
  runs: PipelineResult[],
  criteriaObject: unknown,
): Promise<{ actions: string[]; evaluations: EvaluationReport[] }> {
  const actions: string[] = [];
  const evaluations: EvaluationReport[] = [];
  const criteria = criteriaFromObject(criteriaObject, 'demo criteria');
  for (const r of runs) {
    const reg = r.registration;
    if (!reg) continue;
    if (!reg.registered) {
      actions.push(`${r.runName}: not registered (${reg.reason})`);
      continue;
    }
    const ev = await registry.evaluate({ name, version: reg.version, criteria });
    evaluations.push(ev);
    actions.push(`${r.runName}: registered as version ${reg.version}, evaluation ${ev.result}`);
  }
  const passed = evaluations
    .filter((e) => e.passed)
    .map((e) => ({
      e,
      mae: runs.find((r) => r.runId === e.runId)?.metrics['val_mae'] ?? Number.POSITIVE_INFINITY,
    }))
    .sort((a, b) => a.mae - b.mae);
  const best = passed[0];
  if (!best) {
    actions.push('no version passed the criteria: nothing promoted');
    return { actions, evaluations };
  }
  const v = best.e.version;
  await registry.promote({
    name,
    version: v,
    stage: 'Staging',
    reason: `demo: best val_mae (${best.mae.toFixed(3)}) that passed`,
  });
  actions.push(`version ${v} (val_mae ${best.mae.toFixed(3)}) → Staging`);
  const summary = await registry.show(name);
  if (summary.production === null) {
    await registry.promote({
      name,
      version: v,
      stage: 'Production',
      reason: 'demo: first version to pass the criteria',
    });
    actions.push(`version ${v} → Production (there was none)`);
  } else {
    actions.push(
      `Production stays version ${summary.production}; promote with 'npx propflow registry promote --name ${name} --version ${v} --stage Production'`,
    );
  }
  return { actions, evaluations };
}

/** Run the demo end to end. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const env = options.env ?? process.env;
  const seed = options.seed ?? 42;
  const name = options.modelName ?? DEFAULT_MODEL_NAME;
  const trackingUri = resolveTrackingUri(options.trackingUri, env);
  const store = await openStore(trackingUri, { env });
  try {
    const datasetDir = options.dataDir
      ? path.resolve(options.dataDir)
      : ensureDemoDataset(options.datasetDir ?? DEMO_DATASET_DIR, seed, options.seasons ?? 2);
    const ctx = {
      store,
      trackingUri,
      dataDir: datasetDir,
      env,
      tty: options.tty ?? null,
      ...(options.out ? { out: options.out } : {}),
    };
    const registryConfig = { model_name: name, ...(options.dataDir ? { gate: USER_DATA_GATE } : {}) };
    const config = (kind: PipelineKind, more: Record<string, unknown> = {}) =>
      merge(
        merge(merge(DEMO_CONFIGS[kind], { seed, registry: registryConfig }), more),
        options.configs?.[kind],
      );
    options.out?.(`demo: dataset ${datasetDir}; tracking ${trackingUri}`);
    const walk = await runPipeline('walk-forward', config('walk-forward'), ctx);
    const two = await runPipeline('two-stage', config('two-stage'), ctx);
    const val = await runPipeline('validate', config('validate', { baseline_run: walk.runId }), ctx);
    const registry = new ModelRegistry(store);
    const { actions, evaluations } = await promoteBest(
      registry,
      name,
      [walk, two],
      options.dataDir ? USER_DATA_CRITERIA : DEMO_CRITERIA,
    );
    for (const e of evaluations) {
      await store.setTag(e.runId, { key: 'production_ready', value: String(e.passed) });
    }
    const summary = await registry.show(name).catch(() => null);
    const history = summary ? await registry.history(name) : [];
    for (const a of actions) options.out?.(`registry: ${a}`);
    return {
      trackingUri,
      datasetDir,
      runs: { 'walk-forward': walk, 'two-stage': two, validate: val },
      registry: {
        name,
        actions,
        evaluations,
        production: summary?.production ?? null,
        staging: summary?.staging ?? null,
        history,
      },
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await store.close();
  }
}
