import { describe, expect, it } from 'vitest';
import { steps } from './index.js';

/** A walk-forward output shaped by hand: `n` rows in `folds` equal folds. */
function fakeWalkForward(pred: number[], folds: number) {
  const n = pred.length;
  const foldOfRow = Int32Array.from({ length: n }, (_, i) => Math.floor((i * folds) / n));
  return { folds: [], valStart: 0, valEnd: n, pred: Float64Array.from(pred), foldOfRow, seconds: 0 };
}

describe('pipeline steps', () => {
  it('priorGames counts each player’s earlier rows', () => {
    expect(Array.from(steps.priorGames(Int32Array.from([7, 8, 7, 7, 8, 9])))).toEqual([0, 0, 1, 2, 1, 0]);
  });

  it('calibrateStep: P(over) rises with prediction − line; fold k is calibrated on earlier folds only', () => {
    const n = 4000;
    const pred: number[] = [];
    const line: number[] = [];
    const actual: number[] = [];
    let seed = 1;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < n; i++) {
      const edge = (rand() - 0.5) * 10;
      line.push(20);
      pred.push(20 + edge);
      // over with probability rising in the edge; never exactly on the line
      actual.push(rand() < 0.5 + edge / 12 ? 25.5 : 14.5);
    }
    const wf = fakeWalkForward(pred, 10);
    const cal = steps.calibrateStep(wf, actual, line);
    const [low, high] = cal.calibration.predict([-4, 4]);
    expect(low!).toBeLessThan(0.25);
    expect(high!).toBeGreaterThan(0.75);
    // the first fold has no earlier folds: no forward probability for it
    expect(Number.isNaN(cal.pOver[0]!)).toBe(true);
    expect(Number.isFinite(cal.pOver[n - 1]!)).toBe(true);
    expect(cal.metrics['calibration_brier']!).toBeLessThan(cal.metrics['calibration_brier_base_rate']!);
    expect(cal.metrics['calibration_n']).toBe(n - n / 10);
    for (const b of cal.bins) expect(b.observed).toBeGreaterThanOrEqual(0);
  });

  it('calibrateStep without lines says 50% rather than inventing a curve', () => {
    const wf = fakeWalkForward([10, 12, 14], 3);
    const cal = steps.calibrateStep(wf, [10, 11, 12], [Number.NaN, Number.NaN, Number.NaN]);
    expect(Array.from(cal.calibration.predict([-5, 5]))).toEqual([0.5, 0.5]);
    expect(cal.bins).toEqual([]);
  });

  it('loadData refuses a run without data, naming both ways to give it', () => {
    expect(() => steps.loadData({})).toThrow(/--data DIR .* or --synthetic/);
  });
});
