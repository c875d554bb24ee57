/**
 * Walk-forward folds over time-sorted rows: a training window that ends the day before each
 * fold date (expanding from the first row, or rolling over the last `windowDays` days), and
 * the fold's test rows from that date until the next refit. Because rows are sorted by date
 * and the training rows are those dated before the fold date, no fold can train on a game
 * played on or after the games it predicts.
 */
import { InvalidParameterError } from '../errors.js';

export interface WalkForwardOptions {
  /** First day (days since 1970-01-01) that is predicted. */
  start: number;
  /** Last day predicted, inclusive (default: the last date). */
  end?: number;
  /** Days between refits: 1 = refit before every game day, 7 = weekly. */
  refitEveryDays: number;
  /**
   * Rolling window: train only on rows dated in `[foldDate − windowDays, foldDate)`.
   * Default: expanding (every row before the fold date).
   */
  windowDays?: number;
}

export interface Fold {
  /** 0, 1, 2, … over the folds that have test rows (the `step` of per-fold metrics). */
  index: number;
  /** The first game day of the fold; every training row is dated strictly before it. */
  foldDate: number;
  /**
   * Training rows `[trainStart, trainRows)`. `trainRows` = the number of rows dated before
   * `foldDate` (= `testStart`); `trainStart` is 0 for an expanding window, else the first
   * row dated on or after `foldDate − windowDays`.
   */
  trainStart: number;
  trainRows: number;
  /** Test rows `[testStart, testEnd)`: the games from `foldDate` until the next refit. */
  testStart: number;
  testEnd: number;
}

/** First index whose date is ≥ `day` (dates sorted ascending). */
function lowerBound(dates: Int32Array, day: number): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The folds of an expanding-window walk-forward validation. A refit happens every
 * `refitEveryDays` days from `start`; a window without games (a break in the schedule) is
 * skipped, and a fold's date is the first game day in its window. Throws when the dates are
 * not sorted, when there are no training rows before `start`, or when no day in
 * `[start, end]` has games.
 */
export function walkForwardFolds(dates: Int32Array, options: WalkForwardOptions): Fold[] {
  const { start, refitEveryDays, windowDays } = options;
  if (windowDays !== undefined && (!Number.isInteger(windowDays) || windowDays < 1)) {
    throw new InvalidParameterError(
      `walkForwardFolds: windowDays must be a positive whole number of days (got ${windowDays}); leave it out for an expanding window.`,
    );
  }
  if (!Number.isInteger(refitEveryDays) || refitEveryDays < 1) {
    throw new InvalidParameterError(
      `walkForwardFolds: refitEveryDays must be a positive whole number of days (got ${refitEveryDays}).`,
    );
  }
  if (!Number.isInteger(start)) {
    throw new InvalidParameterError(
      `walkForwardFolds: start must be a day number (days since 1970-01-01), got ${start}.`,
    );
  }
  for (let i = 1; i < dates.length; i++) {
    if (dates[i]! < dates[i - 1]!) {
      throw new InvalidParameterError(
        `walkForwardFolds: dates must be sorted ascending; row ${i} (day ${dates[i]}) comes after row ${i - 1} (day ${dates[i - 1]}). Sort the rows by date first.`,
      );
    }
  }
  if (dates.length === 0) throw new InvalidParameterError('walkForwardFolds: no rows (dates is empty).');
  const last = dates[dates.length - 1]!;
  const end = options.end ?? last;
  if (!Number.isInteger(end) || end < start) {
    throw new InvalidParameterError(
      `walkForwardFolds: end (${end}) must be a day number on or after start (${start}).`,
    );
  }
  if (lowerBound(dates, start) === 0) {
    throw new InvalidParameterError(
      `walkForwardFolds: no training rows before start (day ${start}); the first row is day ${dates[0]}. Start the validation later.`,
    );
  }
  const folds: Fold[] = [];
  for (let day = start; day <= end; day += refitEveryDays) {
    const testStart = lowerBound(dates, day);
    const testEnd = lowerBound(dates, Math.min(day + refitEveryDays, end + 1));
    if (testEnd <= testStart) continue;
    const foldDate = dates[testStart]!;
    const trainStart = windowDays === undefined ? 0 : lowerBound(dates, foldDate - windowDays);
    if (trainStart >= testStart) {
      throw new InvalidParameterError(
        `walkForwardFolds: the fold on day ${foldDate} has no games in the ${windowDays} days before it (a break in the schedule); use a longer windowDays.`,
      );
    }
    folds.push({
      index: folds.length,
      foldDate,
      trainStart,
      trainRows: testStart,
      testStart,
      testEnd,
    });
  }
  if (folds.length === 0) {
    throw new InvalidParameterError(
      `walkForwardFolds: no games between day ${start} and day ${end}; choose a range that has games.`,
    );
  }
  return folds;
}
