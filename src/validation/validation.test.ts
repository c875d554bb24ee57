import { describe, expect, it } from 'vitest';
import {
  americanPayout,
  bootstrapRoi,
  regressionMetrics,
  segmentMetrics,
  simulateBets,
  walkForwardFolds,
} from './index.js';

function repeat(v: number, n: number): number[] {
  return Array.from({ length: n }, () => v);
}

describe('walkForwardFolds', () => {
  // days 0..59 with 3 games a day, except an empty break on days 30..36
  const days: number[] = [];
  for (let d = 0; d < 60; d++) if (d < 30 || d > 36) days.push(d, d, d);
  const dates = Int32Array.from(days);

  it('trains only on rows dated before the fold date, for every fold', () => {
    for (const every of [1, 3, 7]) {
      const folds = walkForwardFolds(dates, { start: 20, refitEveryDays: every });
      for (const f of folds) {
        expect(f.trainRows).toBeGreaterThan(0);
        expect(dates[f.trainRows - 1]!).toBeLessThan(f.foldDate);
        expect(dates[f.testStart]).toBe(f.foldDate);
        expect(f.trainRows).toBe(f.testStart);
        for (let r = f.testStart; r < f.testEnd; r++) {
          expect(dates[r]!).toBeGreaterThanOrEqual(f.foldDate);
          expect(dates[r]!).toBeLessThan(f.foldDate + every);
        }
      }
    }
  });

  it('covers every row from start to end once, expanding, and skips the break', () => {
    const folds = walkForwardFolds(dates, { start: 20, refitEveryDays: 7 });
    // windows start on days 20, 27, 34, 41, 48, 55; [34, 41) has games only on 37..40
    expect(folds.map((f) => f.foldDate)).toEqual([20, 27, 37, 41, 48, 55]);
    expect(folds.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(folds[0]!.testStart).toBe(60);
    expect(folds.at(-1)!.testEnd).toBe(dates.length);
    for (let i = 1; i < folds.length; i++) {
      expect(folds[i]!.testStart).toBe(folds[i - 1]!.testEnd);
      expect(folds[i]!.trainRows).toBeGreaterThan(folds[i - 1]!.trainRows);
    }
    // a window fully inside the break is dropped
    const daily = walkForwardFolds(dates, { start: 29, end: 38, refitEveryDays: 1 });
    expect(daily.map((f) => f.foldDate)).toEqual([29, 37, 38]);
    expect(daily.at(-1)!.testEnd).toBe(daily.at(-1)!.testStart + 3);
  });

  it('refuses unsorted dates, no training rows, bad options and empty ranges', () => {
    expect(() => walkForwardFolds(Int32Array.from([1, 3, 2]), { start: 2, refitEveryDays: 1 })).toThrow(
      /sorted ascending; row 2/,
    );
    expect(() => walkForwardFolds(dates, { start: 0, refitEveryDays: 1 })).toThrow(/no training rows/);
    expect(() => walkForwardFolds(dates, { start: 20, refitEveryDays: 0 })).toThrow(/refitEveryDays/);
    expect(() => walkForwardFolds(dates, { start: 31, end: 36, refitEveryDays: 1 })).toThrow(/no games/);
    expect(() => walkForwardFolds(dates, { start: 40, end: 30, refitEveryDays: 1 })).toThrow(/end/);
  });
});

describe('regressionMetrics', () => {
  it('computes MAE, RMSE, R², bias and within-k by hand', () => {
    const y = [10, 20, 30, 40];
    const p = [12, 18, 36, 29];
    // errors +2, −2, +6, −11
    const m = regressionMetrics(y, p);
    expect(m.n).toBe(4);
    expect(m.mae).toBeCloseTo(21 / 4, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt((4 + 4 + 36 + 121) / 4), 12);
    expect(m.bias).toBeCloseTo(-5 / 4, 12);
    expect(m.r2).toBeCloseTo(1 - 165 / 500, 12);
    expect(m.within_3).toBeCloseTo(0.5, 12);
    expect(m.within_5).toBeCloseTo(0.5, 12);
    expect(m.within_10).toBeCloseTo(0.75, 12);
  });

  it('is perfect for perfect predictions and names bad rows', () => {
    const m = regressionMetrics([1, 2, 3], [1, 2, 3]);
    expect(m.mae).toBe(0);
    expect(m.r2).toBe(1);
    expect(() => regressionMetrics([1, 2], [1])).toThrow(/2 outcomes but 1 predictions/);
    expect(() => regressionMetrics([1, Number.NaN], [1, 2])).toThrow(/row 1/);
    expect(() => regressionMetrics([], [])).toThrow(/no rows/);
  });
});

describe('americanPayout', () => {
  it('converts American odds to units won per unit', () => {
    expect(americanPayout(-110)).toBeCloseTo(0.9090909, 6);
    expect(americanPayout(120)).toBeCloseTo(1.2, 12);
    expect(americanPayout(100)).toBe(1);
    expect(americanPayout(-200)).toBeCloseTo(0.5, 12);
    expect(() => americanPayout(50)).toThrow(/≤ −100 or ≥ \+100/);
    expect(() => americanPayout(Number.NaN)).toThrow();
  });
});

describe('simulateBets', () => {
  it('all −110: 11 wins and 9 losses give ROI (11 × 0.90909 − 9) / 20', () => {
    // 20 over bets (pred 30 vs line 25.5): 11 outcomes above the line, 9 below
    const actual = [...repeat(28, 11), ...repeat(20, 9)];
    const r = simulateBets({
      pred: repeat(30, 20),
      actual,
      line: repeat(25.5, 20),
      overOdds: repeat(-110, 20),
      underOdds: repeat(-110, 20),
      minEdge: 2,
    });
    expect(r.n_bets).toBe(20);
    expect(r.n_over).toBe(20);
    expect(r.wins).toBe(11);
    expect(r.losses).toBe(9);
    expect(r.pushes).toBe(0);
    expect(r.win_rate).toBeCloseTo(0.55, 12);
    expect(r.profit).toBeCloseTo(11 * (100 / 110) - 9, 10);
    expect(r.roi).toBeCloseTo((11 * (100 / 110) - 9) / 20, 10);
    // consistency with the price: ROI = win_rate × (1 + payout) − 1 without pushes
    expect(r.roi).toBeCloseTo(r.win_rate * (1 + 100 / 110) - 1, 10);
    expect(r.break_even_win_rate).toBeCloseTo(110 / 210, 10);
    // wins come first, then 9 straight losses: drawdown 9
    expect(r.max_drawdown).toBeCloseTo(9, 10);
  });

  it('break-even at −110 is a win rate of 52.38%: 11 wins 10 losses lose money, 12–10 win', () => {
    const run = (w: number, l: number) =>
      simulateBets({
        pred: repeat(10, w + l),
        actual: [...repeat(5, w), ...repeat(20, l)],
        line: repeat(14.5, w + l),
        overOdds: repeat(-110, w + l),
        underOdds: repeat(-110, w + l),
        minEdge: 1,
      });
    const a = run(11, 10);
    expect(a.n_under).toBe(21);
    expect(a.win_rate).toBeLessThan(a.break_even_win_rate);
    expect(a.roi).toBeLessThan(0);
    const b = run(12, 10);
    expect(b.win_rate).toBeGreaterThan(b.break_even_win_rate);
    expect(b.roi).toBeGreaterThan(0);
  });

  it('pays plus odds, returns the stake on a push, skips small edges and missing lines', () => {
    const r = simulateBets({
      //      over win  under loss  push     edge 1 < 2  no line   over not offered
      pred: [30, 10, 30, 21, 30, 30],
      actual: [26, 30, 25, 0, 40, 40],
      line: [25, 25, 25, 20, Number.NaN, 25],
      overOdds: [120, 120, -150, 120, 120, Number.NaN],
      underOdds: [-130, -105, -110, -110, -110, -110],
      minEdge: 2,
    });
    expect(Array.from(r.side)).toEqual([1, -1, 1, 0, 0, 0]);
    expect(Array.from(r.rowProfit)).toEqual([1.2, -1, 0, 0, 0, 0]);
    expect(r.n_bets).toBe(3);
    expect(r.wins).toBe(1);
    expect(r.losses).toBe(1);
    expect(r.pushes).toBe(1);
    expect(r.win_rate).toBeCloseTo(0.5, 12);
    expect(r.profit).toBeCloseTo(0.2, 12);
    // the push's unit was staked and returned
    expect(r.roi).toBeCloseTo(0.2 / 3, 12);
    expect(r.avg_payout).toBeCloseTo((1.2 + 100 / 105 + 100 / 150) / 3, 12);
    expect(r.max_drawdown).toBeCloseTo(1, 12);
  });

  it('has NaN rates without bets and refuses mismatched input', () => {
    const r = simulateBets({
      pred: [10],
      actual: [10],
      line: [10],
      overOdds: [-110],
      underOdds: [-110],
      minEdge: 0,
    });
    expect(r.n_bets).toBe(0);
    expect(r.roi).toBeNaN();
    expect(r.win_rate).toBeNaN();
    expect(() =>
      simulateBets({
        pred: [1, 2],
        actual: [1],
        line: [1, 2],
        overOdds: [1, 2],
        underOdds: [1, 2],
        minEdge: 1,
      }),
    ).toThrow(/actual has 1 rows but pred has 2/);
    expect(() =>
      simulateBets({ pred: [1], actual: [1], line: [1], overOdds: [-110], underOdds: [-110], minEdge: -1 }),
    ).toThrow(/minEdge/);
  });
});

describe('bootstrapRoi', () => {
  it('brackets the observed ROI and is reproducible with a seed', () => {
    const profits = [...repeat(100 / 110, 55), ...repeat(-1, 45)];
    const roi = profits.reduce((a, b) => a + b, 0) / profits.length;
    const ci = bootstrapRoi(profits, { seed: 7, iterations: 1000 });
    expect(ci.low).toBeLessThan(roi);
    expect(ci.high).toBeGreaterThan(roi);
    expect(ci.high - ci.low).toBeGreaterThan(0.2);
    expect(bootstrapRoi(profits, { seed: 7, iterations: 1000 })).toEqual(ci);
    expect(bootstrapRoi([]).low).toBeNaN();
  });
});

describe('segmentMetrics', () => {
  it('computes each segment from its own rows, in order of first appearance, skipping unlabelled rows', () => {
    const y = [10, 20, 30, 40, 50];
    const p = [11, 18, 30, 44, 0];
    const seg = segmentMetrics(y, p, ['away', 'home', 'away', 'home', null]);
    expect(seg.map((s) => s.segment)).toEqual(['away', 'home']);
    expect(seg[0]!.n).toBe(2);
    expect(seg[0]!.mae).toBeCloseTo(0.5, 12);
    expect(seg[1]!.mae).toBeCloseTo(3, 12);
    expect(seg[1]!.bias).toBeCloseTo(1, 12);
    expect(() => segmentMetrics(y, p, ['a'])).toThrow(/1 labels/);
  });
});
