/**
 * Chart specs of the standard tracker's plots, as vega-lite: feature importance, residuals
 * analysis and the reliability of P(over line). Pure functions of plain data (no node
 * imports), so the web UI can draw the same charts with vega-embed; `src/charts` renders them
 * to PNG for the run's artifacts. Each builder summarises its rows first (quantiles, bins,
 * a bounded sample), so a season of predictions makes a small spec.
 */
import type { ChartSpec } from '../charts/index.js';

export interface ImportanceRow {
  feature: string;
  importance: number;
}

/** Horizontal bars of the top features' share of total gain. */
export function featureImportanceSpec(
  rows: readonly ImportanceRow[],
  options: { top?: number; kind?: string; subtitle?: string } = {},
): ChartSpec {
  const top = options.top ?? 20;
  const total = rows.reduce((s, r) => s + Math.max(0, r.importance), 0) || 1;
  const sorted = [...rows].sort((a, b) => b.importance - a.importance).slice(0, top);
  const values = sorted.map((r) => ({
    feature: r.feature,
    share: (100 * Math.max(0, r.importance)) / total,
  }));
  return {
    title: {
      text: `Feature importance (${options.kind ?? 'gain'}): top ${sorted.length} of ${rows.length} features`,
      ...(options.subtitle ? { subtitle: options.subtitle } : {}),
    },
    width: 520,
    height: Math.max(120, 18 * values.length),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#1f77b4' },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: null, title: 'Feature', axis: { labelLimit: 220 } },
          x: { field: 'share', type: 'quantitative', title: `Share of total ${options.kind ?? 'gain'} (%)` },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333333' },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: null },
          x: { field: 'share', type: 'quantitative' },
          text: { field: 'share', type: 'quantitative', format: '.1f' },
        },
      },
    ],
  } as ChartSpec;
}

export interface ResidualRow {
  /** Day number (days since 1970-01-01) of the game. */
  date: number;
  actual: number;
  prediction: number;
  /** Minutes played in the game (NaN when unknown). */
  minutes: number;
}

const MINUTE_BUCKETS: ReadonlyArray<[number, number, string]> = [
  [0, 10, '0–10'],
  [10, 20, '10–20'],
  [20, 30, '20–30'],
  [30, 40, '30–40'],
  [40, Number.POSITIVE_INFINITY, '40+'],
];

