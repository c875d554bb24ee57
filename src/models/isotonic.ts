/**
 * Isotonic regression by pool-adjacent-violators, predicting by linear interpolation between
 * the fitted points (clipped outside the training range) — the calibration map from a raw
 * over-the-line probability to an observed frequency. Matches scikit-learn's
 * `IsotonicRegression(out_of_bounds='clip')` on the same data.
 */
import { z } from 'zod';
import { DataError, InvalidParameterError } from '../errors.js';
import { describeIssues } from './json.js';

export const ISOTONIC_FORMAT = 'propflow-isotonic';
export const ISOTONIC_FORMAT_VERSION = 1;

export interface IsotonicOptions {
  /** Per-point weights (default 1 each). */
  weights?: ArrayLike<number>;
  /** Fit a non-decreasing (default) or non-increasing function. */
  increasing?: boolean;
  /** Clip fitted values below (e.g. 0 for probabilities). */
  yMin?: number;
  /** Clip fitted values above (e.g. 1 for probabilities). */
  yMax?: number;
}

export interface IsotonicJSON {
  format: typeof ISOTONIC_FORMAT;
  formatVersion: typeof ISOTONIC_FORMAT_VERSION;
  increasing: boolean;
  x: number[];
  y: number[];
}

export class IsotonicRegression {
  /** Knots: increasing x, and the fitted value at each (monotone). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly increasing: boolean;

  constructor(x: Float64Array, y: Float64Array, increasing: boolean) {
    this.x = x;
    this.y = y;
    this.increasing = increasing;
  }

  /** Interpolated value at each input; inputs beyond the knots take the end values; NaN stays NaN. */
  predict(values: ArrayLike<number>): Float64Array {
    const out = new Float64Array(values.length);
    const { x, y } = this;
    const k = x.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) out[i] = Number.NaN;
      else if (v <= x[0]!) out[i] = y[0]!;
      else if (v >= x[k - 1]!) out[i] = y[k - 1]!;
      else {
        let lo = 0;
        let hi = k - 1;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (x[mid]! <= v) lo = mid;
          else hi = mid;
        }
        const t = (v - x[lo]!) / (x[hi]! - x[lo]!);
        out[i] = y[lo]! + t * (y[hi]! - y[lo]!);
      }
    }
    return out;
  }

  toJSON(): IsotonicJSON {
    return {
      format: ISOTONIC_FORMAT,
      formatVersion: ISOTONIC_FORMAT_VERSION,
      increasing: this.increasing,
      x: Array.from(this.x),
      y: Array.from(this.y),
    };
  }
}

/** Fit by pool-adjacent-violators. Points with equal x are pooled first (weighted mean). */
export function fitIsotonic(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: IsotonicOptions = {},
): IsotonicRegression {
  const n = x.length;
  if (n === 0) throw new DataError('fitIsotonic: no points given');
  if (y.length !== n) throw new InvalidParameterError(`fitIsotonic: ${n} x values but ${y.length} y values`);
  const w = opts.weights;
  if (w && w.length !== n)
    throw new InvalidParameterError(`fitIsotonic: ${n} points but ${w.length} weights`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) {
      throw new DataError(`fitIsotonic: point ${i} is (${x[i]}, ${y[i]}); x and y must be finite`);
    }
    if (w && !(w[i]! >= 0 && Number.isFinite(w[i]!))) {
      throw new DataError(`fitIsotonic: weight ${i} is ${w[i]}; weights must be finite and ≥ 0`);
    }
  }
  const increasing = opts.increasing ?? true;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
  // pool equal x values
  const ux: number[] = [];
  const uy: number[] = [];
  const uw: number[] = [];
  for (const i of order) {
    const wi = w ? w[i]! : 1;
    const last = ux.length - 1;
    if (last >= 0 && ux[last] === x[i]) {
      const tw = uw[last]! + wi;
      uy[last] = tw > 0 ? (uy[last]! * uw[last]! + y[i]! * wi) / tw : uy[last]!;
      uw[last] = tw;
    } else {
      ux.push(x[i]!);
      uy.push(y[i]!);
      uw.push(wi);
    }
  }
  // PAV on the sign-adjusted values: blocks with weighted means that never decrease
  const sign = increasing ? 1 : -1;
  const m = ux.length;
  const bMean = new Float64Array(m);
  const bWeight = new Float64Array(m);
  const bEnd = new Int32Array(m); // last unique index of each block
  let nb = 0;
  for (let i = 0; i < m; i++) {
    bMean[nb] = sign * uy[i]!;
    bWeight[nb] = uw[i]!;
    bEnd[nb] = i;
    nb++;
    while (nb > 1 && bMean[nb - 2]! > bMean[nb - 1]!) {
      const tw = bWeight[nb - 2]! + bWeight[nb - 1]!;
      bMean[nb - 2] =
        tw > 0
          ? (bMean[nb - 2]! * bWeight[nb - 2]! + bMean[nb - 1]! * bWeight[nb - 1]!) / tw
          : bMean[nb - 1]!;
      bWeight[nb - 2] = tw;
      bEnd[nb - 2] = bEnd[nb - 1]!;
      nb--;
    }
  }
  // knots: first and last x of every block (interior points of a flat block add nothing)
  const kx: number[] = [];
  const ky: number[] = [];
  let start = 0;
  for (let b = 0; b < nb; b++) {
    let v = sign * bMean[b]!;
    if (opts.yMin !== undefined) v = Math.max(opts.yMin, v);
    if (opts.yMax !== undefined) v = Math.min(opts.yMax, v);
    const end = bEnd[b]!;
    kx.push(ux[start]!);
    ky.push(v);
    if (end > start) {
      kx.push(ux[end]!);
      ky.push(v);
    }
    start = end + 1;
  }
  return new IsotonicRegression(Float64Array.from(kx), Float64Array.from(ky), increasing);
}

const isotonicSchema = z.object({
  format: z.literal(ISOTONIC_FORMAT),
  formatVersion: z.literal(ISOTONIC_FORMAT_VERSION),
  increasing: z.boolean(),
  x: z.array(z.number().finite()).min(1),
  y: z.array(z.number().finite()).min(1),
});

/** Load a calibration map from its JSON form, checking that the knots are sorted and monotone. */
export function loadIsotonic(json: unknown, source = 'isotonic calibration'): IsotonicRegression {
  const parsed = isotonicSchema.safeParse(json);
  if (!parsed.success) {
    throw new DataError(`${source}: invalid calibration: ${describeIssues(parsed.error)}`);
  }
  const { x, y, increasing } = parsed.data;
  if (x.length !== y.length) throw new DataError(`${source}: ${x.length} knots in x but ${y.length} in y`);
  for (let i = 1; i < x.length; i++) {
    if (x[i]! < x[i - 1]!) throw new DataError(`${source}: x is not sorted at knot ${i}`);
    if (increasing ? y[i]! < y[i - 1]! : y[i]! > y[i - 1]!) {
      throw new DataError(
        `${source}: y is not ${increasing ? 'non-decreasing' : 'non-increasing'} at knot ${i}`,
      );
    }
  }
  return new IsotonicRegression(Float64Array.from(x), Float64Array.from(y), increasing);
}
