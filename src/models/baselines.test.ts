import { describe, expect, it } from 'vitest';
import { lastNAverage, meanOfPrior, seasonToDateAverage } from './index.js';

describe('baselines use only earlier rows of the same group', () => {
  const groups = ['a', 'b', 'a', 'a', 'b', 'a', 'a'];
  const values = [10, 30, 20, Number.NaN, 50, 30, 40];

  it('season-to-date average', () => {
    const p = seasonToDateAverage(groups, values, { fallback: -1 });
    // a: -, 10, mean(10,20)=15, 15 (NaN skipped), mean(10,20,30)=20 ; b: -, 30
    expect(Array.from(p)).toEqual([-1, -1, 10, 15, 30, 15, 20]);
    const nan = seasonToDateAverage(['x'], [5]);
    expect(Number.isNaN(nan[0]!)).toBe(true);
  });

  it('last-N average', () => {
    const p = lastNAverage(groups, values, 2, { fallback: 0 });
    // a: -, 10, (10+20)/2, 15, 15, (20+30)/2 ; b: -, 30
    expect(Array.from(p)).toEqual([0, 0, 10, 15, 30, 15, 25]);
    expect(Array.from(lastNAverage([1, 1, 1, 1], [1, 2, 3, 4], 3))).toEqual([Number.NaN, 1, 1.5, 2]);
  });

  it('changing a row never changes its own or earlier predictions', () => {
    const changed = values.slice();
    changed[4] = 1000;
    const a = seasonToDateAverage(groups, values);
    const b = seasonToDateAverage(groups, changed);
    expect(Array.from(b.subarray(0, 5))).toEqual(Array.from(a.subarray(0, 5)));
  });

  it('serving helper and bad input', () => {
    expect(meanOfPrior([1, 2, Number.NaN, 6])).toBe(3);
    expect(meanOfPrior([1, 2, Number.NaN, 6], 2)).toBe(4);
    expect(Number.isNaN(meanOfPrior([]))).toBe(true);
    expect(() => seasonToDateAverage(['a'], [1, 2])).toThrow(/1 group keys but 2 values/);
    expect(() => lastNAverage(['a'], [1], 0)).toThrow(/positive integer/);
  });
});
