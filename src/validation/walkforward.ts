/**
 * The walk-forward engine: one GBDT fit per fold (by default one fold per game date), each
 * trained only on rows dated before its fold date, predictions for the fold's rows. The
 * matrix is binned once; every fit derives its bin edges from its own training rows.
 */
import { availableParallelism } from 'node:os';
import { InvalidParameterError } from '../errors.js';
import {
  BinnedMatrix,
  checkFeatureMatrix,
  type FeatureMatrix,
  type GbdtParamsInput,
  resolveParams,
} from '../models/index.js';
import { type Fold, walkForwardFolds } from './folds.js';
import {
  type FoldData,
  type FoldOutput,
  planTasks,
  runTask,
  type WalkForwardStrategy,
} from './walkforwardCore.js';
import { runInWorkers } from './walkforwardPool.js';

export type { WalkForwardStrategy } from './walkforwardCore.js';

export interface WalkForwardSpec {
  /** Column-major features, rows sorted by date. */
  X: { nRows: number; nCols: number; values: Float32Array | Float64Array; names?: string[] };
  /** Target per row. */
  y: ArrayLike<number>;
  /** Day numbers (days since 1970-01-01), sorted ascending. */
  dates: Int32Array;
  params: GbdtParamsInput;
  /** First day predicted. */
  start: number;
  /** Last day predicted (default: the last date). */
  end?: number;
  /** Default 1: one fold per game date. */
  refitEveryDays?: number;
  /** Rolling window of this many days; default expanding. */
  windowDays?: number;
  /** Default: available cores. Results are identical for any count. */
  workers?: number;
  /** Default 'full'. */
  strategy?: WalkForwardStrategy;
  /** Progress, in completion order. */
  onFold?: (r: FoldResult, done: number, total: number) => void;
}

export interface FoldResult {
  fold: Fold;
  pred: Float64Array;
  trainSeconds: number;
}

export interface WalkForwardResult {
  /** In fold order. */
  folds: FoldResult[];
  /** Row range `[valStart, valEnd)` predicted. */
  valStart: number;
  valEnd: number;
  /** Length `valEnd − valStart`. */
  pred: Float64Array;
  /** Fold index per predicted row. */
  foldOfRow: Int32Array;
  seconds: number;
}

function checkStrategy(s: unknown): WalkForwardStrategy {
  if (s === undefined || s === 'full') return 'full';
  const w = (s as { warmStart?: { fullRefitEveryDays?: unknown; extraTrees?: unknown } } | null)?.warmStart;
  if (!w || typeof w !== 'object') {
    throw new InvalidParameterError(
      `runWalkForward: strategy must be 'full' or { warmStart: { fullRefitEveryDays, extraTrees } } (got ${JSON.stringify(s)})`,
    );
  }
  const { fullRefitEveryDays: every, extraTrees: extra } = w;
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) {
    throw new InvalidParameterError(
      `runWalkForward: warmStart.fullRefitEveryDays must be a positive whole number of days (got ${JSON.stringify(every)})`,
    );
  }
  if (typeof extra !== 'number' || !Number.isInteger(extra) || extra < 1) {
    throw new InvalidParameterError(
      `runWalkForward: warmStart.extraTrees must be a positive whole number (got ${JSON.stringify(extra)})`,
    );
  }
  return { warmStart: { fullRefitEveryDays: every, extraTrees: extra } };
}

/** The checked inputs of a walk-forward: folds, targets as float64, resolved parameters. */
export interface WalkForwardPlan {
  X: FeatureMatrix;
  y: Float64Array;
  folds: Fold[];
  params: ReturnType<typeof resolveParams>;
  strategy: WalkForwardStrategy;
  workers: number;
}

