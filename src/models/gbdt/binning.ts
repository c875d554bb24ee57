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

/** The bin layout for one training range of rows. */
export interface BinLayout {
  /** End (exclusive) of the training rows the edges were computed from, `[from, rows)`. */
  readonly rows: number;
  /** First training row (0 for a prefix). */
  readonly from: number;
  readonly maxBin: number;
  /**
   * Row-major bin codes by position in the range: `codes[i * nCols + c]` is matrix row
   * `from + i`, valid for `i < rows - from`.
   */
  readonly codes: Uint8Array;
  /** The same codes column-major, `codesByColumn[c * nRows + i]` (column stride = matrix rows). */
  readonly codesByColumn: Uint8Array;
  /** Value bins per column (K; 0 when the column is all missing in the prefix). */
  readonly nBins: Int32Array;
  /** Per column, K − 1 cut values: bin k+1 starts at `cuts[c][k-1]`. */
  readonly cuts: readonly Float32Array[];
  /** Per column, the smallest value in the prefix (where bin 1 starts; NaN when all missing). */
  readonly lowest: Float32Array;
}

/**
 * What a `BinnedMatrix` is made of after its one sort: per column the sorted distinct values,
 * and the column-major fine codes. Typed arrays, so they can live in a `SharedArrayBuffer` and
 * several threads can build their own `BinnedMatrix` over the same memory without sorting again.
 */
export interface BinnedParts {
  readonly nRows: number;
  readonly nCols: number;
  readonly names?: readonly string[] | undefined;
  readonly distinct: readonly Float32Array[];
  readonly ranks: Uint16Array | Uint32Array;
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
  private codesByColumn: Uint8Array | null = null;
  private layout: BinLayout | null = null;

  /**
   * Sort every column once (O(rows × cols), a radix sort); done once per matrix. Given the
   * `parts()` of another instance instead, reuse them (no copy, no sort).
   */
  constructor(X: FeatureMatrix | BinnedParts) {
    let parts: BinnedParts;
    if ('ranks' in X) {
      if (X.ranks.length !== X.nRows * X.nCols || X.distinct.length !== X.nCols) {
        throw new InvalidParameterError(
          `BinnedMatrix: parts for ${X.nRows} × ${X.nCols} have ${X.ranks.length} fine codes and ${X.distinct.length} columns of values`,
        );
      }
      parts = X;
    } else parts = sortColumns(X);
    this.nRows = parts.nRows;
    this.nCols = parts.nCols;
    this.names = parts.names;
    this.distinct = [...parts.distinct];
    this.ranks = parts.ranks;
  }

  /** The sorted columns, for `new BinnedMatrix(parts)` elsewhere (shares the arrays). */
  parts(): BinnedParts {
    return {
      nRows: this.nRows,
      nCols: this.nCols,
      names: this.names,
      distinct: this.distinct,
      ranks: this.ranks,
    };
  }

