/**
 * Hot loops: gradient histograms, histogram subtraction, split search and row partitioning.
 *
 * Layout: one histogram holds, per feature, 256 bins in a `Float64Array` — feature f starts
 * at `f * HIST_FEATURE_STRIDE`, bin b at `+ b`. Each bin is ONE double carrying two exact
 * integers: every loss here has unit hessians, so a bin needs only a gradient sum and a row
 * count; gradients are quantised to integers q (|q| ≤ 2^15 levels of the round's largest
 * gradient) and a row adds `q · 2^K + 1`, so the bin holds `Σq · 2^K + count` exactly as
 * long as it stays below 2^53 (see `packing`). One add per row and feature instead of two;
 * histogram subtraction stays exact. Split gains use the quantised sums; leaf values are
 * computed from the exact gradients. Bin codes are row-major `Uint8Array`
 * (`codes[r * nCols + f]`), so a row's codes are one contiguous run.
 */

export const HIST_FEATURE_STRIDE = 256;

/** How gradients are packed for `n` rows: count bits K, scale 2^K, and the largest |q|. */
export interface Packing {
  readonly shift: number;
  readonly scale: number;
  readonly qmax: number;
}

export function packing(n: number): Packing {
  const shift = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** shift;
  // |Σq| · 2^K + n must stay below 2^53
  const qmax = Math.max(1, Math.min(32767, Math.floor(2 ** 52 / scale / n)));
  return { shift, scale, qmax };
}

/** Histogram of rows `rowIdx[start..end)` over all `p` features (unrolled by four). */
export function buildHistIndexed(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  packed: Float64Array,
  rowIdx: Int32Array,
  start: number,
  end: number,
): void {
  const p4 = p & ~3;
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    const g = packed[r]!;
    let base = r * p;
    let o = 0;
    let f = 0;
    for (; f < p4; f += 4) {
      hist[o + codes[base]!]! += g;
      hist[o + 256 + codes[base + 1]!]! += g;
      hist[o + 512 + codes[base + 2]!]! += g;
      hist[o + 768 + codes[base + 3]!]! += g;
      base += 4;
      o += 1024;
    }
    for (; f < p; f++) {
      hist[o + codes[base]!]! += g;
      base++;
      o += 256;
    }
  }
}

/**
 * Histogram of the contiguous rows `[start, end)` over all features (the unsampled root).
 * The same loop as `buildHistIndexed` without the index indirection; kept as a copy on
 * purpose (a shared helper with a mode flag costs the hot loop).
 */
export function buildHistRange(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  packed: Float64Array,
  start: number,
  end: number,
): void {
  const p4 = p & ~3;
  for (let r = start; r < end; r++) {
    const g = packed[r]!;
    let base = r * p;
    let o = 0;
    let f = 0;
    for (; f < p4; f += 4) {
      hist[o + codes[base]!]! += g;
      hist[o + 256 + codes[base + 1]!]! += g;
      hist[o + 512 + codes[base + 2]!]! += g;
      hist[o + 768 + codes[base + 3]!]! += g;
      base += 4;
      o += 1024;
    }
    for (; f < p; f++) {
      hist[o + codes[base]!]! += g;
      base++;
      o += 256;
    }
  }
}

/** Histogram of rows `rowIdx[start..end)` over the listed features only (column sampling). */
export function buildHistFeatures(
  hist: Float64Array,
  codes: Uint8Array,
  p: number,
  packed: Float64Array,
  rowIdx: Int32Array,
  start: number,
  end: number,
  feats: Int32Array,
  nFeats: number,
): void {
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    const g = packed[r]!;
    const base = r * p;
    for (let j = 0; j < nFeats; j++) {
      const f = feats[j]!;
      hist[(f << 8) + codes[base + f]!]! += g;
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
    const o = feats[j]! << 8;
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
    const o = f << 8;
    const end = o + nBins[f]! + 1;
    for (let k = o; k < end; k++) parent[k]! -= child[k]!;
  }
}

/** The best split of one node; `gain` is −Infinity when none is allowed. */
export interface SplitInfo {
  /** Gain in quantised units (multiply by the squared gradient step for loss units). */
  gain: number;
  feature: number;
  /** Value bins `1..bin` go left (0: only missing values go left). */
  bin: number;
  /** Missing values (bin 0) go left. */
  defaultLeft: boolean;
  /** Quantised gradient sum and row count of the left child (missing included when they go left). */
  leftG: number;
  leftC: number;
}

export function emptySplit(): SplitInfo {
  return { gain: Number.NEGATIVE_INFINITY, feature: -1, bin: 0, defaultLeft: false, leftG: 0, leftC: 0 };
}

