/**
 * The three pipelines — `walk-forward` (one GBDT), `two-stage` (minutes → PRA) and `validate`
 * (a feature set / model configuration against a baseline run) — as short compositions of the
 * named steps in `steps.ts`, run by the step runner and logged through the standard tracker.
 */
import { formatDay } from '../data/index.js';
import {
  type ArtifactModel,
  type GbdtModel,
  type GbdtParams,
  type GbdtParamsInput,
  inputExampleFrom,
  resolveParams,
  type TwoStageModel,
  type TwoStageParams,
} from '../models/index.js';
import type { RegisterResult } from '../registry/index.js';
import {
  StandardNBAPropsTracker,
  type StandardTagsInput,
  walkForwardValidationName,
} from '../tracker/index.js';
import type { TrackingStore } from '../tracking/index.js';
import {
  DEFAULT_EXPERIMENTS,
  gbdtParamsFrom,
  type PipelineConfig,
  type PipelineKind,
  resolveConfig,
  type TwoStageConfig,
} from './config.js';
import { type Progress, Runner } from './runner.js';
import {
  buildFeatureStep,
  type Calibration,
  calibrateStep,
  type Evaluation,
  evaluateStep,
  type Features,
  finalGbdtStep,
  finalTwoStageStep,
  type LoadedData,
  loadData,
  predictionRowsStep,
  reportStep,
  twoStageWalkForwardStep,
  type ValidationWindow,
  validationWindow,
  type WalkForwardOutput,
  walkForwardStep,
} from './steps.js';