  /**
   * Bin codes for training on rows `[from, rows)` (default `from = 0`: the prefix), edges from
   * those rows only. The returned layout (and its `codes` buffer) stays valid until the next
   * call with other arguments.
   */
  prepare(rows: number, maxBin: number, from = 0): BinLayout {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.nRows) {
      throw new InvalidParameterError(
        `BinnedMatrix.prepare: rows must be an integer in [1, ${this.nRows}] (got ${rows})`,
      );
    }
    if (!Number.isInteger(from) || from < 0 || from >= rows) {
      throw new InvalidParameterError(
        `BinnedMatrix.prepare: from must be an integer in [0, ${rows}) (got ${from})`,
      );
    }
    if (!Number.isInteger(maxBin) || maxBin < 3 || maxBin > 256) {
      throw new InvalidParameterError(`maxBin must be an integer in [3, 256] (got ${maxBin})`);
    }
    const l = this.layout;
    if (l && l.rows === rows && l.from === from && l.maxBin === maxBin) return l;
    const count = rows - from;
    const n = this.nRows;
    const p = this.nCols;
    if (!this.codes) this.codes = new Uint8Array(n * p);
    if (!this.codesByColumn) this.codesByColumn = new Uint8Array(n * p);
    const codes = this.codes;
    const codesByColumn = this.codesByColumn;
    const nBins = new Int32Array(p);
    const lowest = new Float32Array(p).fill(Number.NaN);
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
      for (let r = from; r < rows; r++) counts[ranks[off + r]!]!++;
      for (let k = 1; k <= m; k++) {
        if (counts[k]! > 0) {
          lowest[c] = d[k - 1]!;
          break;
        }
      }
      const colCuts = chooseCuts(d, counts, count - counts[0]!, maxValueBins);
      cuts.push(colCuts);
      nBins[c] = colCuts.length + (count - counts[0]! > 0 ? 1 : 0);
      // rank → bin; ranks unseen in the prefix fall where the cut comparison puts them
      const map = new Uint8Array(m + 1);
      let bin = 1;
      for (let k = 1; k <= m; k++) {
        const v = d[k - 1]!;
        while (bin - 1 < colCuts.length && v >= colCuts[bin - 1]!) bin++;
        map[k] = bin;
      }
      for (let i = 0; i < count; i++) {
        const b = map[ranks[off + from + i]!]!;
        codesByColumn[off + i] = b;
        codes[i * p + c] = b;
      }
    }
    this.layout = { rows, from, maxBin, codes, codesByColumn, nBins, cuts, lowest };
    return this.layout;
  }
}

/**
 * Radix-sort each column's float32 bit patterns (made order-preserving) with row ids: the
 * sorted distinct values per column and every value's rank among them (0 = missing).
 */
function sortColumns(X: FeatureMatrix): BinnedParts {
  checkFeatureMatrix(X, 'BinnedMatrix');
  const { nRows: n, nCols: p, values } = X;
  const distinctAll: Float32Array[] = [];
  const col = new Float32Array(n);
  const bits = new Uint32Array(col.buffer);
  let keys = new Uint32Array(n);
  let ids = new Int32Array(n);
  let keys2 = new Uint32Array(n);
  let ids2 = new Int32Array(n);
  const count = new Int32Array(2048);
  const colRanks: Uint32Array[] = [];
  let maxDistinct = 0;
  for (let c = 0; c < p; c++) {
    const off = c * n;
    let m = 0;
    for (let r = 0; r < n; r++) {
      const x = values[off + r]!;
      col[r] = x === 0 ? 0 : x; // -0 → +0
      if (!Number.isNaN(x)) {
        const b = bits[r]!;
        keys[m] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
        ids[m++] = r;
      }
    }
    for (let shift = 0; shift < 32; shift += 11) {
      count.fill(0);
      for (let i = 0; i < m; i++) count[(keys[i]! >>> shift) & 2047]!++;
      let sum = 0;
      for (let d = 0; d < 2048; d++) {
        const t = count[d]!;
        count[d] = sum;
        sum += t;
      }
      for (let i = 0; i < m; i++) {
        const k = keys[i]!;
        const pos = count[(k >>> shift) & 2047]!++;
        keys2[pos] = k;
        ids2[pos] = ids[i]!;
      }
      [keys, keys2] = [keys2, keys];
      [ids, ids2] = [ids2, ids];
    }
    const ranks = new Uint32Array(n); // 0 = missing
    const distinct = new Float32Array(m);
    let u = 0;
    let prev = -1;
    for (let i = 0; i < m; i++) {
      const k = keys[i]!;
      if (k !== prev) {
        distinct[u++] = col[ids[i]!]!;
        prev = k;
      }
      ranks[ids[i]!] = u;
    }
    distinctAll.push(distinct.slice(0, u));
    colRanks.push(ranks);
    if (u > maxDistinct) maxDistinct = u;
  }
  const allRanks = maxDistinct < 65535 ? new Uint16Array(n * p) : new Uint32Array(n * p);
  colRanks.forEach((r, c) => {
    allRanks.set(r, c * n);
  });
  return { nRows: n, nCols: p, names: X.names, distinct: distinctAll, ranks: allRanks };
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
