/**
 * `compareRuns`: the one comparison the CLI, the benchmark and the web UI use. Params,
 * metrics and tags side by side, per-fold scores matched by fold DATE, paired tests between
 * runs, wins per run and deltas against a baseline — as a plain JSON-able object with
 * snake_case keys.
 */
import { InvalidParameterError } from '../errors.js';
import type { Metric, Run, TrackingStore } from '../tracking/index.js';
import { experimentNames, metricHistories, resolveRuns } from './load.js';
import { loadStatistics, type PairedTestResult, pairedTests } from './stats.js';

export interface CompareOptions {
  /** Run id or name every other run is compared against (added first when not among the runs). */
  baseline?: string;
  /** Per-fold metric logged at step = fold index (default `fold_mae`). */
  foldMetric?: string;
  /** Whether a higher fold metric is better (default: true only for r2, roi, win rate, accuracy, auc). */
  higherIsBetter?: boolean;
  /** Keep only params, metrics and tags whose values differ between the runs. */
  onlyDiff?: boolean;
}

export interface ComparedRun {
  run_id: string;
  run_name: string;
  /** Name shown in tables and chart legends: the run name, with a short id when names repeat. */
  label: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  start_time: string;
  /** Folds with a date. */
  n_folds: number;
  /** Mean of the fold metric over this run's dated folds. */
  fold_mean: number | null;
  /** Where the fold dates came from. */
  fold_dates_from: 'fold_date metric' | 'fold_<i>_date tags' | null;
}

export interface ValueRow<T> {
  key: string;
  /** One value per run (runs order); null when the run does not have it. */
  values: Array<T | null>;
  differs: boolean;
}

export interface MetricRow extends ValueRow<number> {
  /** value − baseline's value, per run (null for the baseline itself or a missing value). */
  delta_vs_baseline?: Array<number | null>;
}

export interface FoldRow {
  /** Fold date, YYYY-MM-DD. */
  date: string;
  values: Array<number | null>;
  /** Indices of the runs with the best value on this date (among those that have one). */
  best: number[];
}

export interface RunPair extends PairedTestResult {
  /** The difference is a − b (negative: a has the lower fold metric). */
  a: string;
  b: string;
  a_label: string;
  b_label: string;
  /** Dates both runs have where a (b) is strictly better; ties. */
  wins_a: number;
  wins_b: number;
  ties: number;
  /** The run with the better mean on the shared dates (null when equal or no shared dates). */
  better: string | null;
  /** Wilcoxon p < 0.05. */
  significant: boolean;
}

export interface RunWins {
  run_id: string;
  label: string;
  /** Dates (among those every run has) on which this run alone is best. */
  dates_won: number;
}

export interface Comparison {
  runs: ComparedRun[];
  baseline_run_id: string | null;
  fold_metric: string;
  higher_is_better: boolean;
  params: ValueRow<string>[];
  metrics: MetricRow[];
  tags: ValueRow<string>[];
  folds: FoldRow[];
  /** Dates every run has (the ones `wins` counts). */
  common_dates: number;
  wins: RunWins[];
  /** Tied dates among the common dates (several runs equally best). */
  tied_dates: number;
  pairs: RunPair[];
  warnings: string[];
  /** Time to fetch everything from the store, in ms. */
  fetch_ms: number;
}

const HIGHER_BETTER = /(^|_)(r2|roi|win_rate|accuracy|auc|within_\d+)($|_)/;

/** Tags left out of the side-by-side table: the name (a header), model history, per-fold dates. */
const HIDDEN_TAG = /^(mlflow\.runName|mlflow\.log-model\.history|fold_\d+_date)$/;

