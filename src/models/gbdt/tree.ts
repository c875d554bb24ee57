/** A fitted regression tree in flat typed arrays, and prediction over raw feature values. */
import { DataError } from '../../errors.js';
import type { FeatureMatrix } from './matrix.js';

export interface Tree {
  /** Split feature per node; −1 marks a leaf. Node 0 is the root. */
  readonly feature: Int32Array;
  /** Split condition (float32): `x < threshold` goes left. */
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when missing values go left. */
  readonly defaultLeft: Uint8Array;
  /** Leaf output (learning rate applied); for inner nodes the output they would have as a leaf. */
  readonly value: Float32Array;
  /** Loss reduction of the split (0 for leaves). */
  readonly gain: Float64Array;
  /** Training rows (= hessian sum) reaching the node. */
  readonly cover: Float64Array;
}

/** Growable node storage used while a tree is fitted. */
export class TreeBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  defaultLeft: number[] = [];
  value: number[] = [];
  gain: number[] = [];
  cover: number[] = [];
  /** Training-time split bin (value bins ≤ bin go left); −1 for leaves. */
  bin: number[] = [];

  add(value: number, cover: number): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.defaultLeft.push(0);
    this.value.push(Math.fround(value));
    this.gain.push(0);
    this.cover.push(cover);
    this.bin.push(-1);
    return this.feature.length - 1;
  }

  finish(): Tree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float32Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      value: Float32Array.from(this.value),
      gain: Float64Array.from(this.gain),
      cover: Float64Array.from(this.cover),
    };
  }
}

/** Add one tree's output for every row of `X` into `out` (rows `[0, X.nRows)`). */
export function addTreePrediction(tree: Tree, X: FeatureMatrix, out: Float64Array): void {
  const { feature, threshold, left, right, defaultLeft, value } = tree;
  const vals = X.values;
  const n = X.nRows;
  for (let r = 0; r < n; r++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const x = Math.fround(vals[f * n + r]!);
      if (x < threshold[node]!) node = left[node]!;
      else if (!Number.isNaN(x)) node = right[node]!;
      else node = defaultLeft[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    out[r]! += value[node]!;
  }
}

/**
 * All trees packed into shared arrays: the fast predictor. Children are adjacent (right =
 * left + 1), so a step adds the comparison to `left` instead of branching; a leaf points to
 * itself and compares against NaN (never true), so every row can take exactly `depth` steps
 * without testing for leaves. Four rows walk each tree side by side, overlapping the load
 * chains of their walks.
 */
export class PackedForest {
  private readonly feature: Int32Array;
  private readonly threshold: Float32Array;
  private readonly left: Int32Array;
  /** 1 when missing goes left; 1 at leaves too (so missing stays put). */
  private readonly missingLeft: Uint8Array;
  private readonly value: Float32Array;
  private readonly roots: Int32Array;
  private readonly depths: Int32Array;

  constructor(trees: readonly Tree[]) {
    let total = 0;
    for (const t of trees) total += t.feature.length;
    this.feature = new Int32Array(total);
    this.threshold = new Float32Array(total);
    this.left = new Int32Array(total);
    this.missingLeft = new Uint8Array(total);
    this.value = new Float32Array(total);
    this.roots = new Int32Array(trees.length);
    this.depths = new Int32Array(trees.length);
    let off = 0;
    trees.forEach((t, i) => {
      this.roots[i] = off;
      const m = t.feature.length;
      const depth = new Int32Array(m);
      let maxDepth = 0;
      for (let k = 0; k < m; k++) {
        const j = off + k;
        this.value[j] = t.value[k]!;
        if (t.feature[k]! < 0) {
          this.feature[j] = 0;
          this.threshold[j] = Number.NaN;
          this.left[j] = j;
          this.missingLeft[j] = 1;
          continue;
        }
        if (t.right[k] !== t.left[k]! + 1) {
          throw new DataError(
            `tree ${i}: node ${k} has children ${t.left[k]} and ${t.right[k]}; they must be adjacent`,
          );
        }
        this.feature[j] = t.feature[k]!;
        this.threshold[j] = t.threshold[k]!;
        this.left[j] = t.left[k]! + off;
        this.missingLeft[j] = t.defaultLeft[k]!;
        const d = depth[k]! + 1;
        depth[t.left[k]!] = d;
        depth[t.right[k]!] = d;
        if (d > maxDepth) maxDepth = d;
      }
      this.depths[i] = maxDepth;
      off += m;
    });
  }

  /** `out[r] = base + Σ trees` for every row of `X`. */
  predict(X: FeatureMatrix, base: number, out: Float64Array): void {
    const { feature, threshold, left, missingLeft, value, roots, depths } = this;
    const vals = X.values;
    const n = X.nRows;
    const n4 = n & ~3;
    out.fill(base, 0, n);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      const depth = depths[t]!;
      let r = 0;
      for (; r < n4; r += 4) {
        let a = root;
        let b = root;
        let c = root;
        let d = root;
        for (let s = 0; s < depth; s++) {
          const xa = Math.fround(vals[feature[a]! * n + r]!);
          const xb = Math.fround(vals[feature[b]! * n + r + 1]!);
          const xc = Math.fround(vals[feature[c]! * n + r + 2]!);
          const xd = Math.fround(vals[feature[d]! * n + r + 3]!);
          a = left[a]! + (Number(xa >= threshold[a]!) | (Number(Number.isNaN(xa)) & (1 - missingLeft[a]!)));
          b = left[b]! + (Number(xb >= threshold[b]!) | (Number(Number.isNaN(xb)) & (1 - missingLeft[b]!)));
          c = left[c]! + (Number(xc >= threshold[c]!) | (Number(Number.isNaN(xc)) & (1 - missingLeft[c]!)));
          d = left[d]! + (Number(xd >= threshold[d]!) | (Number(Number.isNaN(xd)) & (1 - missingLeft[d]!)));
        }
        out[r]! += value[a]!;
        out[r + 1]! += value[b]!;
        out[r + 2]! += value[c]!;
        out[r + 3]! += value[d]!;
      }
      for (; r < n; r++) {
        let a = root;
        for (let s = 0; s < depth; s++) {
          const xa = Math.fround(vals[feature[a]! * n + r]!);
          a = left[a]! + (Number(xa >= threshold[a]!) | (Number(Number.isNaN(xa)) & (1 - missingLeft[a]!)));
        }
        out[r]! += value[a]!;
      }
    }
  }
}
