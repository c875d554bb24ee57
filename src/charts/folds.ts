/**
 * Chart specs over fold and monitoring series: pure data in, vega-lite out. The web UI embeds
 * them with vega-embed; `renderPng` draws the same specs to PNG. Browser-safe (imports
 * types only), so the UI bundle imports this file directly rather than the charts index,
 * whose renderer loads native modules.
 */
import type { ChartSpec } from './theme.js';

/** One fold of a walk-forward run: its date (`YYYY-MM-DD`), MAE and prediction count. */
export interface FoldPoint {
  date: string;
  mae: number;
  n: number | null;
}

/** The folds of one run, labelled (a run name) for the legend. */
export interface FoldSeries {
  label: string;
  points: FoldPoint[];
}

/** `20260114` (a `fold_date` metric) → `2026-01-14`; null when the number is not a date. */
export function yyyymmddToIso(value: number): string | null {
  if (!Number.isInteger(value) || value < 1000_01_01 || value > 9999_12_31) return null;
  const s = String(value);
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso ? null : iso;
}

/** Metric histories (`{step, value}`) of one run → its fold points, in date order. */
export function foldPointsFromHistories(histories: {
  fold_mae: ReadonlyArray<{ step: number; value: number }>;
  fold_date: ReadonlyArray<{ step: number; value: number }>;
  fold_n_predictions?: ReadonlyArray<{ step: number; value: number }>;
}): FoldPoint[] {
  const dateOf = new Map(histories.fold_date.map((m) => [m.step, yyyymmddToIso(m.value)]));
  const nOf = new Map((histories.fold_n_predictions ?? []).map((m) => [m.step, m.value]));
  const points: FoldPoint[] = [];
  for (const m of histories.fold_mae) {
    const date = dateOf.get(m.step);
    if (!date || !Number.isFinite(m.value)) continue;
    points.push({ date, mae: m.value, n: nOf.get(m.step) ?? null });
  }
  return points.sort((a, b) => a.date.localeCompare(b.date));
}

/**
 * Fold MAE over fold dates, one line with points per series (overlaid when several); the
 * tooltip shows run, date, MAE and n.
 */
export function foldMaeSpec(series: readonly FoldSeries[], options: { title?: string } = {}): ChartSpec {
  const values = series.flatMap((s) => s.points.map((p) => ({ run: s.label, ...p })));
  const several = series.length > 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? (several ? 'Fold MAE by date' : 'Fold MAE by fold date'),
    width: 'container',
    height: 260,
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 1.5 },
    encoding: {
      x: {
        field: 'date',
        type: 'temporal',
        title: 'Fold date',
        axis: { format: '%b %d, %Y' },
        scale: { padding: 12 },
      },
      y: { field: 'mae', type: 'quantitative', title: 'MAE (PRA points)', scale: { zero: false } },
      color: several
        ? { field: 'run', type: 'nominal', title: 'Run', legend: { orient: 'bottom' } }
        : { value: '#1f77b4' },
      tooltip: [
        ...(several ? [{ field: 'run', type: 'nominal' as const, title: 'Run' }] : []),
        { field: 'date', type: 'temporal', title: 'Date', format: '%Y-%m-%d' },
        { field: 'mae', type: 'quantitative', title: 'MAE', format: '.3f' },
        { field: 'n', type: 'quantitative', title: 'n' },
      ],
    },
  } as ChartSpec;
}

/** One day of a monitored model version. */
export interface MonitoringPoint {
  date: string;
  series: 'live MAE (rolling)' | 'live MAE (day)' | 'validation MAE';
  mae: number;
  games: number | null;
}

/** Live vs validation MAE by day for one monitored model version. */
export function monitoringSpec(points: readonly MonitoringPoint[], title: string): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 'container',
    height: 260,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: { filled: true, size: 35 }, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'date', type: 'temporal', title: 'Day', axis: { format: '%b %d' }, scale: { padding: 12 } },
      y: { field: 'mae', type: 'quantitative', title: 'MAE (PRA points)', scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { orient: 'bottom' },
        scale: {
          domain: ['live MAE (rolling)', 'live MAE (day)', 'validation MAE'],
          range: ['#d62728', '#ff9896', '#1f77b4'],
        },
      },
      tooltip: [
        { field: 'date', type: 'temporal', title: 'Day', format: '%Y-%m-%d' },
        { field: 'series', type: 'nominal', title: 'Series' },
        { field: 'mae', type: 'quantitative', title: 'MAE', format: '.3f' },
        { field: 'games', type: 'quantitative', title: 'Games' },
      ],
    },
  } as ChartSpec;
}
