/**
 * The work of a walk-forward, shared by the main thread (one worker) and the worker threads:
 * the plan (folds grouped into tasks) and the fitting of one task. A task is the unit a
 * thread takes: one fold for full refits, or for warm starts a block of folds that share one
 * full refit. What a fold computes depends only on the fold and the data, never on which
 * thread runs it or in what order, so the result is the same for any number of workers.
 */
import {
  type BinnedMatrix,
  continueGbdt,
  type FeatureMatrix,
  type GbdtModel,
  type GbdtParams,
  sliceRows,
  trainGbdt,
} from '../models/index.js';
import type { Fold } from './folds.js';

/** How folds are fitted: a full refit for every fold, or warm starts between periodic full refits. */
export type WalkForwardStrategy = 'full' | { warmStart: { fullRefitEveryDays: number; extraTrees: number } };

/** One unit of work: its folds, in fold order; `extraTrees` > 0 = warm starts after the first. */
export interface Task {
  id: number;
  folds: Fold[];
  extraTrees: number;
}

/** What every thread holds: the raw matrix (predictions), the binned one (fits), targets, params. */
export interface FoldData {
  X: FeatureMatrix;
  binned: BinnedMatrix;
  y: Float64Array;
  params: GbdtParams;
}

/** A fitted fold as it leaves a task. */
export interface FoldOutput {
  index: number;
  pred: Float64Array;
  trainSeconds: number;
}

/**
 * Group folds into tasks. Full refits: one task per fold. Warm starts: a block per
 * `fullRefitEveryDays` days counted from the first fold date; its first fold is a full refit,
 * the others continue that model. Tasks come largest first (most training rows), so the
 * longest fits start early and threads finish close together.
 */
export function planTasks(folds: readonly Fold[], strategy: WalkForwardStrategy): Task[] {
  const tasks: Task[] = [];
  if (strategy === 'full') {
    for (const f of folds) tasks.push({ id: tasks.length, folds: [f], extraTrees: 0 });
  } else {
    const { fullRefitEveryDays, extraTrees } = strategy.warmStart;
    const first = folds[0]!.foldDate;
    let current: Task | null = null;
    let currentBlock = -1;
    for (const f of folds) {
      const block = Math.floor((f.foldDate - first) / fullRefitEveryDays);
      if (!current || block !== currentBlock) {
        current = { id: tasks.length, folds: [], extraTrees };
        currentBlock = block;
        tasks.push(current);
      }
      current.folds.push(f);
    }
  }
  const cost = (t: Task): number => {
    const f = t.folds[0]!;
    return (f.trainRows - f.trainStart) * (t.extraTrees > 0 ? 1 + (t.folds.length - 1) * 0.15 : 1);
  };
  return tasks.sort((a, b) => cost(b) - cost(a) || a.id - b.id);
}

function predictFold(model: GbdtModel, X: FeatureMatrix, f: Fold): Float64Array {
  return model.predict(sliceRows(X, f.testStart, f.testEnd));
}

/**
 * Fit the folds of one task and hand each fold's predictions to `emit` as soon as it is done.
 * Every model sees only rows `[trainStart, trainRows)` of its own fold: a warm-started fold
 * continues a model fitted on an earlier fold's rows (all dated before that earlier
 * fold's date) with trees fitted on its own rows.
 */
export function runTask(data: FoldData, task: Task, emit: (out: FoldOutput) => void): void {
  const { X, binned, y, params } = data;
  const head = task.folds[0]!;
  let t0 = performance.now();
  const full = trainGbdt(binned, y, params, { rows: head.trainRows, from: head.trainStart });
  emit({
    index: head.index,
    pred: predictFold(full, X, head),
    trainSeconds: (performance.now() - t0) / 1000,
  });
  if (task.folds.length === 1) return;
  if (task.extraTrees <= 0) throw new Error(`walk-forward task ${task.id}: several folds need warm starts`);
  // the full model's scores on every row the later folds train on, computed once
  t0 = performance.now();
  const last = task.folds.at(-1)!;
  let lo = last.trainStart;
  for (const f of task.folds) lo = Math.min(lo, f.trainStart);
  const baseScores = full.predict(sliceRows(X, lo, last.trainRows));
  const shared = (performance.now() - t0) / 1000 / (task.folds.length - 1);
  for (const f of task.folds.slice(1)) {
    t0 = performance.now();
    const model = continueGbdt(full, binned, y, task.extraTrees, {
      rows: f.trainRows,
      from: f.trainStart,
      initScore: baseScores.subarray(f.trainStart - lo, f.trainRows - lo),
    });
    const pred = predictFold(model, X, f);
    emit({ index: f.index, pred, trainSeconds: (performance.now() - t0) / 1000 + shared });
  }
}
