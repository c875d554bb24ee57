import { describe, expect, it } from 'vitest';
import { fitIsotonic, loadIsotonic } from './index.js';

const arr = (a: ArrayLike<number>): number[] => Array.from(a);

describe('isotonic regression (PAV)', () => {
  it('pools one violating pair: y = 1, 3, 2, 4 → 1, 2.5, 2.5, 4', () => {
    const iso = fitIsotonic([1, 2, 3, 4], [1, 3, 2, 4]);
    expect(arr(iso.predict([1, 2, 3, 4]))).toEqual([1, 2.5, 2.5, 4]);
    // interpolation between knots, clipping outside
    expect(iso.predict([1.5])[0]).toBeCloseTo(1.75, 12);
    expect(iso.predict([3.5])[0]).toBeCloseTo(3.25, 12);
    expect(arr(iso.predict([0, 10]))).toEqual([1, 4]);
    expect(Number.isNaN(iso.predict([Number.NaN])[0]!)).toBe(true);
  });

  it('pools a chain back to the start: y = 5, 4, 3, 10 → 4, 4, 4, 10', () => {
    const iso = fitIsotonic([0, 1, 2, 3], [5, 4, 3, 10]);
    expect(arr(iso.predict([0, 1, 2, 3]))).toEqual([4, 4, 4, 10]);
    expect(arr(iso.x)).toEqual([0, 2, 3]);
    expect(iso.predict([2.5])[0]).toBeCloseTo(7, 12);
  });

  it('uses weights: (3 with weight 1, 1 with weight 3) pool to 1.5', () => {
    const iso = fitIsotonic([0, 1], [3, 1], { weights: [1, 3] });
    expect(arr(iso.predict([0, 1]))).toEqual([1.5, 1.5]);
  });

  it('pools equal x first, sorts unsorted input', () => {
    // x = 2 appears twice (mean 0.5, weight 2), then x = 3 has 0: pooled (0.5·2 + 0)/3 = 1/3
    const iso = fitIsotonic([3, 2, 2], [0, 0, 1]);
    const p = iso.predict([2, 3]);
    expect(p[0]).toBeCloseTo(1 / 3, 12);
    expect(p[1]).toBeCloseTo(1 / 3, 12);
  });

  it('fits a decreasing function when asked', () => {
    const iso = fitIsotonic([1, 2, 3], [3, 4, 1], { increasing: false });
    expect(arr(iso.predict([1, 2, 3]))).toEqual([3.5, 3.5, 1]);
  });

  it('calibrates over-probabilities: monotone, within [0, 1], observed frequency per block', () => {
    const raw = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
    const over = [0, 0, 1, 0, 1, 0, 1, 1];
    const iso = fitIsotonic(raw, over, { yMin: 0, yMax: 1 });
    const p = arr(iso.predict(raw));
    expect(p).toEqual([0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1]);
  });

  it('round-trips through JSON and rejects broken calibration files', () => {
    const iso = fitIsotonic([1, 2, 3, 4], [1, 3, 2, 4]);
    const back = loadIsotonic(JSON.parse(JSON.stringify(iso.toJSON())));
    expect(arr(back.predict([1.5, 2.2, 9]))).toEqual(arr(iso.predict([1.5, 2.2, 9])));
    const bad = { ...iso.toJSON(), y: [4, 3, 2, 1] };
    expect(() => loadIsotonic(bad)).toThrow(/not non-decreasing at knot 1/);
    expect(() => loadIsotonic({ format: 'x' })).toThrow(/invalid calibration/);
  });

  it('rejects bad input', () => {
    expect(() => fitIsotonic([], [])).toThrow(/no points/);
    expect(() => fitIsotonic([1, 2], [1])).toThrow(/2 x values but 1 y values/);
    expect(() => fitIsotonic([1, Number.NaN], [1, 2])).toThrow(/point 1/);
    expect(() => fitIsotonic([1, 2], [1, 2], { weights: [1, -1] })).toThrow(/weight 1/);
  });
});
