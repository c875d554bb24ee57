/**
 * The two-stage model: stage 1 predicts minutes; stage 2 predicts the target (PRA) — or the
 * target per minute, multiplied back by the minutes estimate — from the same features plus
 * the stage-1 estimate as one more column. One object predicts both, serializes both and
 * reports both stages (params, trees, minutes MAE).
 *
 * Stage 2 trains on OUT-OF-FOLD stage-1 estimates, so it learns how far to trust an estimate
 * as noisy as the ones it gets at serving time (in-sample estimates are closer to the truth
 * and teach stage 2 to over-trust them). Rows are taken to be sorted by date, and the folds
 * chain forward: the rows are cut into `folds + 1` contiguous blocks; the estimate for
 * block k ≥ 1 comes from a stage-1 model fit on the row prefix before it (blocks 0..k−1), a
 * prefix fit on one `BinnedMatrix` (bin edges from the prefix too), so no estimate depends
 * on its own row or any later row. Block 0 has no earlier rows: it only trains stage-1 fold
 * models and is left out of stage 2's training (no in-sample or K-fold fallback, which
 * would let a row's estimate see that row or later ones). The served stage 1 is then fit
 * on all rows. `folds: 1` restores in-sample training of stage 2 on every row.
 */
import { z } from 'zod';
import { DataError, InvalidParameterError } from '../errors.js';
import { BinnedMatrix } from './gbdt/binning.js';
import { checkFeatureMatrix, checkTarget, type FeatureMatrix, sliceRows } from './gbdt/matrix.js';
import { type GbdtModel, type GbdtModelJSON, loadGbdt, trainGbdt } from './gbdt/model.js';
import type { GbdtParamsInput } from './gbdt/params.js';
import { describeIssues, parseJsonText } from './json.js';

export const TWO_STAGE_FORMAT = 'propflow-two-stage';
/** 2: out-of-fold stage-2 training (`folds`, `trainMetrics.minutesOofMae`, `stage2Rows`). Version 1 still loads. */
export const TWO_STAGE_FORMAT_VERSION = 2;
/** Default number of forward-chaining folds for stage 1's out-of-fold estimates. */
export const DEFAULT_FOLDS = 5;
/** Name of the column stage 2 sees with the stage-1 minutes estimate. */
export const MINUTES_FEATURE = 'stage1_minutes';

export type TwoStageMode = 'total' | 'perMinute';

export interface TwoStageParams {
  /** Stage 1 (minutes) booster parameters. */
  minutes?: GbdtParamsInput;
  /** Stage 2 booster parameters. */
  target?: GbdtParamsInput;
  /** 'total': stage 2 predicts the target; 'perMinute': target per minute × minutes. Default 'total'. */
  mode?: TwoStageMode;
  /** perMinute: rows with fewer minutes are left out of stage 2's training. Default 1. */
  minMinutes?: number;
  /**
   * Forward-chaining folds for the out-of-fold stage-1 estimates stage 2 trains on (rows
   * sorted by date; see the module comment). 1 = in-sample estimates on every row. Default 5.
   */
  folds?: number;
}

/** One forward-chaining fold: stage 1 fit on rows `[0, fitRows)` estimates rows `[from, to)`. */
export interface FoldSpec {
  fitRows: number;
  from: number;
  to: number;
}

/** Stage-1 estimates for stage 2's training rows and the plan that produced them. */
export interface OutOfFoldMinutes {
  /** The folds; `fitRows === from` for each (empty for `folds: 1`). */
  plan: FoldSpec[];
  /** First row with an estimate; rows before it (block 0) have none and are NaN. */
  firstRow: number;
  /** One estimate per row of X (clipped at 0), NaN before `firstRow`. */
  estimates: Float64Array;
}

export interface TwoStagePrediction {
  minutes: Float64Array;
  target: Float64Array;
}

