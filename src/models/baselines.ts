/**
 * Baselines every model must beat: the season-to-date average and the last-N-games average.
 *
 * Input is minimal: per row (rows in time order) a group key and the observed value.
 * Each row's prediction uses only EARLIER rows of its group, never its own value — so the
 * baseline is leak-free by construction. Key the groups by player + season for the
 * season-to-date average, by player for the last-N average. Missing values (NaN, e.g. a
 * game not played) are skipped. Rows with no usable history get `fallback` (default NaN).
 */
import { InvalidParameterError } from '../errors.js';

export interface BaselineOptions {
  /** Prediction for a row whose group has no earlier values (default NaN). */
  fallback?: number;
}

function check(groups: ArrayLike<unknown>, values: ArrayLike<number>, what: string): void {
  if (groups.length !== values.length) {
    throw new InvalidParameterError(`${what}: ${groups.length} group keys but ${values.length} values`);
  }
}

/** For each row, the mean of all earlier values of its group (season-to-date when keyed by player + season). */
export function seasonToDateAverage(
  groups: ArrayLike<string | number>,
  values: ArrayLike<number>,
  opts: BaselineOptions = {},
): Float64Array {
  check(groups, values, 'seasonToDateAverage');
  const fallback = opts.fallback ?? Number.NaN;
  const sums = new Map<string | number, { sum: number; count: number }>();
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const key = groups[i]!;
    let s = sums.get(key);
    if (!s) {
      s = { sum: 0, count: 0 };
      sums.set(key, s);
    }
    out[i] = s.count > 0 ? s.sum / s.count : fallback;
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      s.sum += v;
      s.count++;
    }
  }
  return out;
}

/** For each row, the mean of the last `n` earlier values of its group (fewer when fewer exist). */
export function lastNAverage(
  groups: ArrayLike<string | number>,
  values: ArrayLike<number>,
  n: number,
  opts: BaselineOptions = {},
): Float64Array {
  check(groups, values, 'lastNAverage');
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidParameterError(`lastNAverage: n must be a positive integer (got ${n})`);
  const fallback = opts.fallback ?? Number.NaN;
  const windows = new Map<
    string | number,
    { ring: Float64Array; next: number; count: number; sum: number }
  >();
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const key = groups[i]!;
    let w = windows.get(key);
    if (!w) {
      w = { ring: new Float64Array(n), next: 0, count: 0, sum: 0 };
      windows.set(key, w);
    }
    out[i] = w.count > 0 ? w.sum / w.count : fallback;
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (w.count === n) w.sum -= w.ring[w.next]!;
    else w.count++;
    w.ring[w.next] = v;
    w.sum += v;
    w.next = (w.next + 1) % n;
  }
  return out;
}

/** Mean of an array of prior values (NaN skipped); `fallback` when there are none. Serving-time helper. */
export function meanOfPrior(prior: ArrayLike<number>, lastN?: number, fallback = Number.NaN): number {
  let sum = 0;
  let count = 0;
  for (let i = prior.length - 1; i >= 0; i--) {
    const v = prior[i]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
    if (lastN !== undefined && count === lastN) break;
  }
  return count > 0 ? sum / count : fallback;
}
