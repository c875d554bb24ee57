import { beforeAll, describe, expect, it } from 'vitest';
import { loadStatistics, pairedTests, wilcoxonSignedRank } from './stats.js';

beforeAll(loadStatistics);

describe('wilcoxonSignedRank', () => {
  it('matches a hand-worked exact case', () => {
    // d = a − b = [2, −1, 3, 4, −5, 6]; ranks of |d|: 1..6; V = W+ = 2 + 3 + 4 + 6 = 15.
    // Under H0 each of the 2^6 = 64 sign patterns is equally likely; W+ ≥ 15 ⇔ the
    // complement's rank sum ≤ 6: {}, {1}, {2}, {3}, {1,2}, {4}, {1,3}, {5}, {1,4}, {2,3},
    // {6}, {1,5}, {2,4}, {1,2,3} = 14 patterns. Two-sided p = 2 · 14/64 = 0.4375.
    const a = [12, 9, 13, 14, 5, 16];
    const b = [10, 10, 10, 10, 10, 10];
    const r = wilcoxonSignedRank(a, b)!;
    expect(r.statistic).toBe(15);
    expect(r.method).toBe('exact');
    expect(r.p_value).toBeCloseTo(0.4375, 10);
  });

  it('matches a hand-worked normal approximation with a zero and ties', () => {
    // d = [0, 1, −1, 2, 2, 3, −4, 5]: the zero is dropped (n = 7); |d| = 1,1,2,2,3,4,5 get
    // ranks 1.5,1.5,3.5,3.5,5,6,7; V = 1.5 + 3.5 + 3.5 + 5 + 7 = 20.5; mean n(n+1)/4 = 14;
    // variance n(n+1)(2n+1)/24 − Σ(t³ − t)/48 = 35 − 12/48 = 34.75;
    // z = (20.5 − 14 − 0.5)/√34.75 = 1.017826; p = 2(1 − Φ(z)) = 0.308760.
    const d = [0, 1, -1, 2, 2, 3, -4, 5];
    const r = wilcoxonSignedRank(
      d.map((x) => x + 10),
      d.map(() => 10),
    )!;
    expect(r.statistic).toBe(20.5);
    expect(r.method).toMatch(/normal approximation/);
    expect(r.n_zero).toBe(1);
    expect(r.n_nonzero).toBe(7);
    expect(r.p_value).toBeCloseTo(0.30876, 5);
  });

  it('matches R wilcox.test on its documented paired example (V = 40, p = 0.03906)', () => {
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = wilcoxonSignedRank(x, y)!;
    expect(r.statistic).toBe(40);
    expect(r.p_value).toBeCloseTo(0.0390625, 7);
  });

  it('handles degenerate input: too few pairs, all differences zero', () => {
    expect(wilcoxonSignedRank([1], [2])).toBeNull();
    expect(wilcoxonSignedRank([1, 2, 3], [1, 2, 3])).toMatchObject({
      p_value: 1,
      method: 'all differences zero',
    });
  });
});

describe('pairedTests', () => {
  it('gives the paired t-test, the mean difference and its 95% CI (R: t = 3.0354, df = 8, p = 0.01618)', () => {
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = pairedTests(x, y);
    expect(r.n).toBe(9);
    expect(r.mean_difference).toBeCloseTo(0.4318889, 6);
    expect(r.t_test!.statistic).toBeCloseTo(3.0354, 4);
    expect(r.t_test!.df).toBe(8);
    expect(r.t_test!.p_value).toBeCloseTo(0.01618, 5);
    expect(r.ci95![0]).toBeCloseTo(0.1037787, 6);
    expect(r.ci95![1]).toBeCloseTo(0.7599991, 6);
  });

  it('leaves the t-test out when the differences have no variance', () => {
    const r = pairedTests([2, 3, 4], [1, 2, 3]);
    expect(r.mean_difference).toBe(1);
    expect(r.t_test).toBeNull();
    expect(r.ci95).toBeNull();
    expect(r.wilcoxon).not.toBeNull();
  });
});