export interface PipelineContext {
  store: TrackingStore;
  trackingUri: string;
  /** An ingested dataset folder (wins over the config's `data`). */
  dataDir?: string;
  /** An in-memory synthetic league (used when there is no dataDir). */
  synthetic?: { seed: number; seasons: number };
  /** Progress lines. */
  out?: (line: string) => void;
  /** Draw progress bars on this TTY instead of plain lines. */
  tty?: NodeJS.WriteStream | null;
  extraTags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

export interface PipelineResult {
  runId: string;
  runName: string;
  experimentId: string;
  metrics: Record<string, number>;
  /** The registration (null when not asked). */
  registration: RegisterResult | null;
  /** The quality report's Markdown (`validate` with `report: true`), also logged on the run. */
  report: string | null;
  seconds: number;
}

/** camelCase GBDT params as the snake_case params MLflow users know, with a prefix. */
function paramsForLogging(p: GbdtParams, prefix = ''): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    out[`${prefix}${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = v as string | number | boolean;
  }
  return out;
}

function twoStageParams(c: TwoStageConfig): TwoStageParams {
  const ts = c.two_stage;
  return {
    mode: ts.mode,
    folds: ts.folds,
    minMinutes: ts.min_minutes,
    minutes: gbdtParamsFrom(ts.minutes, c.seed) as GbdtParamsInput,
    target: gbdtParamsFrom(ts.target, c.seed) as GbdtParamsInput,
  };
}

/** The model-specific parts of a pipeline: how it walks forward, what it serves, what it logs. */
interface ModelPlan {
  modelType: string;
  architecture: string;
  params: Record<string, string | number | boolean>;
  walkForward: (f: Features, w: ValidationWindow, progress?: Progress) => Promise<WalkForwardOutput>;
  final: (f: Features) => ArtifactModel;
  importance: (model: ArtifactModel) => { feature: string; importance: number }[];
}

function modelPlan(cfg: PipelineConfig): ModelPlan {
  if (cfg.pipeline === 'two-stage') {
    const p = twoStageParams(cfg);
    return {
      modelType: 'two_stage',
      architecture: `minutes_then_pra_${p.mode}`,
      params: {
        two_stage_mode: cfg.two_stage.mode,
        two_stage_folds: cfg.two_stage.folds,
        two_stage_min_minutes: cfg.two_stage.min_minutes,
        ...paramsForLogging(resolveParams(p.minutes), 'stage1_'),
        ...paramsForLogging(resolveParams(p.target), 'stage2_'),
      },
      walkForward: (f, w, progress) => twoStageWalkForwardStep(f, p, w, progress),
      final: (f) => finalTwoStageStep(f, p),
      importance: (m) => (m as TwoStageModel).stage2.importanceTable('gain'),
    };
  }
  const params = gbdtParamsFrom(cfg.model, cfg.seed) as GbdtParamsInput;
  return {
    modelType: 'gbdt',
    architecture: 'single_gbdt',
    params: paramsForLogging(resolveParams(params)),
    walkForward: (f, w, progress) => walkForwardStep(f, params, w, progress),
    final: (f) => finalGbdtStep(f, params),
    importance: (m) => (m as GbdtModel).importanceTable('gain'),
  };
}

function dataSource(cfg: PipelineConfig, ctx: PipelineContext) {
  if (ctx.dataDir) return { dataDir: ctx.dataDir };
  if (ctx.synthetic) return { synthetic: ctx.synthetic };
  return { dataDir: cfg.data?.dir ?? null, synthetic: cfg.data?.synthetic ?? null };
}

/** What the steps before the run produced. */
interface Prepared {
  kind: PipelineKind;
  cfg: PipelineConfig;
  plan: ModelPlan;
  data: LoadedData;
  f: Features;
  w: ValidationWindow;
  experimentName: string;
}

function runTags(p: Prepared): StandardTagsInput {
  const { kind, cfg, plan, f, w } = p;
  return {
    pipeline: kind,
    phase: p.experimentName.split('/').at(-1)!,
    objective: cfg.target,
    modelType: plan.modelType,
    modelArchitecture: plan.architecture,
    trainSeasons: w.trainSeasons,
    valSeasons: w.season,
    validationType: `walk_forward_${w.windowDays ? `rolling_${w.windowDays}d` : 'expanding'}_refit_${w.refitEveryDays}d`,
    featureSet: f.set.name,
    featureVersion: f.set.version,
    targetMae: cfg.target_mae,
    sourceName: kind === 'validate' ? 'propflow validate' : `propflow train ${kind}`,
  };
}

/** Config, dataset, lineage and params: everything known before training. */
async function logInputs(t: StandardNBAPropsTracker, p: Prepared): Promise<void> {
  const { kind, cfg, plan, data, f, w } = p;
  await t.logDict('pipeline_config.json', {
    ...cfg,
    experiment: p.experimentName,
    data: { dir: data.datasetDir, synthetic: data.synthetic },
  });
  await t.logDatasetInfo(data.version, {
    name: data.name,
    source: data.version.source,
    datasetDir: data.datasetDir,
    synthetic: data.synthetic,
  });
  await t.logFeatureLineage(f.set, f.baseline);
  await t.logParams({
    pipeline: kind,
    seed: cfg.seed,
    target: cfg.target,
    model: plan.modelType,
    ...plan.params,
    validation_season: w.season,
    validation_start: formatDay(w.start),
    validation_end: formatDay(w.end),
    refit_every_days: w.refitEveryDays,
    window_days: w.windowDays ?? 'expanding',
    walk_forward_strategy:
      w.strategy === 'full'
        ? 'full'
        : `warm_start(full_refit_every_days=${w.strategy.warmStart.fullRefitEveryDays},extra_trees=${w.strategy.warmStart.extraTrees})`,
    n_folds: w.nFolds,
    min_edge: cfg.betting.min_edge,
    baseline_model: 'last_10_average',
    baseline_run: cfg.pipeline === 'validate' ? cfg.baseline_run : null,
  });
}

/** Per-fold metrics in fold order, then the validation, baseline and calibration metrics. */
async function logValidation(
  t: StandardNBAPropsTracker,
  p: Prepared,
  runner: Runner,
  wf: WalkForwardOutput,
): Promise<{ ev: Evaluation; cal: Calibration }> {
  const { cfg, data, f } = p;
  for (const r of wf.folds) {
    t.logWalkForwardFold(r.fold.index, r.fold.foldDate, {
      actual: f.y.subarray(r.fold.testStart, r.fold.testEnd),
      pred: r.pred,
      trainRows: r.fold.trainRows - r.fold.trainStart,
      trainSeconds: r.trainSeconds,
    });
  }
  const ev = await runner.step('evaluate', () =>
    evaluateStep(f, data.ds, wf, {
      minEdge: cfg.betting.min_edge,
      seed: cfg.seed,
      iterations: cfg.betting.bootstrap_iterations,
    }),
  );
  const extra: Record<string, number> = { ...ev.extra };
  if (wf.minutesPred) {
    let s = 0;
    for (let i = 0; i < wf.minutesPred.length; i++)
      s += Math.abs(wf.minutesPred[i]! - f.minutes[wf.valStart + i]!);
    extra['val_minutes_mae'] = s / wf.minutesPred.length;
  }
  t.logValidationMetrics({ regression: ev.regression, betting: ev.betting, extra });
  const vs = await t.logBaselineComparison(
    cfg.pipeline === 'validate' && cfg.baseline_run
      ? cfg.baseline_run
      : { name: 'last_10_average', mae: ev.baseline.mae },
    { mae: ev.regression.mae },
  );
  const actual = f.y.subarray(wf.valStart, wf.valEnd);
  const cal = await runner.step('calibrate', () => calibrateStep(wf, actual, ev.line));
  await t.logCalibration(cal.bins, cal.metrics);
  const b = ev.betting;
  runner.say(
    `validation: MAE ${ev.regression.mae.toFixed(3)} vs baseline ${vs.baselineMae.toFixed(3)} (${vs.pct >= 0 ? '+' : ''}${vs.pct.toFixed(1)}%)` +
      (b
        ? `; ${b.n_bets} bets, win rate ${(100 * b.win_rate).toFixed(1)}%, ROI ${(100 * b.roi).toFixed(1)}%`
        : '; no lines, no betting simulation'),
  );
  return { ev, cal };
}

/** The final model, the prediction artifacts and plots, `model/` with its calibration, registration. */
async function logFinalModel(
  t: StandardNBAPropsTracker,
  p: Prepared,
  runner: Runner,
  wf: WalkForwardOutput,
  v: { ev: Evaluation; cal: Calibration },
): Promise<RegisterResult | null> {
  const { kind, cfg, plan, data, f, w } = p;
  const model = await runner.step('final-model', () => plan.final(f));
  await t.logPredictions(predictionRowsStep(f, data.ds, wf, v.ev, v.cal.pOver), {
    rows: plan.importance(model),
    subtitle: `${plan.modelType === 'two_stage' ? 'stage 2 (PRA) model' : 'final model'} of run ${t.runName}`,
  });
  t.addTrainingInfo('pipeline', kind);
  t.addTrainingInfo('feature_set', { name: f.set.name, version: f.set.version, n_features: f.m.nCols });
  t.addTrainingInfo('validation', {
    season: w.season,
    start: formatDay(w.start),
    end: formatDay(w.end),
    refit_every_days: w.refitEveryDays,
    window_days: w.windowDays,
    n_folds: wf.folds.length,
    n_predictions: wf.pred.length,
  });
  t.addTrainingInfo('final_model', { type: plan.modelType, train_rows: f.m.nRows, params: plan.params });
  const register = cfg.registry.register ?? cfg.pipeline !== 'validate';
  const registration = await t.logModel(model, {
    featureSet: f.set,
    calibration: v.cal.calibration,
    inputExample: inputExampleFrom(f.m, 5),
    flavorExtras: { target: 'pra', feature_set: f.set.name, feature_version: f.set.version, pipeline: kind },
    register: register
      ? {
          name: cfg.registry.model_name,
          gate: cfg.registry.gate ?? `val_mae<${cfg.target_mae}`,
          description: `${kind}: ${f.set.name} ${plan.modelType}, walk-forward ${formatDay(w.start)}..${formatDay(w.end)} (run ${t.runName})`,
        }
      : null,
  });
  if (registration) {
    runner.say(
      registration.registered
        ? `registered ${registration.name} version ${registration.version}`
        : `not registered: ${registration.reason}`,
    );
  }
  return registration;
}

/** Data, features and the validation window: checked before any run is created. */
async function prepare(
  kind: PipelineKind,
  config: unknown,
  ctx: PipelineContext,
  runner: Runner,
): Promise<Prepared> {
  const cfg = resolveConfig(kind, config, `${kind} config`);
  const plan = modelPlan(cfg);
  const data = await runner.step('data', () => loadData(dataSource(cfg, ctx)));
  runner.say(
    `dataset ${data.name} ${data.version.hash.slice(0, 12)}: ${data.version.n_samples.toLocaleString('en-US')} player-games, seasons ${data.version.seasons.join(', ')}`,
  );
  const f = await runner.step('features', () =>
    buildFeatureStep(data.ds, cfg.features.set, cfg.features.baseline),
  );
  const w = await runner.step('window', () => validationWindow(f.m, cfg.validation));
  return { kind, cfg, plan, data, f, w, experimentName: cfg.experiment ?? DEFAULT_EXPERIMENTS[kind] };
}

/**
 * Run one pipeline: `config` is a resolved config or a raw object (validated here, defaults
 * filled); data from `ctx.dataDir`, else `ctx.synthetic`, else the config's `data`. Bad
 * input fails before a run exists; anything failing after ends the run FAILED.
 */
export async function runPipeline(
  kind: PipelineKind,
  config: unknown,
  ctx: PipelineContext,
): Promise<PipelineResult> {
  const t0 = performance.now();
  const runner = new Runner({ ...(ctx.out ? { out: ctx.out } : {}), tty: ctx.tty ?? null });
  const p = await prepare(kind, config, ctx, runner);
  const w = p.w;
  const validation = walkForwardValidationName(w.refitEveryDays, w.windowDays ?? undefined);
  return StandardNBAPropsTracker.withRun(
    {
      store: ctx.store,
      experimentName: p.experimentName,
      name: { date: new Date(), phase: p.cfg.phase, featureSet: p.f.set.name, validation },
      tags: runTags(p),
      extraTags: { ...p.cfg.tags, ...(ctx.extraTags ?? {}) },
      ...(ctx.env ? { env: ctx.env } : {}),
    },
    async (t) => {
      runner.say(
        `tracking to ${ctx.trackingUri}: experiment '${p.experimentName}', run ${t.runName} (${t.runId})`,
      );
      await logInputs(t, p);
      const wf = await runner.step('walk-forward', (progress) => p.plan.walkForward(p.f, w, progress));
      const v = await logValidation(t, p, runner, wf);
      let report: string | null = null;
      if (p.cfg.pipeline === 'validate' && p.cfg.report) {
        const r = await runner.step('report', () =>
          reportStep(p.f, p.data.ds, wf, v.cal, `${t.runName}: ${p.f.set.name}, ${validation}`),
        );
        await t.logQualityReport(r);
        report = r.markdown;
      }
      const registration = await logFinalModel(t, p, runner, wf, v);
      t.logMetrics(runner.timingMetrics());
      return {
        runId: t.runId,
        runName: t.runName,
        experimentId: t.experimentId,
        metrics: { ...t.metrics },
        registration,
        report,
        seconds: (performance.now() - t0) / 1000,
      };
    },
  );
}
