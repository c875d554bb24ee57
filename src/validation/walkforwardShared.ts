/**
 * The data of a walk-forward in shared memory: the raw matrix, the targets and the sorted
 * columns of the binned matrix live in `SharedArrayBuffer`s, so every worker thread reads the
 * same bytes (no copy per worker, no second sort) and builds its own bin-code buffers.
 */
import { BinnedMatrix, type FeatureMatrix, type GbdtParams } from '../models/index.js';
import type { FoldData } from './walkforwardCore.js';

/** What a worker receives once, at start (structured-cloned; the buffers are shared). */
export interface SharedFoldData {
  nRows: number;
  nCols: number;
  names: readonly string[] | undefined;
  values: Float32Array | Float64Array;
  y: Float64Array;
  ranks: Uint16Array | Uint32Array;
  distinct: Float32Array;
  /** Column c's distinct values are `distinct[distinctOffsets[c] .. distinctOffsets[c + 1])`. */
  distinctOffsets: Int32Array;
  params: GbdtParams;
}

type Typed = Float32Array | Float64Array | Uint16Array | Uint32Array | Int32Array;

/** The same values in a typed array over a `SharedArrayBuffer` (the array itself when it already is). */
function shared<T extends Typed>(a: T, make: (buf: SharedArrayBuffer) => T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = make(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** Put the data of a walk-forward into shared memory (the binned matrix's sort is reused). */
export function shareFoldData(data: FoldData): SharedFoldData {
  const parts = data.binned.parts();
  const offsets = new Int32Array(parts.nCols + 1);
  for (let c = 0; c < parts.nCols; c++) offsets[c + 1] = offsets[c]! + parts.distinct[c]!.length;
  const distinct = new Float32Array(new SharedArrayBuffer(offsets[parts.nCols]! * 4));
  parts.distinct.forEach((d, c) => {
    distinct.set(d, offsets[c]!);
  });
  const values = data.X.values;
  return {
    nRows: parts.nRows,
    nCols: parts.nCols,
    names: data.X.names,
    values:
      values instanceof Float32Array
        ? shared(values, (b) => new Float32Array(b))
        : shared(values, (b) => new Float64Array(b)),
    y: shared(data.y, (b) => new Float64Array(b)),
    ranks:
      parts.ranks instanceof Uint16Array
        ? shared(parts.ranks, (b) => new Uint16Array(b))
        : shared(parts.ranks, (b) => new Uint32Array(b)),
    distinct,
    distinctOffsets: offsets,
    params: data.params,
  };
}

/** A worker's view of the shared data: its own `BinnedMatrix` over the shared sorted columns. */
export function foldDataFromShared(s: SharedFoldData): FoldData {
  const distinct: Float32Array[] = [];
  for (let c = 0; c < s.nCols; c++) {
    distinct.push(s.distinct.subarray(s.distinctOffsets[c]!, s.distinctOffsets[c + 1]!));
  }
  const X: FeatureMatrix = s.names
    ? { nRows: s.nRows, nCols: s.nCols, values: s.values, names: s.names }
    : { nRows: s.nRows, nCols: s.nCols, values: s.values };
  const binned = new BinnedMatrix({
    nRows: s.nRows,
    nCols: s.nCols,
    names: s.names,
    distinct,
    ranks: s.ranks,
  });
  return { X, binned, y: s.y, params: s.params };
}
