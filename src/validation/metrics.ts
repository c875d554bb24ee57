/** Regression metrics of point predictions against outcomes. */
import { InvalidParameterError } from '../errors.js';

export interface RegressionMetrics {
  n: number;
  mae: number;
  rmse: number;
  /** 1 − SS_res / SS_tot (NaN when every outcome is the same). */
  r2: number;
  /** Mean of prediction − outcome: positive = predictions too high. */
  bias: number;
  /** Fractions of predictions within 3, 5 and 10 of the outcome (inclusive). */
  within_3: number;
  within_5: number;
  within_10: number;
}

/**
 * MAE, RMSE, R², bias and within-k fractions. Every value must be finite: a NaN is a bug
 * upstream (a missing outcome or prediction), so it is an error naming the row.
 */
export function regressionMetrics(y: ArrayLike<number>, pred: ArrayLike<number>): RegressionMetrics {
  const n = y.length;
  if (pred.length !== n) {
    throw new InvalidParameterError(
      `regressionMetrics: ${n} outcomes but ${pred.length} predictions; pass one prediction per outcome.`,
    );
  }
  if (n === 0) throw new InvalidParameterError('regressionMetrics: no rows to evaluate.');
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    const p = pred[i]!;
    if (!Number.isFinite(t) || !Number.isFinite(p)) {
      throw new InvalidParameterError(
        `regressionMetrics: row ${i} has outcome ${t} and prediction ${p}; both must be finite numbers.`,
      );
    }
    sumY += t;
  }
  const meanY = sumY / n;
  let abs = 0;
  let sq = 0;
  let tot = 0;
  let err = 0;
  let w3 = 0;
  let w5 = 0;
  let w10 = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i]! - y[i]!;
    const a = Math.abs(e);
    abs += a;
    sq += e * e;
    err += e;
    const d = y[i]! - meanY;
    tot += d * d;
    if (a <= 3) w3++;
    if (a <= 5) w5++;
    if (a <= 10) w10++;
  }
  return {
    n,
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    r2: tot > 0 ? 1 - sq / tot : Number.NaN,
    bias: err / n,
    within_3: w3 / n,
    within_5: w5 / n,
    within_10: w10 / n,
  };
}

/** Metrics of one segment of the rows. */
export interface SegmentMetrics extends RegressionMetrics {
  segment: string;
}

/**
 * Regression metrics per segment: `labels[i]` names row i's segment (e.g. `home`/`away`);
 * segments come out in order of first appearance; a row labelled `null` is in none.
 */
export function segmentMetrics(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  labels: ArrayLike<string | null>,
): SegmentMetrics[] {
  if (labels.length !== y.length || pred.length !== y.length) {
    throw new InvalidParameterError(
      `segmentMetrics: ${y.length} outcomes, ${pred.length} predictions and ${labels.length} labels; pass one of each per row.`,
    );
  }
  const rows = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const s = labels[i];
    if (s === null || s === undefined) continue;
    let list = rows.get(s);
    if (!list) {
      list = [];
      rows.set(s, list);
    }
    list.push(i);
  }
  return [...rows].map(([segment, idx]) => ({
    segment,
    ...regressionMetrics(
      idx.map((i) => y[i]!),
      idx.map((i) => pred[i]!),
    ),
  }));
}
