/**
 * The boosting loop and tree growth.
 *
 * Per round: gradients of the loss at the current scores (unit hessians), a seeded row and
 * column sample, then one tree grown from histograms. A node's rows are a segment of one
 * index buffer that is partitioned in place; of two siblings only the smaller one's
 * histogram is built from rows, the larger one is the parent's minus it (in the parent's
 * buffer). Children that cannot split (depth limit, too few rows) get no histogram at all.
 */
import { DataError, InvalidParameterError } from '../../errors.js';
import type { BinLayout, BinnedMatrix } from './binning.js';
import {
  buildHistFeatures,
  buildHistIndexed,
  buildHistRange,
  clearHist,
  emptySplit,
  findBestSplit,
  HIST_FEATURE_STRIDE,
  packing,
  partitionRows,
  type SplitInfo,
  subtractHist,
} from './histogram.js';
import { checkFeatureMatrix, checkTarget, type FeatureMatrix } from './matrix.js';
import type { GbdtParams, Loss } from './params.js';
import { addTreePrediction, type Tree, TreeBuilder } from './tree.js';

export interface ValidationSet {
  readonly X: FeatureMatrix;
  readonly y: ArrayLike<number>;
}

export interface TrainOptions {
  /** Train on the row prefix `[0, rows)` of the binned matrix (walk-forward). Default: all rows. */
  rows?: number;
  /** First training row: train on `[from, rows)` (a rolling window). Default 0. */
  from?: number;
  /**
   * Starting scores of the training rows `[from, rows)` (continuing an existing model: its
   * predictions on those rows). Default: every row starts at the base score.
   */
  initScore?: Float64Array;
  /** Validation data for early stopping and the metric history. */
  valid?: ValidationSet;
}

export interface TrainResult {
  trees: Tree[];
  baseScore: number;
  trainRows: number;
  /** Index of the best round on the validation set (last round without one). */
  bestIteration: number;
  /** Validation metric per round (RMSE, MAE or mean Huber loss); empty without a validation set. */
  validHistory: number[];
  /** Name of the validation metric. */
  metric: string;
}

/** mulberry32: small, fast, seedable; every random step in training draws from one. */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function metricName(loss: Loss): string {
  return loss === 'squared' ? 'rmse' : loss === 'absolute' ? 'mae' : 'huber';
}

/** The loss's natural metric (lower is better) between predictions and targets. */
export function lossMetric(loss: Loss, delta: number, pred: Float64Array, y: ArrayLike<number>): number {
  const n = y.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - y[i]!;
    if (loss === 'squared') s += d * d;
    else if (loss === 'absolute') s += Math.abs(d);
    else {
      const a = Math.abs(d);
      s += a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
    }
  }
  return loss === 'squared' ? Math.sqrt(s / n) : s / n;
}

function median(values: Float64Array): number {
  const s = values.slice().sort();
  const m = s.length;
  if (m === 0) return 0;
  return m % 2 ? s[(m - 1) >> 1]! : 0.5 * (s[m / 2 - 1]! + s[m / 2]!);
}

interface Work {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  C: number;
  hist: Float64Array | null;
  split: SplitInfo;
}

