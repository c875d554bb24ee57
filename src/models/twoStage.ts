/**
 * The two-stage model: stage 1 predicts minutes; stage 2 predicts the target (PRA) — or the
 * target per minute, multiplied back by the minutes estimate — from the same features plus
 * the stage-1 estimate as one more column. One object predicts both, serializes both and
 * reports both stages (params, trees, minutes MAE).
 *
 * Stage 2 trains on stage 1's in-sample estimates of the training rows. They are a little
 * more accurate than the estimates stage 2 sees at serving time; the shallow, shrunk trees
 * keep that gap small, and walk-forward validation measures the model as served.
 */
import { z } from 'zod';
import { DataError, InvalidParameterError } from '../errors.js';
import { checkFeatureMatrix, checkTarget, type FeatureMatrix } from './gbdt/matrix.js';
import { type GbdtModel, type GbdtModelJSON, loadGbdt, trainGbdt } from './gbdt/model.js';
import type { GbdtParamsInput } from './gbdt/params.js';

export const TWO_STAGE_FORMAT = 'propflow-two-stage';
export const TWO_STAGE_FORMAT_VERSION = 1;
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
}

export interface TwoStagePrediction {
  minutes: Float64Array;
  target: Float64Array;
}

export interface StageReport {
  params: GbdtModel['params'];
  nTrees: number;
  bestIteration: number;
  /** MAE on the training rows (in-sample). */
  trainMae: number;
}

export interface TwoStageReport {
  mode: TwoStageMode;
  minMinutes: number;
  stage1: StageReport;
  stage2: StageReport;
  /** In-sample MAE of the minutes estimate (stage 1) and of the final target. */
  minutesMae: number;
  targetMae: number;
}

export interface TwoStageJSON {
  format: typeof TWO_STAGE_FORMAT;
  formatVersion: typeof TWO_STAGE_FORMAT_VERSION;
  mode: TwoStageMode;
  minMinutes: number;
  featureNames: string[] | null;
  trainMetrics: { minutesMae: number; targetMae: number; stage2TrainMae: number };
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
  readonly featureNames: readonly string[] | null;
  readonly trainMetrics: { minutesMae: number; targetMae: number; stage2TrainMae: number };

  constructor(init: {
    mode: TwoStageMode;
    minMinutes: number;
    stage1: GbdtModel;
    stage2: GbdtModel;
    featureNames: readonly string[] | null;
    trainMetrics: { minutesMae: number; targetMae: number; stage2TrainMae: number };
  }) {
    this.mode = init.mode;
    this.minMinutes = init.minMinutes;
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
    return {
      mode: this.mode,
      minMinutes: this.minMinutes,
      stage1: stage(this.stage1, this.trainMetrics.minutesMae),
      stage2: stage(this.stage2, this.trainMetrics.stage2TrainMae),
      minutesMae: this.trainMetrics.minutesMae,
      targetMae: this.trainMetrics.targetMae,
    };
  }

  toJSON(): TwoStageJSON {
    return {
      format: TWO_STAGE_FORMAT,
      formatVersion: TWO_STAGE_FORMAT_VERSION,
      mode: this.mode,
      minMinutes: this.minMinutes,
      featureNames: this.featureNames ? [...this.featureNames] : null,
      trainMetrics: { ...this.trainMetrics },
      stage1: this.stage1.toJSON(),
      stage2: this.stage2.toJSON(),
    };
  }
}

/**
 * Fit both stages on the same rows. `minutes` and `target` have one finite value per row of X.
 * Validation data (optional) drives early stopping in each stage when its params ask for it.
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

  const stage1 = trainGbdt(
    X,
    minutes,
    params.minutes ?? {},
    valid ? { valid: { X: valid.X, y: valid.minutes } } : {},
  );
  const minutesHat = stage1.predict(X);
  for (let i = 0; i < minutesHat.length; i++) if (minutesHat[i]! < 0) minutesHat[i] = 0;
  const X2 = withMinutes(X, minutesHat);

  const stage2Valid = (): { X: FeatureMatrix; y: Float64Array } | undefined => {
    if (!valid) return undefined;
    const vm = stage1.predict(valid.X);
    for (let i = 0; i < vm.length; i++) if (vm[i]! < 0) vm[i] = 0;
    let vx = withMinutes(valid.X, vm);
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

  let stage2: GbdtModel;
  let stage2TrainMae: number;
  const v2 = stage2Valid();
  if (mode === 'total') {
    stage2 = trainGbdt(X2, target, params.target ?? {}, v2 ? { valid: v2 } : {});
    stage2TrainMae = mae(stage2.predict(X2), target);
  } else {
    const keepList: number[] = [];
    for (let i = 0; i < X.nRows; i++) if (minutes[i]! >= minMinutes) keepList.push(i);
    if (keepList.length === 0) {
      throw new DataError(
        `trainTwoStage: no row has at least minMinutes = ${minMinutes} minutes for stage 2`,
      );
    }
    const keep = Int32Array.from(keepList);
    const rate = Float64Array.from(keep, (i) => target[i]! / minutes[i]!);
    const Xk = selectRows(X2, keep);
    stage2 = trainGbdt(Xk, rate, params.target ?? {}, v2 ? { valid: v2 } : {});
    stage2TrainMae = mae(stage2.predict(Xk), rate);
  }
  const init = { mode, minMinutes, stage1, stage2, featureNames: X.names ?? null };
  const draft = new TwoStageModel({ ...init, trainMetrics: { minutesMae: 0, targetMae: 0, stage2TrainMae } });
  const fit = draft.evaluate(X, minutes, target);
  return new TwoStageModel({ ...init, trainMetrics: { ...fit, stage2TrainMae } });
}

const twoStageSchema = z.object({
  format: z.literal(TWO_STAGE_FORMAT),
  formatVersion: z.literal(TWO_STAGE_FORMAT_VERSION),
  mode: z.enum(['total', 'perMinute']),
  minMinutes: z.number().positive(),
  featureNames: z.array(z.string()).nullable(),
  trainMetrics: z.object({ minutesMae: z.number(), targetMae: z.number(), stage2TrainMae: z.number() }),
  stage1: z.unknown(),
  stage2: z.unknown(),
});

/** Load a two-stage model from its JSON form, validating both stages and their shapes. */
export function loadTwoStage(json: unknown, source = 'two-stage model'): TwoStageModel {
  const parsed = twoStageSchema.safeParse(typeof json === 'string' ? safeJson(json, source) : json);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DataError(`${source}: invalid two-stage model: ${msg}`);
  }
  const m = parsed.data;
  const stage1 = loadGbdt(m.stage1, `${source}: stage1`);
  const stage2 = loadGbdt(m.stage2, `${source}: stage2`);
  if (stage2.nFeatures !== stage1.nFeatures + 1) {
    throw new DataError(
      `${source}: stage2 has ${stage2.nFeatures} features; it must have stage1's ${stage1.nFeatures} plus the minutes estimate`,
    );
  }
  return new TwoStageModel({
    mode: m.mode,
    minMinutes: m.minMinutes,
    stage1,
    stage2,
    featureNames: m.featureNames,
    trainMetrics: m.trainMetrics,
  });
}

function safeJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(`${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}