/**
 * Exact best split over a histogram: every cut between occupied value bins, missing values
 * tried on both sides, in quantised gradient units; children need `minChild` rows.
 * A candidate's score G_L²/(C_L+λ) + G_R²/(C_R+λ) is kept as a fraction num/den and
 * compared by cross-multiplying, so the scan has no division. Gain = score − G²/(C+λ).
 * Ties keep the first candidate: lowest feature, lowest bin, missing right before left.
 */
export function findBestSplit(
  hist: Float64Array,
  feats: Int32Array,
  nFeats: number,
  nBins: Int32Array,
  G: number,
  C: number,
  lambda: number,
  scale: number,
  minChild: number,
  out: SplitInfo,
): void {
  const invScale = 1 / scale;
  // the parent's own score is the bar: only candidates with positive gain are kept
  let bNum = G * G;
  let bDen = C + lambda;
  let bestF = -1;
  let bestB = 0;
  let bestDL = false;
  let bestG = 0;
  let bestC = 0;
  for (let j = 0; j < nFeats; j++) {
    const f = feats[j]!;
    const K = nBins[f]!;
    if (K < 2) continue;
    const base = f << 8;
    const sm = hist[base]!;
    const gm = Math.floor(sm * invScale);
    const cm = sm - gm * scale;
    let acc = 0;
    for (let b = 1; b < K; b++) {
      const v = hist[base + b]!;
      if (v === 0) continue; // empty bin: same partition as the previous cut
      acc += v;
      const gl = Math.floor(acc * invScale);
      const cl = acc - gl * scale;
      // missing values right
      const cr = C - cl;
      if (cl >= minChild && cr >= minChild) {
        const gr = G - gl;
        const dl = cl + lambda;
        const dr = cr + lambda;
        const num = gl * gl * dr + gr * gr * dl;
        const den = dl * dr;
        if (num * bDen > bNum * den) {
          bNum = num;
          bDen = den;
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
          const dl = cl2 + lambda;
          const dr = cr2 + lambda;
          const num = gl2 * gl2 * dr + gr2 * gr2 * dl;
          const den = dl * dr;
          if (num * bDen > bNum * den) {
            bNum = num;
            bDen = den;
            bestF = f;
            bestB = b;
            bestDL = true;
            bestG = gl2;
            bestC = cl2;
          }
        }
      }
    }
    // missing values alone on the left, every value right (bin 0); after the scan so that
    // its mirror image above (all values left, missing right) wins a tie, as in XGBoost
    if (cm > 0 && cm >= minChild && C - cm >= minChild) {
      const gr = G - gm;
      const dl = cm + lambda;
      const dr = C - cm + lambda;
      const num = gr * gr * dl + gm * gm * dr;
      const den = dr * dl;
      if (num * bDen > bNum * den) {
        bNum = num;
        bDen = den;
        bestF = f;
        bestB = 0;
        bestDL = true;
        bestG = gm;
        bestC = cm;
      }
    }
  }
  if (bestDL && bestF >= 0) {
    // missing values go left: put the threshold at the next occupied bin, so values in an
    // empty gap follow the missing ones (XGBoost's backward scan does the same)
    const base = bestF << 8;
    const K = nBins[bestF]!;
    while (bestB + 1 < K && hist[base + bestB + 1]! === 0) bestB++;
  }
  out.gain = bestF >= 0 ? bNum / bDen - (G * G) / (C + lambda) : Number.NEGATIVE_INFINITY;
  out.feature = bestF;
  out.bin = bestB;
  out.defaultLeft = bestDL;
  out.leftG = bestG;
  out.leftC = bestC;
}

/**
 * Stable in-place partition of `rowIdx[start..end)`: rows whose code goes left first;
 * right-going rows pass through `tmp`. `goesLeft` maps a bin code to 1 (left) or 0.
 * `column` is the split feature's column of column-major codes (rows stay ascending, so
 * the reads walk forward through it). A plain branch beats a branch-free version here:
 * the branch-free one chains every store address on the previous row's load.
 */
export function partitionRows(
  rowIdx: Int32Array,
  tmp: Int32Array,
  start: number,
  end: number,
  column: Uint8Array,
  goesLeft: Uint8Array,
): number {
  let l = start;
  let t = 0;
  for (let i = start; i < end; i++) {
    const r = rowIdx[i]!;
    if (goesLeft[column[r]!]! === 1) rowIdx[l++] = r;
    else tmp[t++] = r;
  }
  rowIdx.set(tmp.subarray(0, t), l);
  return l;
}
