/** A fitted regression tree in flat typed arrays, and prediction over raw feature values. */
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

/** All trees packed into shared arrays, children as absolute indices: the fast predictor. */
export class PackedForest {
  private readonly feature: Int32Array;
  private readonly threshold: Float32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly defaultLeft: Uint8Array;
  private readonly value: Float32Array;
  private readonly roots: Int32Array;

  constructor(trees: readonly Tree[]) {
    let total = 0;
    for (const t of trees) total += t.feature.length;
    this.feature = new Int32Array(total);
    this.threshold = new Float32Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.defaultLeft = new Uint8Array(total);
    this.value = new Float32Array(total);
    this.roots = new Int32Array(trees.length);
    let off = 0;
    trees.forEach((t, i) => {
      this.roots[i] = off;
      const m = t.feature.length;
      this.feature.set(t.feature, off);
      this.threshold.set(t.threshold, off);
      this.defaultLeft.set(t.defaultLeft, off);
      this.value.set(t.value, off);
      for (let k = 0; k < m; k++) {
        this.left[off + k] = t.left[k]! + off;
        this.right[off + k] = t.right[k]! + off;
      }
      off += m;
    });
  }

  /** `out[r] = base + Σ trees` for every row of `X`. */
  predict(X: FeatureMatrix, base: number, out: Float64Array): void {
    const { feature, threshold, left, right, defaultLeft, value, roots } = this;
    const vals = X.values;
    const n = X.nRows;
    out.fill(base, 0, n);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      for (let r = 0; r < n; r++) {
        let node = root;
        let f = feature[node]!;
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
  }
}