function quantile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** A deterministic, evenly spread sample of at most `k` row indices. */
function spread(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

/** The three residual panels' data: a scatter sample with binned means, minutes buckets, and by date. */
export function residualSummaries(rows: readonly ResidualRow[]) {
  const scatter = spread(rows.length, 2500).map((i) => {
    const r = rows[i]!;
    return { prediction: r.prediction, residual: r.actual - r.prediction };
  });
  const byPredBin = new Map<number, { s: number; n: number }>();
  for (const r of rows) {
    const b = Math.floor(r.prediction / 5) * 5;
    const e = byPredBin.get(b) ?? { s: 0, n: 0 };
    e.s += r.actual - r.prediction;
    e.n++;
    byPredBin.set(b, e);
  }
  const binMeans = [...byPredBin]
    .filter(([, e]) => e.n >= 20)
    .sort((a, b) => a[0] - b[0])
    .map(([b, e]) => ({ prediction: b + 2.5, residual: e.s / e.n, n: e.n }));
  const buckets = MINUTE_BUCKETS.map(([lo, hi, label]) => {
    const res = rows.filter((r) => r.minutes >= lo && r.minutes < hi).map((r) => r.actual - r.prediction);
    const s = Float64Array.from(res).sort();
    const mae = res.reduce((a, x) => a + Math.abs(x), 0) / (res.length || 1);
    return {
      bucket: `${label} min`,
      label: `${label} min|n=${res.length.toLocaleString('en-US')}`,
      n: res.length,
      q10: quantile(s, 0.1),
      q25: quantile(s, 0.25),
      median: quantile(s, 0.5),
      q75: quantile(s, 0.75),
      q90: quantile(s, 0.9),
      mae,
    };
  }).filter((b) => b.n > 0);
  const byDate = new Map<number, { s: number; a: number; n: number }>();
  for (const r of rows) {
    const e = byDate.get(r.date) ?? { s: 0, a: 0, n: 0 };
    const d = r.actual - r.prediction;
    e.s += d;
    e.a += Math.abs(d);
    e.n++;
    byDate.set(r.date, e);
  }
  const overTime = [...byDate]
    .sort((a, b) => a[0] - b[0])
    .flatMap(([d, e]) => [
      { date: isoDay(d), series: 'MAE', value: e.a / e.n },
      { date: isoDay(d), series: 'Mean residual (actual − predicted)', value: e.s / e.n },
    ]);
  return { scatter, binMeans, buckets, overTime };
}

const ZERO_RULE = {
  mark: { type: 'rule', color: '#555555', strokeDash: [4, 3] },
  encoding: { y: { datum: 0 } },
};

type Summaries = ReturnType<typeof residualSummaries>;

function scatterPanel({ scatter, binMeans }: Summaries): Record<string, unknown> {
  const zero = ZERO_RULE;
  return {
    title: 'Residual vs prediction (red: bin means)',
    width: 360,
    height: 260,
    layer: [
      {
        data: { values: scatter },
        mark: { type: 'circle', size: 10, opacity: 0.25, color: '#1f77b4' },
        encoding: {
          x: { field: 'prediction', type: 'quantitative', title: 'Predicted PRA' },
          y: { field: 'residual', type: 'quantitative', title: 'Residual (PRA points)' },
        },
      },
      {
        data: { values: binMeans },
        mark: { type: 'line', color: '#d62728', strokeWidth: 2, point: { color: '#d62728' } },
        encoding: {
          x: { field: 'prediction', type: 'quantitative' },
          y: { field: 'residual', type: 'quantitative' },
        },
      },
      zero,
    ],
  };
}

function minutesPanel({ buckets }: Summaries): Record<string, unknown> {
  const zero = ZERO_RULE;
  return {
    title: 'Residual by minutes played (10–90% and 25–75%, median)',
    width: 330,
    height: 260,
    data: { values: buckets },
    layer: [
      {
        mark: { type: 'rule', color: '#7f7f7f' },
        encoding: {
          x: {
            field: 'label',
            type: 'nominal',
            sort: null,
            title: 'Minutes played in the game',
            axis: { labelAngle: 0, labelExpr: "split(datum.label, '|')", labelLineHeight: 14 },
          },
          y: { field: 'q10', type: 'quantitative', title: 'Residual (PRA points)' },
          y2: { field: 'q90' },
        },
      },
      {
        mark: { type: 'bar', size: 28, color: '#9ecae1' },
        encoding: {
          x: { field: 'label', type: 'nominal', sort: null },
          y: { field: 'q25', type: 'quantitative' },
          y2: { field: 'q75' },
        },
      },
      {
        mark: { type: 'tick', size: 28, thickness: 2, color: '#08306b' },
        encoding: {
          x: { field: 'label', type: 'nominal', sort: null },
          y: { field: 'median', type: 'quantitative' },
        },
      },
      zero,
    ],
  };
}

function overTimePanel({ overTime }: Summaries): Record<string, unknown> {
  const zero = ZERO_RULE;
  return {
    title: 'By game date: MAE and mean residual per day',
    width: 760,
    height: 180,
    data: { values: overTime },
    layer: [
      {
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'date', type: 'temporal', title: 'Game date' },
          y: { field: 'value', type: 'quantitative', title: 'PRA points' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            legend: { orient: 'bottom', direction: 'horizontal' },
          },
        },
      },
      zero,
    ],
  };
}

/** Residuals vs prediction, by minutes played, and over time, in one figure. */
export function residualsSpec(rows: readonly ResidualRow[], options: { subtitle?: string } = {}): ChartSpec {
  const sums = residualSummaries(rows);
  return {
    title: {
      text: `Residuals analysis: actual − predicted PRA (${rows.length.toLocaleString('en-US')} predictions)`,
      ...(options.subtitle ? { subtitle: options.subtitle } : {}),
    },
    vconcat: [{ hconcat: [scatterPanel(sums), minutesPanel(sums)] }, overTimePanel(sums)],
  } as unknown as ChartSpec;
}