export interface StageReport {
  params: GbdtModel['params'];
  nTrees: number;
  bestIteration: number;
  /**
   * MAE on the training rows (in-sample). Stage 2: on its own training input (out-of-fold
   * minutes estimates), in its target's units (per minute in perMinute mode).
   */
  trainMae: number;
}

export interface TwoStageReport {
  mode: TwoStageMode;
  minMinutes: number;
  /** Forward-chaining folds (1 = stage 2 trained on in-sample estimates). */
  folds: number;
  /** Where stage 2's minutes column came from in training. */
  stage2Input: 'outOfFold' | 'inSample';
  /** Rows stage 2 was trained on. */
  stage2Rows: number | null;
  stage1: StageReport & { oofMae: number | null };
  stage2: StageReport;
  /** In-sample MAE of the minutes estimate (stage 1, served model on all rows) and of the final target. */
  minutesMae: number;
  /** MAE of the out-of-fold minutes estimates stage 2 trained on (null with `folds: 1`). */
  minutesOofMae: number | null;
  targetMae: number;
}

export interface TwoStageTrainMetrics {
  minutesMae: number;
  minutesOofMae: number | null;
  targetMae: number;
  stage2TrainMae: number;
  /** null for models saved in format version 1. */
  stage2Rows: number | null;
}

export interface TwoStageJSON {
  format: typeof TWO_STAGE_FORMAT;
  formatVersion: typeof TWO_STAGE_FORMAT_VERSION;
  mode: TwoStageMode;
  minMinutes: number;
  folds: number;
  featureNames: string[] | null;
  trainMetrics: TwoStageTrainMetrics;
  stage1: GbdtModelJSON;
  stage2: GbdtModelJSON;
}

/** X plus one column (the stage-1 estimate), column-major. */
function withMinutes(X: FeatureMatrix, minutes: Float64Array): FeatureMatrix {
  const n = X.nRows;
  const values = new Float32Array(n * (X.nCols + 1));
  values.set(X.values);
  values.set(minutes, n * X.nCols);
  const names = X.names ? [...X.names, MINUTES_FEATURE] : undefined;
  return names ? { nRows: n, nCols: X.nCols + 1, values, names } : { nRows: n, nCols: X.nCols + 1, values };
}

/** Rows `keep` of X (column-major copy). */
function selectRows(X: FeatureMatrix, keep: Int32Array): FeatureMatrix {
  const m = keep.length;
  const values = new Float32Array(m * X.nCols);
  for (let c = 0; c < X.nCols; c++) {
    const src = c * X.nRows;
    const dst = c * m;
    for (let i = 0; i < m; i++) values[dst + i] = X.values[src + keep[i]!]!;
  }
  return X.names
    ? { nRows: m, nCols: X.nCols, values, names: X.names }
    : { nRows: m, nCols: X.nCols, values };
}

function mae(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return a.length ? s / a.length : Number.NaN;
}

export class TwoStageModel {
  readonly mode: TwoStageMode;
  readonly minMinutes: number;
  readonly stage1: GbdtModel;
  readonly stage2: GbdtModel;
  readonly folds: number;
  readonly featureNames: readonly string[] | null;
  readonly trainMetrics: TwoStageTrainMetrics;

  constructor(init: {
    mode: TwoStageMode;
    minMinutes: number;
    folds: number;
    stage1: GbdtModel;
    stage2: GbdtModel;
    featureNames: readonly string[] | null;
    trainMetrics: TwoStageTrainMetrics;
  }) {
    this.mode = init.mode;
    this.minMinutes = init.minMinutes;
    this.folds = init.folds;
    this.stage1 = init.stage1;
    this.stage2 = init.stage2;
    this.featureNames = init.featureNames;
    this.trainMetrics = init.trainMetrics;
  }

  get nFeatures(): number {
    return this.stage1.nFeatures;
  }

