/**
 * Quantile binning, built for walk-forward refits.
 *
 * `BinnedMatrix` sorts each column once and stores every value as its rank among the
 * column's distinct values ("fine codes"). A fit on the row prefix `[0, n)` then derives
 * bin edges from the prefix rows only — a counting pass over the fine codes, so no future
 * row influences the edges — and maps fine codes to `Uint8` bin codes through a lookup
 * table into a row-major buffer that is reused between fits. No sort, no copy of the
 * features, no re-parsing: per fit the cost is two linear passes over the prefix.
 *
 * Bin code 0 is the missing-value bin; value bins are 1..K (K ≤ maxBin − 1 ≤ 255). Bin k+1
 * starts at `cuts[k-1]`, a value seen in the training rows, so "bin ≤ k" ⟺ "x < cuts[k-1]"
 * — the same strict comparison XGBoost uses for its split conditions.
 */
import { InvalidParameterError } from '../../errors.js';
import { checkFeatureMatrix, type FeatureMatrix } from './matrix.js';

/** The bin layout for one training prefix. */
export interface BinLayout {
  /** Number of training rows the edges were computed from (the prefix `[0, rows)`). */
  readonly rows: number;
  readonly maxBin: number;
  /** Row-major bin codes, `codes[r * nCols + c]`, valid for rows `< rows`. */
  readonly codes: Uint8Array;
  /** Value bins per column (K; 0 when the column is all missing in the prefix). */
  readonly nBins: Int32Array;
  /** Per column, K − 1 cut values: bin k+1 starts at `cuts[c][k-1]`. */
  readonly cuts: readonly Float32Array[];
}

export class BinnedMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly names: readonly string[] | undefined;
  /** Per column, the sorted distinct finite values (float32). */
  private readonly distinct: Float32Array[];
  /** Column-major fine codes: 0 = missing, k ≥ 1 = rank k − 1 in `distinct[c]`. */
  private readonly ranks: Uint16Array | Uint32Array;
  private codes: Uint8Array | null = null;
  private layout: BinLayout | null = null;

  /** Sort every column once. Costs O(rows × cols × log rows); done once per matrix. */
  constructor(X: FeatureMatrix) {
    checkFeatureMatrix(X, 'BinnedMatrix');
    const { nRows: n, nCols: p, values } = X;
    this.nRows = n;
    this.nCols = p;
    this.names = X.names;
    this.distinct = [];
    const scratch = new Float32Array(n);
    let maxDistinct = 0;
    for (let c = 0; c < p; c++) {
      let m = 0;
      const off = c * n;
      for (let r = 0; r < n; r++) {
        const x = values[off + r]!;
        if (x === x) scratch[m++] = x;
      }
      const sorted = scratch.subarray(0, m).sort();
      let u = 0;
      for (let i = 0; i < m; i++) {
        if (u === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
      }
      this.distinct.push(sorted.slice(0, u));
      if (u > maxDistinct) maxDistinct = u;
    }
    this.ranks = maxDistinct < 65535 ? new Uint16Array(n * p) : new Uint32Array(n * p);
    const ranks = this.ranks;
    for (let c = 0; c < p; c++) {
      const d = this.distinct[c]!;
      const off = c * n;
      for (let r = 0; r < n; r++) {
        const x = Math.fround(values[off + r]!);
        if (x !== x) {
          ranks[off + r] = 0;
          continue;
        }
        let lo = 0;
        let hi = d.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (d[mid]! < x) lo = mid + 1;
          else hi = mid;
        }
        ranks[off + r] = lo + 1;
      }
    }
  }

  /**
   * Bin codes for training on rows `[0, rows)`, edges from those rows only. The returned
   * layout (and its `codes` buffer) stays valid until the next call with other arguments.
   */
  prepare(rows: number, maxBin: number): BinLayout {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.nRows) {
      throw new InvalidParameterError(
        `BinnedMatrix.prepare: rows must be an integer in [1, ${this.nRows}] (got ${rows})`,
      );
    }
    if (!Number.isInteger(maxBin) || maxBin < 3 || maxBin > 256) {
      throw new InvalidParameterError(`maxBin must be an integer in [3, 256] (got ${maxBin})`);
    }
    if (this.layout && this.layout.rows === rows && this.layout.maxBin === maxBin) return this.layout;
    const n = this.nRows;
    const p = this.nCols;
    if (!this.codes) this.codes = new Uint8Array(n * p);
    const codes = this.codes;
    const nBins = new Int32Array(p);
    const cuts: Float32Array[] = [];
    const maxValueBins = maxBin - 1;
    let counts = new Int32Array(0);
    for (let c = 0; c < p; c++) {
      const d = this.distinct[c]!;
      const m = d.length;
      if (counts.length < m + 1) counts = new Int32Array(m + 1);
      else counts.fill(0, 0, m + 1);
      const ranks = this.ranks;
      const off = c * n;
      for (let r = 0; r < rows; r++) counts[ranks[off + r]!]!++;
      const colCuts = chooseCuts(d, counts, rows - counts[0]!, maxValueBins);
      cuts.push(colCuts);
      nBins[c] = colCuts.length + (rows - counts[0]! > 0 ? 1 : 0);
      // rank → bin; ranks unseen in the prefix fall where the cut comparison puts them
      const map = new Uint8Array(m + 1);
      let bin = 1;
      for (let k = 1; k <= m; k++) {
        const v = d[k - 1]!;
        while (bin - 1 < colCuts.length && v >= colCuts[bin - 1]!) bin++;
        map[k] = bin;
      }
      for (let r = 0; r < rows; r++) codes[r * p + c] = map[ranks[off + r]!]!;
    }
    this.layout = { rows, maxBin, codes, nBins, cuts };
    return this.layout;
  }
}

/**
 * Greedy quantile cuts over the distinct values present in the prefix (`counts[k]` for
 * rank k; rank 0 is missing). Each bin closes where its running count is nearest the
 * remaining-rows / remaining-bins target, so heavy values get bins of their own.
 */
function chooseCuts(d: Float32Array, counts: Int32Array, total: number, maxBins: number): Float32Array {
  const m = d.length;
  let present = 0;
  for (let k = 1; k <= m; k++) if (counts[k]! > 0) present++;
  if (present <= 1) return new Float32Array(0);
  const out: number[] = [];
  if (present <= maxBins) {
    let first = true;
    for (let k = 1; k <= m; k++) {
      if (counts[k]! === 0) continue;
      if (!first) out.push(d[k - 1]!);
      first = false;
    }
    return Float32Array.from(out);
  }
  let remaining = total;
  let binsLeft = maxBins;
  let acc = 0;
  let seen = 0;
  for (let k = 1; k <= m; k++) {
    const cnt = counts[k]!;
    if (cnt === 0) continue;
    seen++;
    acc += cnt;
    if (seen === present || binsLeft <= 1) continue;
    // next present value
    let next = k + 1;
    while (counts[next]! === 0) next++;
    const target = remaining / binsLeft;
    const valuesLeft = present - seen;
    if (acc + counts[next]! / 2 >= target || valuesLeft <= binsLeft - 1) {
      out.push(d[next - 1]!);
      remaining -= acc;
      binsLeft--;
      acc = 0;
    }
  }
  return Float32Array.from(out);
}
