/**
 * The walk-forward step's engine, behind one function with the contract's shape
 * (`WalkForwardSpec` → `WalkForwardResult`, see src/validation's `runWalkForward`). This is a
 * sequential prefix-fit loop: features binned once, each fold fit on the rows dated before its
 * fold date (or its rolling window), predicting the fold's rows.
 */
import {
  BinnedMatrix,
  type FeatureMatrix,
  type GbdtParamsInput,
  sliceRows,
  trainGbdt,
} from '../models/index.js';
import { type Fold, walkForwardFolds } from '../validation/index.js';

export interface EngineSpec {
  X: FeatureMatrix;
  y: ArrayLike<number>;
  dates: Int32Array;
  params: GbdtParamsInput;
  start: number;
  end?: number;
  refitEveryDays?: number;
  windowDays?: number;
  onFold?: (r: EngineFold, done: number, total: number) => void;
}

export interface EngineFold {
  fold: Fold;
  pred: Float64Array;
  trainSeconds: number;
}

export interface EngineResult {
  folds: EngineFold[];
  valStart: number;
  valEnd: number;
  pred: Float64Array;
  foldOfRow: Int32Array;
  seconds: number;
}

function lowerBound(dates: Int32Array, day: number): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Walk-forward predictions of one GBDT configuration. */
export async function walkForwardEngine(spec: EngineSpec): Promise<EngineResult> {
  const t0 = performance.now();
  const folds = walkForwardFolds(spec.dates, {
    start: spec.start,
    ...(spec.end !== undefined ? { end: spec.end } : {}),
    refitEveryDays: spec.refitEveryDays ?? 1,
  });
  const valStart = folds[0]!.testStart;
  const valEnd = folds.at(-1)!.testEnd;
  const pred = new Float64Array(valEnd - valStart);
  const foldOfRow = new Int32Array(valEnd - valStart);
  const y = Float64Array.from(spec.y);
  const binned = spec.windowDays ? null : new BinnedMatrix(spec.X);
  const out: EngineFold[] = [];
  for (const fold of folds) {
    const t = performance.now();
    let model: ReturnType<typeof trainGbdt>;
    if (binned) {
      model = trainGbdt(binned, y, spec.params, { rows: fold.trainRows });
    } else {
      const from = lowerBound(spec.dates, fold.foldDate - spec.windowDays!);
      model = trainGbdt(
        sliceRows(spec.X, from, fold.trainRows),
        y.subarray(from, fold.trainRows),
        spec.params,
      );
    }
    const p = model.predict(sliceRows(spec.X, fold.testStart, fold.testEnd));
    pred.set(p, fold.testStart - valStart);
    foldOfRow.fill(fold.index, fold.testStart - valStart, fold.testEnd - valStart);
    const r: EngineFold = { fold, pred: p, trainSeconds: (performance.now() - t) / 1000 };
    out.push(r);
    spec.onFold?.(r, out.length, folds.length);
    // let progress output and timers run between folds
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { folds: out, valStart, valEnd, pred, foldOfRow, seconds: (performance.now() - t0) / 1000 };
}