  /** Minutes estimate and target prediction for every row of X (the stage-1 feature columns). */
  predict(X: FeatureMatrix): TwoStagePrediction {
    const minutes = this.stage1.predict(X);
    for (let i = 0; i < minutes.length; i++) if (minutes[i]! < 0) minutes[i] = 0;
    const stage2 = this.stage2.predict(withMinutes(X, minutes));
    if (this.mode === 'perMinute') for (let i = 0; i < stage2.length; i++) stage2[i]! *= minutes[i]!;
    return { minutes, target: stage2 };
  }

  /** MAE of both stages on labelled rows. */
  evaluate(
    X: FeatureMatrix,
    minutes: ArrayLike<number>,
    target: ArrayLike<number>,
  ): { minutesMae: number; targetMae: number } {
    const p = this.predict(X);
    return { minutesMae: mae(p.minutes, minutes), targetMae: mae(p.target, target) };
  }

  /** Both stages' parameters, sizes and training errors — what a run logs. */
  report(): TwoStageReport {
    const stage = (m: GbdtModel, trainMae: number): StageReport => ({
      params: m.params,
      nTrees: m.nTrees,
      bestIteration: m.bestIteration,
      trainMae,
    });
    const t = this.trainMetrics;
    return {
      mode: this.mode,
      minMinutes: this.minMinutes,
      folds: this.folds,
      stage2Input: this.folds > 1 ? 'outOfFold' : 'inSample',
      stage2Rows: t.stage2Rows,
      stage1: { ...stage(this.stage1, t.minutesMae), oofMae: t.minutesOofMae },
      stage2: stage(this.stage2, t.stage2TrainMae),
      minutesMae: t.minutesMae,
      minutesOofMae: t.minutesOofMae,
      targetMae: t.targetMae,
    };
  }

  toJSON(): TwoStageJSON {
    return {
      format: TWO_STAGE_FORMAT,
      formatVersion: TWO_STAGE_FORMAT_VERSION,
      mode: this.mode,
      minMinutes: this.minMinutes,
      folds: this.folds,
      featureNames: this.featureNames ? [...this.featureNames] : null,
      trainMetrics: { ...this.trainMetrics },
      stage1: this.stage1.toJSON(),
      stage2: this.stage2.toJSON(),
    };
  }
}

/**
 * The forward-chaining plan for `nRows` date-sorted rows and `folds` folds: `folds + 1`
 * contiguous blocks, block k at `[⌊k·n/(folds+1)⌋, ⌊(k+1)·n/(folds+1)⌋)`; fold k (1..folds)
 * fits stage 1 on the prefix before block k and estimates block k. Block 0 is never estimated.
 */
export function forwardChainingPlan(nRows: number, folds: number): FoldSpec[] {
  checkFolds(folds);
  if (folds === 1) return [];
  if (!Number.isInteger(nRows) || nRows < folds + 1) {
    throw new InvalidParameterError(
      `two-stage folds: ${folds} folds need at least ${folds + 1} rows (got ${nRows}); lower params.folds`,
    );
  }
  const cut = (k: number): number => Math.floor((k * nRows) / (folds + 1));
  const plan: FoldSpec[] = [];
  for (let k = 1; k <= folds; k++) plan.push({ fitRows: cut(k), from: cut(k), to: cut(k + 1) });
  return plan;
}

function checkFolds(folds: number): void {
  if (!Number.isInteger(folds) || folds < 1) {
    throw new InvalidParameterError(
      `two-stage folds must be an integer ≥ 1 (got ${String(folds)}); 1 trains stage 2 on in-sample estimates`,
    );
  }
}

function clipAtZero(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) if (a[i]! < 0) a[i] = 0;
  return a;
}

/**
 * Out-of-fold stage-1 minutes estimates for date-sorted rows (see `forwardChainingPlan`):
 * X is binned once and each fold is a prefix fit on it, so no fold copies or re-bins the
 * rows it trains on. `minutesParams` must not ask for early stopping (there is no
 * validation set per fold); `trainTwoStage` passes the served stage 1's tree count instead.
 */