export interface ReliabilityBin {
  /** Mean predicted probability in the bin. */
  predicted: number;
  /** Observed frequency of the over. */
  observed: number;
  n: number;
}

/** Reliability bins of probabilities against 0/1 outcomes (equal-width bins of the probability). */
export function reliabilityBins(
  prob: ArrayLike<number>,
  outcome: ArrayLike<number>,
  nBins = 10,
): ReliabilityBin[] {
  const s = new Float64Array(nBins);
  const o = new Float64Array(nBins);
  const n = new Float64Array(nBins);
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(outcome[i]!)) continue;
    const b = Math.min(nBins - 1, Math.floor(p * nBins));
    s[b]! += p;
    o[b]! += outcome[i]!;
    n[b]!++;
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < nBins; b++)
    if (n[b]! > 0) out.push({ predicted: s[b]! / n[b]!, observed: o[b]! / n[b]!, n: n[b]! });
  return out;
}

/** Reliability diagram: observed over-rate against the calibrated probability, the diagonal for reference. */
export function reliabilitySpec(
  all: readonly ReliabilityBin[],
  options: { subtitle?: string } = {},
): ChartSpec {
  const total = all.reduce((a, b) => a + b.n, 0);
  // a bin of a handful of predictions is noise; it would dominate the line
  const bins = all.filter((b) => b.n >= 20);
  const note = 'bins of 0.1 with at least 20 predictions; dashed: perfect calibration';
  const maxN = Math.max(20, ...bins.map((b) => b.n));
  const nice = (x: number) => {
    const p = 10 ** Math.floor(Math.log10(x));
    return Math.max(20, Math.round(x / p) * p);
  };
  const legendValues = [...new Set([nice(maxN / 20), nice(maxN / 4), nice(maxN)])];
  return {
    title: {
      text: `Reliability of calibrated P(over line) (${total.toLocaleString('en-US')} priced predictions)`,
      subtitle: options.subtitle ? [options.subtitle, note] : note,
    },
    width: 420,
    height: 360,
    layer: [
      {
        data: { values: [{ p: 0 }, { p: 1 }] },
        mark: { type: 'line', color: '#999999', strokeDash: [5, 4] },
        encoding: {
          x: {
            field: 'p',
            type: 'quantitative',
            title: 'Predicted probability of the over',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'p',
            type: 'quantitative',
            title: 'Observed frequency of the over',
            scale: { domain: [0, 1] },
          },
        },
      },
      {
        data: { values: bins },
        mark: { type: 'line', color: '#1f77b4', point: { filled: true } },
        encoding: {
          x: { field: 'predicted', type: 'quantitative' },
          y: { field: 'observed', type: 'quantitative' },
        },
      },
      {
        data: { values: bins },
        mark: { type: 'circle', color: '#1f77b4', opacity: 0.35 },
        encoding: {
          x: { field: 'predicted', type: 'quantitative' },
          y: { field: 'observed', type: 'quantitative' },
          size: {
            field: 'n',
            type: 'quantitative',
            title: 'Predictions in bin',
            scale: { range: [20, 600], zero: false },
            legend: { values: legendValues },
          },
        },
      },
    ],
  } as ChartSpec;
}

export interface FoldMaeRow {
  date: string;
  mae: number;
  series: string;
}

/** Fold MAE by fold date (one line per series: the model, a baseline). */
export function foldMaeSpec(rows: readonly FoldMaeRow[], title = 'Walk-forward MAE by fold date'): ChartSpec {
  return {
    title,
    width: 640,
    height: 240,
    data: { values: rows },
    mark: { type: 'line', point: { size: 14 } },
    encoding: {
      x: { field: 'date', type: 'temporal', title: 'Fold date' },
      y: { field: 'mae', type: 'quantitative', title: 'MAE (PRA points)', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  } as ChartSpec;
}
