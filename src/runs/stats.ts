/**
 * Paired tests of two runs' per-fold scores, matched by fold date. The tests come from
 * stdlib (`@stdlib/stats-wilcoxon`, `@stdlib/stats-ttest`), which mirror R's `wilcox.test`
 * and `t.test(paired = TRUE)`:
 *
 * - Wilcoxon signed-rank on the differences a − b: zero differences are dropped (Wilcoxon's
 *   method, R's and SciPy's default); with at most 50 non-zero differences, no ties and no
 *   zeros the p-value is EXACT (the signed-rank distribution); otherwise it is the normal
 *   approximation with the tie correction of the variance and a continuity correction of 0.5.
 * - Paired t-test on the differences, with the t-based 95% confidence interval of their mean.
 *
 * Both are two-sided. Fewer than two pairs → no test (null); all differences zero → the
 * Wilcoxon p-value is 1; constant non-zero differences → no t-test (zero variance).
 */
type Wilcoxon = typeof import('@stdlib/stats-wilcoxon');
type TTest = typeof import('@stdlib/stats-ttest');

let lib: { wilcoxon: Wilcoxon; ttest: TTest } | undefined;

/**
 * Load the statistics package (hundreds of small stdlib modules: about a second through tsx
 * on a busy machine), once per process. `compareRuns` starts it while it fetches the runs;
 * commands that compare nothing never pay for it.
 */
export async function loadStatistics(): Promise<void> {
  if (lib) return;
  const [w, t] = await Promise.all([import('@stdlib/stats-wilcoxon'), import('@stdlib/stats-ttest')]);
  lib = { wilcoxon: w.default, ttest: t.default };
}

function stats(): { wilcoxon: Wilcoxon; ttest: TTest } {
  if (!lib) throw new Error('statistics not loaded: await loadStatistics() first');
  return lib;
}

export interface WilcoxonResult {
  /** V: the sum of the ranks of the positive differences a − b. */
  statistic: number;
  p_value: number;
  method: 'exact' | 'normal approximation (tie and continuity corrected)' | 'all differences zero';
  n_nonzero: number;
  n_zero: number;
}

export interface TTestResult {
  statistic: number;
  df: number;
  p_value: number;
}

export interface PairedTestResult {
  /** Number of pairs (dates both runs have). */
  n: number;
  /** Mean of a − b. */
  mean_difference: number | null;
  /** t-based 95% confidence interval of the mean difference. */
  ci95: [number, number] | null;
  t_test: TTestResult | null;
  wilcoxon: WilcoxonResult | null;
}

/** Wilcoxon signed-rank test of the paired values (two-sided). Needs `loadStatistics()` first. */
export function wilcoxonSignedRank(a: readonly number[], b: readonly number[]): WilcoxonResult | null {
  const n = Math.min(a.length, b.length);
  if (n < 2) return null;
  const d: number[] = [];
  for (let i = 0; i < n; i++) d.push(a[i]! - b[i]!);
  const nonzero = d.filter((x) => x !== 0);
  const nZero = n - nonzero.length;
  if (nonzero.length === 0) {
    return { statistic: 0, p_value: 1, method: 'all differences zero', n_nonzero: 0, n_zero: nZero };
  }
  if (nonzero.length === 1) {
    // stdlib needs two values; one non-zero difference: V is 1 or 0, exact p-value 1
    return {
      statistic: nonzero[0]! > 0 ? 1 : 0,
      p_value: 1,
      method: 'exact',
      n_nonzero: 1,
      n_zero: nZero,
    };
  }
  const abs = nonzero.map(Math.abs).sort((x, y) => x - y);
  let ties = false;
  for (let i = 1; i < abs.length; i++) if (abs[i] === abs[i - 1]) ties = true;
  const exact = nonzero.length <= 50 && !ties && nZero === 0;
  const r = stats().wilcoxon(nonzero, { zeroMethod: 'wilcox', correction: true });
  return {
    statistic: r.statistic,
    p_value: Math.min(1, r.pValue),
    method: exact ? 'exact' : 'normal approximation (tie and continuity corrected)',
    n_nonzero: nonzero.length,
    n_zero: nZero,
  };
}

/** Paired t-test and Wilcoxon signed-rank test of a − b, with the mean difference and its 95% CI. Needs `loadStatistics()` first. */
export function pairedTests(a: readonly number[], b: readonly number[]): PairedTestResult {
  const n = Math.min(a.length, b.length);
  if (n === 0) return { n, mean_difference: null, ci95: null, t_test: null, wilcoxon: null };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i]! - b[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i]! - b[i]! - mean) ** 2;
  let t: TTestResult | null = null;
  let ci: [number, number] | null = null;
  if (n >= 2 && ss > 1e-24 * Math.max(1, mean * mean)) {
    const r = stats().ttest([...a.slice(0, n)], [...b.slice(0, n)], { alpha: 0.05 });
    t = { statistic: r.statistic, df: r.df, p_value: r.pValue };
    ci = [r.ci[0]!, r.ci[1]!];
  }
  return { n, mean_difference: mean, ci95: ci, t_test: t, wilcoxon: wilcoxonSignedRank(a, b) };
}