export function outOfFoldMinutes(
  X: FeatureMatrix,
  minutes: ArrayLike<number>,
  minutesParams: GbdtParamsInput,
  folds: number,
): OutOfFoldMinutes {
  checkFeatureMatrix(X, 'outOfFoldMinutes');
  checkTarget(minutes, X.nRows, 'outOfFoldMinutes: minutes');
  const plan = forwardChainingPlan(X.nRows, folds);
  const estimates = new Float64Array(X.nRows).fill(Number.NaN);
  if (plan.length === 0) {
    estimates.set(clipAtZero(trainGbdt(X, minutes, minutesParams).predict(X)));
    return { plan, firstRow: 0, estimates };
  }
  const binned = new BinnedMatrix(X);
  for (const f of plan) {
    if (f.to === f.from) continue;
    const model = trainGbdt(binned, minutes, minutesParams, { rows: f.fitRows });
    estimates.set(clipAtZero(model.predict(sliceRows(X, f.from, f.to))), f.from);
  }
  return { plan, firstRow: plan[0]!.from, estimates };
}

/**
 * Fit both stages. `minutes` and `target` have one finite value per row of X; rows are
 * sorted by date (the out-of-fold estimates chain forward in row order). Validation data
 * (optional) drives early stopping in each stage when its params ask for it; the stage-1
 * fold models then use the served stage 1's number of trees.
 */
export function trainTwoStage(
  X: FeatureMatrix,
  minutes: ArrayLike<number>,
  target: ArrayLike<number>,
  params: TwoStageParams = {},
  valid?: { X: FeatureMatrix; minutes: ArrayLike<number>; target: ArrayLike<number> },
): TwoStageModel {
  checkFeatureMatrix(X, 'trainTwoStage');
  checkTarget(minutes, X.nRows, 'trainTwoStage: minutes');
  checkTarget(target, X.nRows, 'trainTwoStage: target');
  const mode = params.mode ?? 'total';
  if (mode !== 'total' && mode !== 'perMinute') {
    throw new InvalidParameterError(
      `trainTwoStage: mode must be 'total' or 'perMinute' (got ${String(mode)})`,
    );
  }
  const minMinutes = params.minMinutes ?? 1;
  if (!(minMinutes > 0))
    throw new InvalidParameterError(`trainTwoStage: minMinutes must be > 0 (got ${minMinutes})`);
  const folds = params.folds ?? DEFAULT_FOLDS;
  checkFolds(folds);
  forwardChainingPlan(X.nRows, folds); // row-count check before any fit

  const minutesParams = params.minutes ?? {};
  const stage1 = trainGbdt(
    X,
    minutes,
    minutesParams,
    valid ? { valid: { X: valid.X, y: valid.minutes } } : {},
  );
  let oof: OutOfFoldMinutes;
  if (folds === 1) {
    oof = { plan: [], firstRow: 0, estimates: clipAtZero(stage1.predict(X)) };
  } else {
    const foldParams = { ...minutesParams, nEstimators: stage1.nTrees, earlyStoppingRounds: 0 };
    oof = outOfFoldMinutes(X, minutes, foldParams, folds);
  }
  const first = oof.firstRow;
  const minutesOofMae =
    folds === 1 ? null : mae(oof.estimates.subarray(first), Float64Array.from(minutes).subarray(first));

  const stage2Valid = (): { X: FeatureMatrix; y: Float64Array } | undefined => {
    if (!valid) return undefined;
    let vx = withMinutes(valid.X, clipAtZero(stage1.predict(valid.X)));
    let vy = Float64Array.from(valid.target);
    if (mode === 'perMinute') {
      const keep = Int32Array.from(
        Array.from({ length: vx.nRows }, (_, i) => i).filter((i) => valid.minutes[i]! >= minMinutes),
      );
      vx = selectRows(vx, keep);
      vy = Float64Array.from(keep, (i) => valid.target[i]! / valid.minutes[i]!);
    }
    return { X: vx, y: vy };
  };

  // stage 2's training rows: [first, n), in perMinute mode only those with enough minutes
  const keepList: number[] = [];
  for (let i = first; i < X.nRows; i++) if (mode === 'total' || minutes[i]! >= minMinutes) keepList.push(i);
  if (keepList.length === 0) {
    throw new DataError(
      mode === 'perMinute'
        ? `trainTwoStage: no row from ${first} on has at least minMinutes = ${minMinutes} minutes for stage 2`
        : `trainTwoStage: no row left for stage 2`,
    );
  }
  const keep = Int32Array.from(keepList);
  const X2 = selectRows(withMinutes(X, oof.estimates), keep);
  const y2 =
    mode === 'total'
      ? Float64Array.from(keep, (i) => target[i]!)
      : Float64Array.from(keep, (i) => target[i]! / minutes[i]!);
  const v2 = stage2Valid();
  const stage2 = trainGbdt(X2, y2, params.target ?? {}, v2 ? { valid: v2 } : {});
  const stage2TrainMae = mae(stage2.predict(X2), y2);

  const init = { mode, minMinutes, folds, stage1, stage2, featureNames: X.names ?? null };
  const partial = { minutesOofMae, stage2TrainMae, stage2Rows: keep.length };
  const draft = new TwoStageModel({ ...init, trainMetrics: { ...partial, minutesMae: 0, targetMae: 0 } });
  const fit = draft.evaluate(X, minutes, target);
  return new TwoStageModel({ ...init, trainMetrics: { ...fit, ...partial } });
}

