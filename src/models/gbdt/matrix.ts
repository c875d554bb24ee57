/**
 * The feature matrix the models take: column-major typed arrays, NaN = missing.
 *
 * Producers (the features module, a CSV loader, a test) hand over
 * `{ nRows, nCols, values, names? }` with `values[c * nRows + r]` = row r, column c.
 * Values are compared at float32 precision (as XGBoost does), so a `Float32Array` is the
 * natural storage; a `Float64Array` is accepted and rounded on use.
 */
import { DataError, InvalidParameterError } from '../../errors.js';

export interface FeatureMatrix {
  /** Number of rows (examples). */
  readonly nRows: number;
  /** Number of columns (features). */
  readonly nCols: number;
  /** Column-major values: row r, column c at `values[c * nRows + r]`; NaN = missing. */
  readonly values: Float32Array | Float64Array;
  /** Optional column names, `nCols` long. */
  readonly names?: readonly string[];
}

/** Build a column-major matrix from row-major data (`data[r * nCols + c]`). */
export function fromRowMajor(
  data: ArrayLike<number>,
  nRows: number,
  nCols: number,
  names?: readonly string[],
): FeatureMatrix {
  if (data.length !== nRows * nCols) {
    throw new InvalidParameterError(
      `fromRowMajor: data has ${data.length} values but nRows × nCols = ${nRows} × ${nCols} = ${nRows * nCols}; pass the matching shape`,
    );
  }
  const values = new Float32Array(nRows * nCols);
  for (let r = 0; r < nRows; r++) {
    const base = r * nCols;
    for (let c = 0; c < nCols; c++) values[c * nRows + r] = data[base + c]!;
  }
  return names ? { nRows, nCols, values, names } : { nRows, nCols, values };
}

/** Build a matrix from named columns of equal length (`{ minutes: [...], usage: [...] }`). */
export function fromColumns(columns: Readonly<Record<string, ArrayLike<number>>>): FeatureMatrix {
  const names = Object.keys(columns);
  if (names.length === 0) throw new InvalidParameterError('fromColumns: no columns given; pass at least one');
  const nRows = columns[names[0]!]!.length;
  const values = new Float32Array(nRows * names.length);
  names.forEach((name, c) => {
    const col = columns[name]!;
    if (col.length !== nRows) {
      throw new InvalidParameterError(
        `fromColumns: column '${name}' has ${col.length} rows but '${names[0]}' has ${nRows}; columns must have equal length`,
      );
    }
    for (let r = 0; r < nRows; r++) values[c * nRows + r] = col[r]!;
  });
  return { nRows, nCols: names.length, values, names };
}

/** The rows `[from, to)` of a matrix as a new column-major matrix (copies). */
export function sliceRows(X: FeatureMatrix, from: number, to: number): FeatureMatrix {
  checkFeatureMatrix(X, 'sliceRows');
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= X.nRows)) {
    throw new InvalidParameterError(`sliceRows: rows [${from}, ${to}) are not inside [0, ${X.nRows})`);
  }
  const n = to - from;
  const values = new Float32Array(n * X.nCols);
  for (let c = 0; c < X.nCols; c++)
    values.set(X.values.subarray(c * X.nRows + from, c * X.nRows + to), c * n);
  return X.names
    ? { nRows: n, nCols: X.nCols, values, names: X.names }
    : { nRows: n, nCols: X.nCols, values };
}

/**
 * Validate shape and contents: positive integer sizes, `values.length = nRows × nCols`,
 * names matching, no ±Infinity (NaN is the missing marker). `what` names the caller.
 */
export function checkFeatureMatrix(X: FeatureMatrix, what: string, allowEmpty = false): void {
  if (X === null || typeof X !== 'object') {
    throw new InvalidParameterError(`${what}: expected a feature matrix { nRows, nCols, values }`);
  }
  if (!Number.isInteger(X.nRows) || X.nRows < 0 || !Number.isInteger(X.nCols) || X.nCols < 0) {
    throw new InvalidParameterError(
      `${what}: nRows and nCols must be non-negative integers (got ${X.nRows} × ${X.nCols})`,
    );
  }
  if (!(X.values instanceof Float32Array || X.values instanceof Float64Array)) {
    throw new InvalidParameterError(`${what}: values must be a Float32Array or Float64Array (column-major)`);
  }
  if (!allowEmpty && (X.nRows === 0 || X.nCols === 0)) {
    throw new DataError(`${what}: the feature matrix is empty (${X.nRows} rows × ${X.nCols} columns)`);
  }
  if (X.values.length !== X.nRows * X.nCols) {
    throw new InvalidParameterError(
      `${what}: values has ${X.values.length} entries but nRows × nCols = ${X.nRows * X.nCols}`,
    );
  }
  if (X.names !== undefined && X.names.length !== X.nCols) {
    throw new InvalidParameterError(`${what}: ${X.names.length} names given for ${X.nCols} columns`);
  }
  const v = X.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x === Number.POSITIVE_INFINITY || x === Number.NEGATIVE_INFINITY) {
      const c = Math.floor(i / X.nRows);
      throw new DataError(
        `${what}: column ${X.names?.[c] ?? c}, row ${i - c * X.nRows} is ${x}; use NaN for missing values and finite numbers otherwise`,
      );
    }
  }
}

/** Validate a target vector: `n` finite numbers. */
export function checkTarget(y: ArrayLike<number>, n: number, what: string): void {
  if (y === null || typeof y !== 'object' || typeof y.length !== 'number') {
    throw new InvalidParameterError(`${what}: the target must be an array of numbers`);
  }
  if (y.length !== n) {
    throw new InvalidParameterError(
      `${what}: the target has ${y.length} values but the matrix has ${n} rows`,
    );
  }
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DataError(
        `${what}: target row ${i} is ${v}; targets must be finite numbers (drop or fill that row)`,
      );
    }
  }
}