/** Validate a spec and build its folds (throws `InvalidParameterError` / `DataError` naming the problem). */
export function planWalkForward(spec: WalkForwardSpec): WalkForwardPlan {
  const X = spec.X as FeatureMatrix;
  checkFeatureMatrix(X, 'runWalkForward: X');
  if (!(spec.dates instanceof Int32Array) || spec.dates.length !== X.nRows) {
    throw new InvalidParameterError(
      `runWalkForward: dates must be an Int32Array of day numbers, one per row (${X.nRows}); got ${spec.dates?.length ?? 'none'}`,
    );
  }
  if (!spec.y || spec.y.length !== X.nRows) {
    throw new InvalidParameterError(
      `runWalkForward: y has ${spec.y?.length ?? 'no'} values but X has ${X.nRows} rows; pass one target per row`,
    );
  }
  const workers = spec.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InvalidParameterError(
      `runWalkForward: workers must be a positive integer (got ${spec.workers})`,
    );
  }
  const params = resolveParams(spec.params);
  const strategy = checkStrategy(spec.strategy);
  const folds = walkForwardFolds(spec.dates, {
    start: spec.start,
    refitEveryDays: spec.refitEveryDays ?? 1,
    ...(spec.end !== undefined ? { end: spec.end } : {}),
    ...(spec.windowDays !== undefined ? { windowDays: spec.windowDays } : {}),
  });
  const last = folds.at(-1)!;
  const y = new Float64Array(last.testEnd);
  for (let i = 0; i < last.testEnd; i++) {
    const v = spec.y[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidParameterError(
        `runWalkForward: target row ${i} (day ${spec.dates[i]}) is ${v}; every row up to the last predicted day needs a finite target (drop those rows first)`,
      );
    }
    y[i] = v;
  }
  return { X, y, folds, params, strategy, workers };
}

/** Collects fold outputs into the result, calling `onFold` in completion order. */
class Collector {
  readonly results: (FoldResult | undefined)[];
  done = 0;
  constructor(
    readonly plan: WalkForwardPlan,
    readonly onFold: WalkForwardSpec['onFold'],
  ) {
    this.results = new Array<FoldResult | undefined>(plan.folds.length);
  }
  add(out: FoldOutput): void {
    const fold = this.plan.folds[out.index]!;
    if (out.pred.length !== fold.testEnd - fold.testStart) {
      throw new Error(
        `walk-forward fold ${out.index}: ${out.pred.length} predictions for ${fold.testEnd - fold.testStart} rows`,
      );
    }
    const r: FoldResult = { fold, pred: out.pred, trainSeconds: out.trainSeconds };
    this.results[out.index] = r;
    this.done++;
    this.onFold?.(r, this.done, this.plan.folds.length);
  }
  finish(seconds: number): WalkForwardResult {
    const folds = this.results.map((r, i) => {
      if (!r) throw new Error(`walk-forward fold ${i} produced no predictions`);
      return r;
    });
    const valStart = folds[0]!.fold.testStart;
    const valEnd = folds.at(-1)!.fold.testEnd;
    const pred = new Float64Array(valEnd - valStart);
    const foldOfRow = new Int32Array(valEnd - valStart);
    for (const r of folds) {
      pred.set(r.pred, r.fold.testStart - valStart);
      foldOfRow.fill(r.fold.index, r.fold.testStart - valStart, r.fold.testEnd - valStart);
    }
    return { folds, valStart, valEnd, pred, foldOfRow, seconds };
  }
}

/**
 * Walk-forward validation of a GBDT: folds from `start` to `end` every `refitEveryDays` days,
 * each fold fitted on the rows dated before its fold date (within `windowDays` of it when
 * given) and predicting its rows until the next fold. With `workers` > 1 the folds run on
 * worker threads over shared memory; every fold's fit is the same whichever thread runs it,
 * so the result does not depend on the number of workers.
 */
export async function runWalkForward(spec: WalkForwardSpec): Promise<WalkForwardResult> {
  const t0 = performance.now();
  const plan = planWalkForward(spec);
  const collector = new Collector(plan, spec.onFold);
  const data: FoldData = { X: plan.X, binned: new BinnedMatrix(plan.X), y: plan.y, params: plan.params };
  const tasks = planTasks(plan.folds, plan.strategy);
  const nWorkers = Math.min(plan.workers, tasks.length);
  if (nWorkers <= 1) for (const task of tasks) runTask(data, task, (o) => collector.add(o));
  else await runInWorkers(data, tasks, nWorkers, (o) => collector.add(o));
  return collector.finish((performance.now() - t0) / 1000);
}