/** `20240115` or `2024-01-15` → `2024-01-15`; anything else → null. */
export function foldDateString(value: number | string): string | null {
  const s = String(value).trim();
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(/^\d+(\.0+)?$/.test(s) ? s.replace(/\.0+$/, '') : s);
  if (!m) return null;
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Latest value per step (the last logged wins, as MLflow's latest-value rule). */
function byStep(history: readonly Metric[] | undefined): Map<number, number> {
  const out = new Map<number, { v: number; t: number }>();
  for (const m of history ?? []) {
    const prev = out.get(m.step);
    if (!prev || m.timestamp >= prev.t) out.set(m.step, { v: m.value, t: m.timestamp });
  }
  return new Map([...out].map(([s, x]) => [s, x.v]));
}

interface RunFolds {
  byDate: Map<string, number>;
  from: ComparedRun['fold_dates_from'];
  undated: number;
}

function foldsOf(run: Run, hist: Record<string, Metric[]>, metric: string): RunFolds {
  const values = byStep(hist[metric]);
  const fromMetric = byStep(hist['fold_date']);
  const fromTags = new Map<number, string>();
  for (const t of run.data.tags) {
    const m = /^fold_(\d+)_date$/.exec(t.key);
    if (m) fromTags.set(Number(m[1]), t.value);
  }
  const from: RunFolds['from'] =
    fromMetric.size > 0 ? 'fold_date metric' : fromTags.size > 0 ? 'fold_<i>_date tags' : null;
  const byDate = new Map<string, number>();
  let undated = 0;
  for (const [step, v] of values) {
    const raw = fromMetric.size > 0 ? fromMetric.get(step) : fromTags.get(step);
    const date = raw === undefined ? null : foldDateString(raw);
    if (date === null || !Number.isFinite(v)) {
      undated++;
      continue;
    }
    byDate.set(date, v); // a date logged at two steps: the later step wins
  }
  return { byDate, from, undated };
}

function labels(runs: readonly Run[]): string[] {
  const names = runs.map((r) => r.info.runName || r.info.runId.slice(0, 8));
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return names.map((n, i) => ((count.get(n) ?? 0) > 1 ? `${n} (${runs[i]!.info.runId.slice(0, 8)})` : n));
}

function rows<T extends string | number>(
  runs: readonly Run[],
  pick: (r: Run) => Array<{ key: string; value: T }>,
): ValueRow<T>[] {
  const maps = runs.map((r) => new Map(pick(r).map((x) => [x.key, x.value])));
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  return keys.map((key) => {
    const values = maps.map((m) => m.get(key) ?? null);
    const differs = values.some((v) => v !== values[0]);
    return { key, values, differs };
  });
}

function better(a: number, b: number, higher: boolean): number {
  if (a === b) return 0;
  return (higher ? a > b : a < b) ? 1 : -1;
}

function pairOf(
  i: number,
  j: number,
  runs: readonly ComparedRun[],
  folds: readonly RunFolds[],
  higher: boolean,
): RunPair {
  const a: number[] = [];
  const b: number[] = [];
  let winsA = 0;
  let winsB = 0;
  let ties = 0;
  const dates = [...folds[i]!.byDate.keys()].filter((d) => folds[j]!.byDate.has(d)).sort();
  for (const d of dates) {
    const x = folds[i]!.byDate.get(d)!;
    const y = folds[j]!.byDate.get(d)!;
    a.push(x);
    b.push(y);
    const c = better(x, y, higher);
    if (c > 0) winsA++;
    else if (c < 0) winsB++;
    else ties++;
  }
  const tests = pairedTests(a, b);
  const md = tests.mean_difference;
  const better_ =
    md === null || md === 0 ? null : (higher ? md > 0 : md < 0) ? runs[i]!.run_id : runs[j]!.run_id;
  return {
    a: runs[i]!.run_id,
    b: runs[j]!.run_id,
    a_label: runs[i]!.label,
    b_label: runs[j]!.label,
    ...tests,
    wins_a: winsA,
    wins_b: winsB,
    ties,
    better: better_,
    significant: tests.wilcoxon !== null && tests.wilcoxon.p_value < 0.05,
  };
}

function foldTable(folds: readonly RunFolds[], higher: boolean) {
  const dates = [...new Set(folds.flatMap((f) => [...f.byDate.keys()]))].sort();
  const wins = folds.map(() => 0);
  let common = 0;
  let tied = 0;
  const table: FoldRow[] = dates.map((date) => {
    const values = folds.map((f) => f.byDate.get(date) ?? null);
    const present = values.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
    let best: number[] = [];
    for (const p of present) {
      const c = best.length === 0 ? 1 : better(p.v, values[best[0]!]!, higher);
      if (c > 0) best = [p.i];
      else if (c === 0) best.push(p.i);
    }
    if (present.length === folds.length) {
      common++;
      if (best.length === 1) wins[best[0]!]!++;
      else tied++;
    }
    return { date, values, best };
  });
  return { table, wins, common, tied };
}

/** The runs to compare, with the baseline (added first when not among them). */
async function fetchRuns(
  store: TrackingStore,
  refs: readonly string[],
  baseline: string | undefined,
): Promise<{ fetched: Run[]; baselineIndex: number }> {
  let fetched = await resolveRuns(store, refs);
  let baselineIndex = -1;
  if (baseline !== undefined) {
    const [base] = await resolveRuns(store, [baseline]);
    baselineIndex = fetched.findIndex((r) => r.info.runId === base!.info.runId);
    if (baselineIndex < 0) {
      fetched = [base!, ...fetched];
      baselineIndex = 0;
    }
  }
  if (fetched.length < 2) {
    throw new InvalidParameterError(
      `Compare needs at least two runs, got ${fetched.length}: pass two or more run ids or names (or --baseline RUN).`,
    );
  }
  return { fetched, baselineIndex };
}

function describeRuns(
  fetched: readonly Run[],
  folds: readonly RunFolds[],
  hist: ReadonlyArray<Record<string, Metric[]>>,
  expNames: Map<string, string>,
  metric: string,
): { runs: ComparedRun[]; warnings: string[] } {
  const names = labels(fetched);
  const warnings: string[] = [];
  const runs = fetched.map((r, i) => {
    const f = folds[i]!;
    const vals = [...f.byDate.values()];
    if (f.undated > 0) {
      warnings.push(
        `${names[i]}: ${f.undated} value${f.undated === 1 ? '' : 's'} of ${metric} without a fold date (log fold_date at the same step) left out.`,
      );
    }
    if (!hist[i]![metric])
      warnings.push(`${names[i]}: no ${metric} history; it takes no part in the fold comparison.`);
    return {
      run_id: r.info.runId,
      run_name: r.info.runName,
      label: names[i]!,
      experiment_id: r.info.experimentId,
      experiment_name: expNames.get(r.info.experimentId) ?? r.info.experimentId,
      status: r.info.status,
      start_time: new Date(r.info.startTime).toISOString(),
      n_folds: f.byDate.size,
      fold_mean: vals.length > 0 ? vals.reduce((s, v) => s + v, 0) / vals.length : null,
      fold_dates_from: f.from,
    };
  });
  return { runs, warnings };
}

/** Every other run against the baseline, or else every pair. */
function pairsFor(
  runs: readonly ComparedRun[],
  folds: readonly RunFolds[],
  baselineIndex: number,
  higher: boolean,
) {
  const pairs: RunPair[] = [];
  for (let i = 0; i < runs.length; i++) {
    if (baselineIndex >= 0) {
      if (i !== baselineIndex) pairs.push(pairOf(i, baselineIndex, runs, folds, higher));
    } else {
      for (let j = i + 1; j < runs.length; j++) pairs.push(pairOf(i, j, runs, folds, higher));
    }
  }
  return pairs;
}

/**
 * Compare runs (ids or names; at least two, or one plus a baseline) through any
 * `TrackingStore`: runs, experiments and fold histories are fetched in parallel.
 */
export async function compareRuns(
  store: TrackingStore,
  runRefs: readonly string[],
  options: CompareOptions = {},
): Promise<Comparison> {
  const metric = options.foldMetric ?? 'fold_mae';
  const higher = options.higherIsBetter ?? HIGHER_BETTER.test(metric);
  const t0 = performance.now();
  const statistics = loadStatistics(); // loads while the runs are fetched
  const { fetched, baselineIndex } = await fetchRuns(store, runRefs, options.baseline);
  const [hist, expNames] = await Promise.all([
    metricHistories(store, fetched, [metric, 'fold_date']),
    experimentNames(
      store,
      fetched.map((r) => r.info.experimentId),
    ),
  ]);
  const fetchMs = performance.now() - t0;
  await statistics;

  const folds = fetched.map((r, i) => foldsOf(r, hist[i]!, metric));
  const { runs, warnings } = describeRuns(fetched, folds, hist, expNames, metric);
  const params = rows<string>(fetched, (r) => r.data.params);
  const metrics: MetricRow[] = rows<number>(fetched, (r) =>
    r.data.metrics.filter((m) => !m.key.startsWith('fold_')),
  );
  const tags = rows<string>(fetched, (r) => r.data.tags.filter((t) => !HIDDEN_TAG.test(t.key)));
  if (baselineIndex >= 0) {
    for (const row of metrics) {
      const base = row.values[baselineIndex];
      row.delta_vs_baseline = row.values.map((v, i) =>
        i === baselineIndex || v === null || base === null || base === undefined ? null : v - base,
      );
    }
  }
  const ft = foldTable(folds, higher);
  const keep = <T extends { differs: boolean }>(xs: T[]) =>
    options.onlyDiff ? xs.filter((x) => x.differs) : xs;
  return {
    runs,
    baseline_run_id: baselineIndex >= 0 ? runs[baselineIndex]!.run_id : null,
    fold_metric: metric,
    higher_is_better: higher,
    params: keep(params),
    metrics: keep(metrics),
    tags: keep(tags),
    folds: ft.table,
    common_dates: ft.common,
    wins: runs.map((r, i) => ({ run_id: r.run_id, label: r.label, dates_won: ft.wins[i]! })),
    tied_dates: ft.tied,
    pairs: pairsFor(runs, folds, baselineIndex, higher),
    warnings,
    fetch_ms: Math.round(fetchMs * 10) / 10,
  };
}