const trainMetricsV1 = z.object({
  minutesMae: z.number(),
  targetMae: z.number(),
  stage2TrainMae: z.number(),
});
const baseSchema = {
  format: z.literal(TWO_STAGE_FORMAT),
  mode: z.enum(['total', 'perMinute']),
  minMinutes: z.number().positive(),
  featureNames: z.array(z.string()).nullable(),
  stage1: z.unknown(),
  stage2: z.unknown(),
};
const twoStageSchema = z.discriminatedUnion('formatVersion', [
  z.object({ ...baseSchema, formatVersion: z.literal(1), trainMetrics: trainMetricsV1 }),
  z.object({
    ...baseSchema,
    formatVersion: z.literal(TWO_STAGE_FORMAT_VERSION),
    folds: z.number().int().min(1),
    trainMetrics: trainMetricsV1.extend({
      minutesOofMae: z.number().nullable(),
      stage2Rows: z.number().int().min(1),
    }),
  }),
]);

/**
 * Load a two-stage model from its JSON form, validating both stages and their shapes.
 * Format version 1 (stage 2 trained on in-sample estimates) loads as `folds: 1`.
 */
export function loadTwoStage(json: unknown, source = 'two-stage model'): TwoStageModel {
  const parsed = twoStageSchema.safeParse(typeof json === 'string' ? parseJsonText(json, source) : json);
  if (!parsed.success) {
    throw new DataError(`${source}: invalid two-stage model: ${describeIssues(parsed.error)}`);
  }
  const m = parsed.data;
  const stage1 = loadGbdt(m.stage1, `${source}: stage1`);
  const stage2 = loadGbdt(m.stage2, `${source}: stage2`);
  if (stage2.nFeatures !== stage1.nFeatures + 1) {
    throw new DataError(
      `${source}: stage2 has ${stage2.nFeatures} features; it must have stage1's ${stage1.nFeatures} plus the minutes estimate`,
    );
  }
  const trainMetrics: TwoStageTrainMetrics =
    m.formatVersion === 1 ? { ...m.trainMetrics, minutesOofMae: null, stage2Rows: null } : m.trainMetrics;
  return new TwoStageModel({
    mode: m.mode,
    minMinutes: m.minMinutes,
    folds: m.formatVersion === 1 ? 1 : m.folds,
    stage1,
    stage2,
    featureNames: m.featureNames,
    trainMetrics,
  });
}
