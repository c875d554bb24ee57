/**
 * Hot loops: gradient histograms, histogram subtraction, split search and row partitioning.
 *
 * Layout: one histogram holds, per feature, 256 bins × (gradient sum, row count) in a
 * `Float64Array` — feature f starts at `f * HIST_FEATURE_STRIDE`, bin b at `+ 2b`. Every
 * loss in this engine has unit hessians, so the count is also the hessian sum. Bin codes
 * are row-major `Uint8Array` (`codes[r * nCols + f]`), so building a node's histogram
 * reads each of its rows' codes as one contiguous run.
 */

export const HIST_FEATURE_STRIDE = 512;

/** Histogram of rows `rowIdx[start..end)` over all `p` features (unrolled by four). */
export function buildHistIndexed(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  grad: Float64Array,
  rowIdx: Int32Array,
  start: number,
  end: number,
): void {
  const p4 = p & ~3;
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    const g = grad[r]!;
    let base = r * p;
    let o = 0;
    let f = 0;
    for (; f < p4; f += 4) {
      let k = o + (codes[base]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 512 + (codes[base + 1]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 1024 + (codes[base + 2]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 1536 + (codes[base + 3]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      base += 4;
      o += 2048;
    }
    for (; f < p; f++) {
      const k = o + (codes[base]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      base++;
      o += 512;
    }
  }
}

/** Histogram of the contiguous rows `[start, end)` over all features (the unsampled root). */
export function buildHistRange(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  grad: Float64Array,
  start: number,
  end: number,
): void {
  const p4 = p & ~3;
  for (let r = start; r < end; r++) {
    const g = grad[r]!;
    let base = r * p;
    let o = 0;
    let f = 0;
    for (; f < p4; f += 4) {
      let k = o + (codes[base]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 512 + (codes[base + 1]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 1024 + (codes[base + 2]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      k = o + 1536 + (codes[base + 3]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      base += 4;
      o += 2048;
    }
    for (; f < p; f++) {
      const k = o + (codes[base]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
      base++;
      o += 512;
    }
  }
}

/** Histogram of rows `rowIdx[start..end)` over the listed features only (column sampling). */
export function buildHistFeatures(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  grad: Float64Array,
  rowIdx: Int32Array,
  start: number,
  end: number,
  feats: Int32Array,
  nFeats: number,
): void {
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    const g = grad[r]!;
    const base = r * p;
    for (let j = 0; j < nFeats; j++) {
      const f = feats[j]!;
      const k = (f << 9) + (codes[base + f]! << 1);
      hist[k]! += g;
      hist[k + 1]! += 1;
    }
  }
}

/** Zero the listed features' slices of a histogram (all of it when every feature is active). */
export function clearHist(hist: Float64Array, feats: Int32Array, nFeats: number, p: number): void {
  if (nFeats === p) {
    hist.fill(0);
    return;
  }
  for (let j = 0; j < nFeats; j++) {
    const o = feats[j]! << 9;
    hist.fill(0, o, o + HIST_FEATURE_STRIDE);
  }
}

/** `parent -= child` over the listed features: the sibling's histogram, in the parent's buffer. */
export function subtractHist(
  parent: Float64Array,
  child: Float64Array,
  feats: Int32Array,
  nFeats: number,
  nBins: Int32Array,
): void {
  for (let j = 0; j < nFeats; j++) {
    const f = feats[j]!;
    const o = f << 9;
    const end = o + ((nBins[f]! + 1) << 1);
    for (let k = o; k < end; k++) parent[k]! -= child[k]!;
  }
}

/** The best split of one node; `gain` is −Infinity when none is allowed. */
export interface SplitInfo {
  gain: number;
  feature: number;
  /** Value bins `1..bin` go left. */
  bin: number;
  /** Missing values (bin 0) go left. */
  defaultLeft: boolean;
  /** Gradient sum and row count of the left child (missing included when they go left). */
  leftG: number;
  leftC: number;
}

export function emptySplit(): SplitInfo {
  return { gain: Number.NEGATIVE_INFINITY, feature: -1, bin: 0, defaultLeft: false, leftG: 0, leftC: 0 };
}

/**
 * Exact best split over a histogram: every cut between value bins, missing values tried on
 * both sides. Gain = G_L²/(C_L+λ) + G_R²/(C_R+λ) − G²/(C+λ); children need `minChild` rows.
 * Ties keep the first candidate (lowest feature, then lowest bin, missing right first).
 */
export function findBestSplit(
  hist: Float64Array,
  feats: Int32Array,
  nFeats: number,
  nBins: Int32Array,
  G: number,
  C: number,
  lambda: number,
  minChild: number,
  out: SplitInfo,
): void {
  const parent = (G * G) / (C + lambda);
  let best = Number.NEGATIVE_INFINITY;
  let bestF = -1;
  let bestB = 0;
  let bestDL = false;
  let bestG = 0;
  let bestC = 0;
  for (let j = 0; j < nFeats; j++) {
    const f = feats[j]!;
    const K = nBins[f]!;
    if (K < 2) continue;
    const base = f << 9;
    const gm = hist[base]!;
    const cm = hist[base + 1]!;
    let gl = 0;
    let cl = 0;
    for (let b = 1; b < K; b++) {
      const k = base + (b << 1);
      gl += hist[k]!;
      cl += hist[k + 1]!;
      // missing values right
      const cr = C - cl;
      if (cl >= minChild && cr >= minChild) {
        const gr = G - gl;
        const gain = (gl * gl) / (cl + lambda) + (gr * gr) / (cr + lambda) - parent;
        if (gain > best) {
          best = gain;
          bestF = f;
          bestB = b;
          bestDL = cm === 0 && cl >= cr;
          bestG = gl;
          bestC = cl;
        }
      }
      if (cm > 0) {
        const gl2 = gl + gm;
        const cl2 = cl + cm;
        const cr2 = C - cl2;
        if (cl2 >= minChild && cr2 >= minChild) {
          const gr2 = G - gl2;
          const gain = (gl2 * gl2) / (cl2 + lambda) + (gr2 * gr2) / (cr2 + lambda) - parent;
          if (gain > best) {
            best = gain;
            bestF = f;
            bestB = b;
            bestDL = true;
            bestG = gl2;
            bestC = cl2;
          }
        }
      }
    }
  }
  out.gain = best;
  out.feature = bestF;
  out.bin = bestB;
  out.defaultLeft = bestDL;
  out.leftG = bestG;
  out.leftC = bestC;
}

/**
 * Stable in-place partition of `rowIdx[start..end)`: rows whose code goes left first.
 * Branch-free through a 256-entry lookup table; right-going rows pass through `tmp`.
 * Returns the first index of the right child.
 */
export function partitionRows(
  rowIdx: Int32Array,
  tmp: Int32Array,
  start: number,
  end: number,
  codes: Uint8Array,
  p: number,
  feature: number,
  goesLeft: Uint8Array,
): number {
  let l = start;
  let t = 0;
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    const left = goesLeft[codes[r * p + feature]!]!;
    rowIdx[l] = r;
    tmp[t] = r;
    l += left;
    t += 1 - left;
  }
  rowIdx.set(tmp.subarray(0, t), l);
  return l;
}