/** Fit trees on rows `[0, rows)` of a binned matrix. Params must be resolved already. */
export function trainTrees(
  data: BinnedMatrix,
  y: ArrayLike<number>,
  params: GbdtParams,
  opts: TrainOptions = {},
): TrainResult {
  const N = data.nRows;
  const p = data.nCols;
  const end = opts.rows ?? N;
  if (!Number.isInteger(end) || end < 1 || end > N) {
    throw new InvalidParameterError(`train: rows must be an integer in [1, ${N}] (got ${opts.rows})`);
  }
  const from = opts.from ?? 0;
  if (!Number.isInteger(from) || from < 0 || from >= end) {
    throw new InvalidParameterError(`train: from must be an integer in [0, ${end}) (got ${opts.from})`);
  }
  const n = end - from;
  const init = opts.initScore;
  if (init !== undefined && init.length !== n) {
    throw new InvalidParameterError(
      `train: initScore has ${init.length} values for ${n} training rows [${from}, ${end})`,
    );
  }
  if (y.length !== N) {
    throw new InvalidParameterError(
      `train: the target has ${y.length} values but the feature matrix has ${N} rows; they must match`,
    );
  }
  for (let i = from; i < end; i++) {
    const v = y[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DataError(
        `train: target row ${i} is ${v}; targets must be finite numbers (drop or fill that row)`,
      );
    }
  }
  const valid = opts.valid;
  if (valid) {
    checkFeatureMatrix(valid.X, 'train: validation set');
    if (valid.X.nCols !== p) {
      throw new InvalidParameterError(
        `train: the validation matrix has ${valid.X.nCols} features but the training matrix has ${p}`,
      );
    }
    checkTarget(valid.y, valid.X.nRows, 'train: validation set');
  }
  if (valid && init) {
    throw new InvalidParameterError(
      'train: a validation set cannot be combined with initScore (continued boosting)',
    );
  }
  if (params.earlyStoppingRounds > 0 && !valid) {
    throw new InvalidParameterError('train: earlyStoppingRounds > 0 needs a validation set (opts.valid)');
  }

  const layout: BinLayout = data.prepare(end, params.maxBin, from);
  const { codes, codesByColumn, nBins, cuts, lowest } = layout;
  const { loss, huberDelta: delta, learningRate: lr, lambda } = params;
  // unit hessians: a child's hessian sum is its row count
  const minChild = Math.max(params.minChildSamples, Math.ceil(params.minChildWeight), 1);

  const yv = new Float64Array(n);
  for (let i = 0; i < n; i++) yv[i] = y[from + i]!;
  let base = params.baseScore;
  if (base === undefined) {
    if (loss === 'absolute') base = median(yv);
    else {
      let s = 0;
      for (let i = 0; i < n; i++) s += yv[i]!;
      base = s / n;
    }
  }
  base = Math.fround(base);

  const score = init ? Float64Array.from(init) : new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const packed = new Float64Array(n);
  const pk = packing(n);
  const rowIdx = new Int32Array(n);
  const tmp = new Int32Array(n);
  const inSample = new Uint8Array(n);
  const residual = loss === 'absolute' ? new Float64Array(n) : null;
  const histSize = p * HIST_FEATURE_STRIDE;
  const pool: Float64Array[] = [];
  const takeHist = (): Float64Array => pool.pop() ?? new Float64Array(histSize);
  const goesLeft = new Uint8Array(256);
  const rng = makeRng(params.seed);
  const allFeats = new Int32Array(p);
  for (let f = 0; f < p; f++) allFeats[f] = f;
  const feats = new Int32Array(p);
  const nColSample = Math.max(1, Math.round(params.colsampleByTree * p));

  const validScore = valid ? new Float64Array(valid.X.nRows).fill(base) : null;
  const validHistory: number[] = [];
  let bestIteration = 0;
  let bestMetric = Number.POSITIVE_INFINITY;
  const trees: Tree[] = [];

  for (let iter = 0; iter < params.nEstimators; iter++) {
    // gradients (hessians are all 1) and their largest magnitude
    let maxAbs = 0;
    if (loss === 'squared') {
      for (let i = 0; i < n; i++) {
        const g = score[i]! - yv[i]!;
        grad[i] = g;
        const a = Math.abs(g);
        if (a > maxAbs) maxAbs = a;
      }
    } else if (loss === 'absolute') {
      for (let i = 0; i < n; i++) {
        const d = score[i]! - yv[i]!;
        grad[i] = d > 0 ? 1 : d < 0 ? -1 : 0;
      }
      maxAbs = 1;
    } else {
      for (let i = 0; i < n; i++) {
        const g = Math.min(delta, Math.max(-delta, score[i]! - yv[i]!));
        grad[i] = g;
        const a = Math.abs(g);
        if (a > maxAbs) maxAbs = a;
      }
    }
    // quantised gradients packed with a unit count (see histogram.ts), row sample, and the
    // root's quantised gradient sum
    const step = maxAbs > 0 ? maxAbs / pk.qmax : 1;
    const invStep = 1 / step;
    const packScale = pk.scale;
    let m = 0;
    let G0 = 0;
    if (params.subsample < 1) {
      for (let i = 0; i < n; i++) {
        const q = Math.floor(grad[i]! * invStep + 0.5);
        packed[i] = q * packScale + 1;
        const take = rng() < params.subsample ? 1 : 0;
        inSample[i] = take;
        if (take) {
          rowIdx[m++] = i;
          G0 += q;
        }
      }
      if (m === 0) {
        rowIdx[0] = 0;
        inSample[0] = 1;
        m = 1;
        G0 = Math.floor(grad[0]! * invStep + 0.5);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const q = Math.floor(grad[i]! * invStep + 0.5);
        packed[i] = q * packScale + 1;
        rowIdx[i] = i;
        G0 += q;
      }
      m = n;
    }
    // column sample: active = sampled ∩ splittable
    let nFeats = 0;
    if (nColSample < p) {
      const perm = allFeats.slice();
      for (let k = 0; k < nColSample; k++) {
        const j = k + Math.floor(rng() * (p - k));
        const t = perm[k]!;
        perm[k] = perm[j]!;
        perm[j] = t;
      }
      const chosen = perm.subarray(0, nColSample).sort();
      for (const f of chosen) if (nBins[f]! >= 2) feats[nFeats++] = f;
    } else {
      for (let f = 0; f < p; f++) if (nBins[f]! >= 2) feats[nFeats++] = f;
    }
    const fullWidth = nFeats === p;
    const build = (hist: Float64Array, start: number, end: number): void => {
      clearHist(hist, feats, nFeats, p);
      if (!fullWidth) buildHistFeatures(hist, codes, p, packed, rowIdx, start, end, feats, nFeats);
      else if (start === 0 && end === n && m === n) buildHistRange(hist, codes, p, packed, 0, n);
      else buildHistIndexed(hist, codes, p, packed, rowIdx, start, end);
    };

    const tree = new TreeBuilder();
    const root: Work = {
      node: tree.add((lr * -G0 * step) / (m + lambda), m),
      start: 0,
      end: m,
      depth: 0,
      G: G0,
      C: m,
      hist: null,
      split: emptySplit(),
    };
    const leaves: Work[] = [];
    const candidates: Work[] = [];
    const canSplit = (w: Work): boolean =>
      (params.maxDepth === 0 || w.depth < params.maxDepth) && w.C >= 2 * minChild && nFeats > 0;
    const consider = (w: Work): void => {
      if (w.hist) {
        findBestSplit(w.hist, feats, nFeats, nBins, w.G, w.C, lambda, pk.scale, minChild, w.split);
        w.split.gain *= step * step;
        if (w.split.feature >= 0 && w.split.gain > params.minSplitGain && w.split.gain > 0) {
          candidates.push(w);
          return;
        }
        pool.push(w.hist);
        w.hist = null;
      }
      leaves.push(w);
    };
    if (canSplit(root)) {
      root.hist = takeHist();
      build(root.hist, 0, m);
    }
    consider(root);
    let nLeaves = 1;
    const lossguide = params.growPolicy === 'lossguide';
    while (candidates.length > 0) {
      if (params.numLeaves > 0 && nLeaves >= params.numLeaves) break;
      let pick = 0;
      if (lossguide) {
        for (let k = 1; k < candidates.length; k++) {
          if (candidates[k]!.split.gain > candidates[pick]!.split.gain) pick = k;
        }
      }
      const w = candidates.splice(pick, 1)[0]!;
      const s = w.split;
      // record the split
      const id = w.node;
      tree.feature[id] = s.feature;
      tree.threshold[id] = s.bin === 0 ? lowest[s.feature]! : cuts[s.feature]![s.bin - 1]!;
      tree.defaultLeft[id] = s.defaultLeft ? 1 : 0;
      tree.gain[id] = s.gain;
      tree.bin[id] = s.bin;
      goesLeft.fill(0);
      goesLeft.fill(1, 1, s.bin + 1);
      goesLeft[0] = s.defaultLeft ? 1 : 0;
      const column = codesByColumn.subarray(s.feature * N, s.feature * N + n);
      const mid = partitionRows(rowIdx, tmp, w.start, w.end, column, goesLeft);
      const GL = s.leftG;
      const CL = mid - w.start;
      const GR = w.G - GL;
      const CR = w.end - mid;
      const leftId = tree.add((lr * -GL * step) / (CL + lambda), CL);
      const rightId = tree.add((lr * -GR * step) / (CR + lambda), CR);
      tree.left[id] = leftId;
      tree.right[id] = rightId;
      nLeaves++;
      const L: Work = {
        node: leftId,
        start: w.start,
        end: mid,
        depth: w.depth + 1,
        G: GL,
        C: CL,
        hist: null,
        split: emptySplit(),
      };
      const R: Work = {
        node: rightId,
        start: mid,
        end: w.end,
        depth: w.depth + 1,
        G: GR,
        C: CR,
        hist: null,
        split: emptySplit(),
      };
      const small = CL <= CR ? L : R;
      const large = small === L ? R : L;
      const parentHist = w.hist!;
      w.hist = null;
      const splitSmall = canSplit(small);
      const splitLarge = canSplit(large);
      if (splitSmall || splitLarge) {
        const h = takeHist();
        build(h, small.start, small.end);
        if (splitLarge) {
          subtractHist(parentHist, h, feats, nFeats, nBins);
          large.hist = parentHist;
        } else pool.push(parentHist);
        if (splitSmall) small.hist = h;
        else pool.push(h);
      } else pool.push(parentHist);
      consider(L);
      consider(R);
    }
    for (const w of candidates) {
      if (w.hist) pool.push(w.hist);
      w.hist = null;
      leaves.push(w);
    }

    // leaf values from the exact gradients, and training scores
    for (const w of leaves) {
      let v: number;
      if (!residual) {
        let g = 0;
        for (let i = w.start; i < w.end; i++) g += grad[rowIdx[i]!]!;
        v = Math.fround((lr * -g) / (w.end - w.start + lambda));
        tree.value[w.node] = v;
      } else {
        const k = w.end - w.start;
        const res = residual.subarray(0, k);
        for (let i = 0; i < k; i++) {
          const r = rowIdx[w.start + i]!;
          res[i] = yv[r]! - score[r]!;
        }
        v = w.end > w.start ? Math.fround(lr * median(res)) : 0;
        tree.value[w.node] = v;
      }
      for (let i = w.start; i < w.end; i++) score[rowIdx[i]!]! += v;
    }
    if (m < n) {
      // rows left out of the sample: walk the tree on bin codes
      const { feature, bin, left, right, defaultLeft, value } = tree;
      for (let r = 0; r < n; r++) {
        if (inSample[r]) continue;
        let node = 0;
        let f = feature[0]!;
        while (f >= 0) {
          const c = codes[r * p + f]!;
          const goLeft = c === 0 ? defaultLeft[node] === 1 : c <= bin[node]!;
          node = goLeft ? left[node]! : right[node]!;
          f = feature[node]!;
        }
        score[r]! += value[node]!;
      }
    }
    const fitted = tree.finish();
    trees.push(fitted);

    if (valid && validScore) {
      addTreePrediction(fitted, valid.X, validScore);
      const metric = lossMetric(loss, delta, validScore, valid.y);
      validHistory.push(metric);
      if (metric < bestMetric) {
        bestMetric = metric;
        bestIteration = iter;
      } else if (params.earlyStoppingRounds > 0 && iter - bestIteration >= params.earlyStoppingRounds) {
        break;
      }
    } else bestIteration = iter;
  }
  if (params.earlyStoppingRounds > 0) trees.length = bestIteration + 1;
  return {
    trees,
    baseScore: base,
    trainRows: n,
    bestIteration,
    validHistory,
    metric: metricName(loss),
  };
}
