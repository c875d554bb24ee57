/**
 * The named steps the pipelines compose: each a function of explicit inputs to explicit
 * outputs, testable alone. data → features → validation window → walk-forward → metrics and
 * betting → calibration → final model → prediction rows.
 */
import path from 'node:path';
import {
  type Dataset,
  type DatasetVersion,
  formatDay,
  parseIsoDay,
  readDataset,
  seasonLabel,
  synthesizeLeague,
  versionOf,
} from '../data/index.js';
import { DataError, InvalidParameterError } from '../errors.js';
import {
  buildFeatures,
  type FeatureMatrix,
  type FeatureSet,
  getFeatureSet,
  linesForRows,
  quotesForRows,
} from '../features/index.js';
import {
  fitIsotonic,
  type GbdtModel,
  type GbdtParamsInput,
  type IsotonicRegression,
  lastNAverage,
  seasonToDateAverage,
  sliceRows,
  type TwoStageModel,
  type TwoStageParams,
  trainGbdt,
  trainTwoStage,
} from '../models/index.js';
import {
  type BettingSummary,
  type PredictionRow,
  type ReliabilityBin,
  reliabilityBins,
} from '../tracker/index.js';
import {
  bootstrapRoi,
  type FoldResult,
  qualityReport,
  type RegressionMetrics,
  regressionMetrics,
  runWalkForward,
  simulateBets,
  type WalkForwardResult,
  walkForwardFolds,
} from '../validation/index.js';
import type { Progress } from './runner.js';

// ── data ──────────────────────────────────────────────────────────────────────────────

export interface DataSource {
  /** An ingested dataset folder. */
  dataDir?: string | null;
  /** An in-memory synthetic league. */
  synthetic?: { seed: number; seasons: number } | null;
}

export interface LoadedData {
  ds: Dataset;
  version: DatasetVersion;
  /** Absolute path of the folder read, or null for an in-memory league. */
  datasetDir: string | null;
  synthetic: { seed: number; seasons: number } | null;
  name: string;
}

/** Read a dataset folder, or synthesize a league. */
export function loadData(source: DataSource): LoadedData {
  if (source.dataDir) {
    const dir = path.resolve(source.dataDir);
    const ds = readDataset(dir);
    return { ds, version: versionOf(ds), datasetDir: dir, synthetic: null, name: path.basename(dir) };
  }
  if (source.synthetic) {
    const ds = synthesizeLeague(source.synthetic);
    return {
      ds,
      version: versionOf(ds),
      datasetDir: null,
      synthetic: source.synthetic,
      name: `synthetic_league_seed${source.synthetic.seed}`,
    };
  }
  throw new InvalidParameterError(
    'no data: pass --data DIR (a folder made by `propflow data ingest` or `propflow data synth`) or --synthetic [--seed N --seasons N].',
  );
}

// ── features ──────────────────────────────────────────────────────────────────────────

export interface Features {
  m: FeatureMatrix;
  set: FeatureSet;
  baseline: FeatureSet | undefined;
  /** PRA per row as float64. */
  y: Float64Array;
  /** Minutes per row as float64. */
  minutes: Float64Array;
}

export function buildFeatureStep(ds: Dataset, setName: string, baselineName?: string): Features {
  const set = getFeatureSet(setName);
  const m = buildFeatures(ds.players, set);
  const y = Float64Array.from(m.target);
  for (let r = 0; r < m.nRows; r++) {
    if (!Number.isFinite(y[r]!)) throw new DataError(`feature row ${r} has no PRA target (${y[r]}).`);
  }
  return {
    m,
    set,
    baseline: baselineName ? getFeatureSet(baselineName) : undefined,
    y,
    minutes: Float64Array.from(m.minutes),
  };
}

// ── validation window ─────────────────────────────────────────────────────────────────

export interface ValidationWindow {
  season: string;
  start: number;
  end: number;
  refitEveryDays: number;
  windowDays: number | null;
  /** Worker threads for the walk-forward (null = the machine's cores). */
  workers: number | null;
  /** Full refits per fold, or warm starts between periodic full refits (GBDT walk-forward only). */
  strategy: 'full' | { warmStart: { fullRefitEveryDays: number; extraTrees: number } };
  trainSeasons: string;
  nFolds: number;
}

/** The days validated: a season (the last, or a label), from its start, its middle or a date. */
export function validationWindow(
  m: FeatureMatrix,
  v: {
    season: string;
    start: string;
    end: string | null;
    refit_every_days: number;
    window_days: number | null;
    workers?: number | null;
    strategy?: 'full' | { warm_start: { full_refit_every_days: number; extra_trees: number } };
  },
): ValidationWindow {
  const seasons = [...new Set(m.keys.season)].sort((a, b) => a - b);
  if (seasons.length === 0) throw new DataError('the dataset has no rows.');
  const season = v.season === 'last' ? seasons.at(-1)! : seasons.find((s) => seasonLabel(s) === v.season);
  if (season === undefined) {
    throw new InvalidParameterError(
      `validation.season: '${v.season}' is not in the data (seasons ${seasons.map(seasonLabel).join(', ')}).`,
    );
  }
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < m.nRows; r++) {
    if (m.keys.season[r] !== season) continue;
    first = Math.min(first, m.keys.date[r]!);
    last = Math.max(last, m.keys.date[r]!);
  }
  let start: number;
  if (v.start === 'season_start') start = first;
  else if (v.start === 'season_mid') start = first + Math.floor((last - first) / 2);
  else start = parseIsoDay(v.start);
  const end = v.end ? parseIsoDay(v.end) : last;
  if (start <= m.keys.date[0]!) {
    throw new InvalidParameterError(
      `validation: the first day predicted (${formatDay(start)}) leaves no earlier games to train on; the data starts ${formatDay(m.keys.date[0]!)}. Validate a later season or start later (validation.start: season_mid).`,
    );
  }
  const folds = walkForwardFolds(m.keys.date, { start, end, refitEveryDays: v.refit_every_days });
  const before = seasons.filter((s) => s < season).map(seasonLabel);
  const label = seasonLabel(season);
  const trainSeasons =
    start > first ? [...before, `${label} (before ${formatDay(start)})`].join(',') : before.join(',');
  return {
    season: label,
    start,
    end,
    refitEveryDays: v.refit_every_days,
    windowDays: v.window_days,
    workers: v.workers ?? null,
    strategy:
      !v.strategy || v.strategy === 'full'
        ? 'full'
        : {
            warmStart: {
              fullRefitEveryDays: v.strategy.warm_start.full_refit_every_days,
              extraTrees: v.strategy.warm_start.extra_trees,
            },
          },
    trainSeasons: v.window_days
      ? `${trainSeasons} (last ${v.window_days} days before each fold)`
      : trainSeasons,
    nFolds: folds.length,
  };
}

// ── walk-forward ──────────────────────────────────────────────────────────────────────

/** Out-of-fold predictions: what every walk-forward step returns (two-stage adds minutes). */
export interface WalkForwardOutput extends WalkForwardResult {
  /** Out-of-fold minutes estimates (two-stage only). */
  minutesPred?: Float64Array;
}

/**
 * One GBDT walk-forward over the window with the validation engine (`runWalkForward`: folds
 * in parallel on worker threads, identical results for any worker count).
 */
export async function walkForwardStep(
  f: Features,
  params: GbdtParamsInput,
  w: ValidationWindow,
  progress?: Progress,
): Promise<WalkForwardOutput> {
  return runWalkForward({
    X: f.m,
    y: f.y,
    dates: f.m.keys.date,
    params,
    start: w.start,
    end: w.end,
    refitEveryDays: w.refitEveryDays,
    ...(w.windowDays ? { windowDays: w.windowDays } : {}),
    ...(w.workers ? { workers: w.workers } : {}),
    strategy: w.strategy,
    onFold: (r, done, total) =>
      progress?.update(
        done,
        total,
        `fold ${formatDay(r.fold.foldDate)}: ${(r.fold.trainRows - r.fold.trainStart).toLocaleString('en-US')} training rows`,
      ),
  });
}

/** Two-stage walk-forward: both stages refit per fold on the rows before the fold date. */
export async function twoStageWalkForwardStep(
  f: Features,
  params: TwoStageParams,
  w: ValidationWindow,
  progress?: Progress,
): Promise<WalkForwardOutput> {
  const t0 = performance.now();
  const dates = f.m.keys.date;
  const folds = walkForwardFolds(dates, {
    start: w.start,
    end: w.end,
    refitEveryDays: w.refitEveryDays,
    ...(w.windowDays ? { windowDays: w.windowDays } : {}),
  });
  const valStart = folds[0]!.testStart;
  const valEnd = folds.at(-1)!.testEnd;
  const pred = new Float64Array(valEnd - valStart);
  const minutesPred = new Float64Array(valEnd - valStart);
  const foldOfRow = new Int32Array(valEnd - valStart);
  const out: FoldResult[] = [];
  for (const fold of folds) {
    const t = performance.now();
    const from = fold.trainStart;
    const model = trainTwoStage(
      sliceRows(f.m, from, fold.trainRows),
      f.minutes.subarray(from, fold.trainRows),
      f.y.subarray(from, fold.trainRows),
      params,
    );
    const p = model.predict(sliceRows(f.m, fold.testStart, fold.testEnd));
    pred.set(p.target, fold.testStart - valStart);
    minutesPred.set(p.minutes, fold.testStart - valStart);
    foldOfRow.fill(fold.index, fold.testStart - valStart, fold.testEnd - valStart);
    const r = { fold, pred: p.target, trainSeconds: (performance.now() - t) / 1000 };
    out.push(r);
    progress?.update(
      out.length,
      folds.length,
      `fold ${formatDay(fold.foldDate)}: ${(fold.trainRows - from).toLocaleString('en-US')} training rows`,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    folds: out,
    valStart,
    valEnd,
    pred,
    foldOfRow,
    minutesPred,
    seconds: (performance.now() - t0) / 1000,
  };
}

// ── metrics, baselines, betting ───────────────────────────────────────────────────────

export interface Evaluation {
  regression: RegressionMetrics;
  /** Last-10 average per player (training mean without history) on the validation rows. */
  baselinePred: Float64Array;
  baseline: RegressionMetrics;
  betting: BettingSummary | null;
  /** Per validation row: +1 over, −1 under, 0 no bet; and the bet's profit. */
  side: Int8Array;
  rowProfit: Float64Array;
  line: Float32Array;
  overOdds: Float32Array;
  underOdds: Float32Array;
  /** Metrics on subsets and against the market, logged as they are named. */
  extra: Record<string, number>;
}

function maeOf(a: ArrayLike<number>, b: ArrayLike<number>, rows: readonly number[]): number {
  let s = 0;
  for (const i of rows) s += Math.abs(a[i]! - b[i]!);
  return rows.length ? s / rows.length : Number.NaN;
}

/** Prior games of each row's player in the data (rows sorted by date). */
export function priorGames(playerId: Int32Array): Int32Array {
  const seen = new Map<number, number>();
  const out = new Int32Array(playerId.length);
  for (let r = 0; r < playerId.length; r++) {
    const k = seen.get(playerId[r]!) ?? 0;
    out[r] = k;
    seen.set(playerId[r]!, k + 1);
  }
  return out;
}

/**
 * Betting figures of the bets on `rows` (null: every row). The ROI interval resamples game
 * dates, not single bets (bets on one night are correlated); closing-line value is the line's
 * move in the bet's favour between the bet (first snapshot) and the close, in points.
 */
function bettingSummary(
  bets: ReturnType<typeof simulateBets>,
  rows: readonly number[] | null,
  opts: { minEdge: number; seed: number; iterations: number },
  market: { date: ArrayLike<number>; line: ArrayLike<number>; closeLine: ArrayLike<number> },
): BettingSummary {
  const profits: number[] = [];
  const dates: number[] = [];
  let clvSum = 0;
  let clvN = 0;
  const idx = rows ?? Array.from({ length: bets.side.length }, (_, i) => i);
  let wins = 0;
  let losses = 0;
  let pushes = 0;
  let nOver = 0;
  let nUnder = 0;
  for (const i of idx) {
    if (bets.side[i] === 0) continue;
    const p = bets.rowProfit[i]!;
    profits.push(p);
    dates.push(market.date[i]!);
    const close = market.closeLine[i]!;
    if (!Number.isNaN(close)) {
      clvSum += bets.side[i] === 1 ? close - market.line[i]! : market.line[i]! - close;
      clvN++;
    }
    if (bets.side[i] === 1) nOver++;
    else nUnder++;
    if (p > 0) wins++;
    else if (p < 0) losses++;
    else pushes++;
  }
  const ci = bootstrapRoi(profits, { seed: opts.seed, iterations: opts.iterations, clusters: dates });
  const clv = clvN > 0 ? { clv: clvSum / clvN } : {};
  const profit = profits.reduce((a, b) => a + b, 0);
  if (rows === null) {
    return {
      n_bets: bets.n_bets,
      n_over: bets.n_over,
      n_under: bets.n_under,
      wins: bets.wins,
      losses: bets.losses,
      pushes: bets.pushes,
      win_rate: bets.win_rate,
      roi: bets.roi,
      profit: bets.profit,
      max_drawdown: bets.max_drawdown,
      break_even_win_rate: bets.break_even_win_rate,
      roi_ci_low: ci.low,
      roi_ci_high: ci.high,
      ...clv,
      min_edge: opts.minEdge,
    };
  }
  let peak = 0;
  let cum = 0;
  let dd = 0;
  for (const p of profits) {
    cum += p;
    peak = Math.max(peak, cum);
    dd = Math.max(dd, peak - cum);
  }
  return {
    n_bets: profits.length,
    n_over: nOver,
    n_under: nUnder,
    wins,
    losses,
    pushes,
    win_rate: wins + losses > 0 ? wins / (wins + losses) : Number.NaN,
    roi: profits.length ? profit / profits.length : Number.NaN,
    profit,
    max_drawdown: dd,
    break_even_win_rate: Number.NaN,
    roi_ci_low: ci.low,
    roi_ci_high: ci.high,
    ...clv,
    min_edge: opts.minEdge,
  };
}

/** The last-10 average of each validation row (the training mean where a player has no history). */
function lastTenBaseline(f: Features, valStart: number, n: number) {
  const l10 = lastNAverage(f.m.keys.playerId, f.y, 10);
  let trainMean = 0;
  for (let r = 0; r < valStart; r++) trainMean += f.y[r]!;
  trainMean /= Math.max(1, valStart);
  const baselinePred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = l10[valStart + i]!;
    baselinePred[i] = Number.isNaN(b) ? trainMean : b;
  }
  return { l10, baselinePred };
}

/** The validation rows' consensus lines and quotes (NaN throughout when the dataset has none). */
function validationLines(f: Features, ds: Dataset, valStart: number, valEnd: number) {
  const empty = new Float32Array(f.m.nRows).fill(Number.NaN);
  const lines = ds.consensus
    ? linesForRows(f.m, ds.consensus)
    : { line: empty, overOdds: empty, underOdds: empty, closeLine: empty };
  const line = lines.line.subarray(valStart, valEnd);
  const market = {
    date: f.m.keys.date.subarray(valStart, valEnd),
    line,
    closeLine: lines.closeLine.subarray(valStart, valEnd),
  };
  const overOdds = lines.overOdds.subarray(valStart, valEnd);
  const underOdds = lines.underOdds.subarray(valStart, valEnd);
  return { line, market, overOdds, underOdds };
}

/** Validation rows with ≥ 1 prior game, with a line, and with a line and ≥ 5 prior games. */
function lineSubsets(prior: ArrayLike<number>, line: ArrayLike<number>, n: number) {
  const prior1: number[] = [];
  const lined: number[] = [];
  const linedPrior5: number[] = [];
  for (let i = 0; i < n; i++) {
    if (prior[i]! >= 1) prior1.push(i);
    if (!Number.isNaN(line[i]!)) {
      lined.push(i);
      if (prior[i]! >= 5) linedPrior5.push(i);
    }
  }
  return { prior1, lined, linedPrior5 };
}

/** The betting summary's headline numbers on the lined rows with ≥ 5 prior games. */
function prior5BettingMetrics(b5: BettingSummary): Record<string, number> {
  return {
    prior5_n_bets: b5.n_bets,
    prior5_betting_win_rate: b5.win_rate,
    prior5_betting_roi: b5.roi,
    prior5_betting_roi_ci_low: b5.roi_ci_low,
    prior5_betting_roi_ci_high: b5.roi_ci_high,
  };
}

/**
 * Validation metrics of out-of-fold predictions: overall, the last-10 baseline on the same
 * rows, the subsets a report compares on (players with ≥ 1 prior game; rows with a line and
 * ≥ 5 prior games, against the line's own MAE), and a betting simulation at real quotes: the
 * consensus line (a line books quoted) at the best price among the books quoting it.
 */
export function evaluateStep(
  f: Features,
  ds: Dataset,
  wf: WalkForwardOutput,
  opts: { minEdge: number; seed: number; iterations: number },
): Evaluation {
  const { valStart, valEnd, pred } = wf;
  const n = valEnd - valStart;
  const actual = f.y.subarray(valStart, valEnd);
  const regression = regressionMetrics(actual, pred);
  const { l10, baselinePred } = lastTenBaseline(f, valStart, n);
  const baseline = regressionMetrics(actual, baselinePred);
  const prior = priorGames(f.m.keys.playerId).subarray(valStart, valEnd);
  const { line, market, overOdds, underOdds } = validationLines(f, ds, valStart, valEnd);
  const { prior1, lined, linedPrior5 } = lineSubsets(prior, line, n);
  const bets = simulateBets({ pred, actual, line, overOdds, underOdds, minEdge: opts.minEdge });
  const betting = lined.length > 0 ? bettingSummary(bets, null, opts, market) : null;
  const extra: Record<string, number> = {
    baseline_l10_mae: baseline.mae,
    baseline_l10_rmse: baseline.rmse,
    n_folds: wf.folds.length,
    n_prior1: prior1.length,
    val_mae_prior1: maeOf(actual, pred, prior1),
    baseline_l10_mae_prior1: maeOf(actual, l10.subarray(valStart, valEnd), prior1),
    n_rows_with_line: lined.length,
  };
  if (lined.length > 0) {
    Object.assign(extra, {
      val_mae_lined: maeOf(actual, pred, lined),
      line_mae_lined: maeOf(actual, line, lined),
      n_lined_prior5: linedPrior5.length,
      val_mae_lined_prior5: maeOf(actual, pred, linedPrior5),
      line_mae_lined_prior5: maeOf(actual, line, linedPrior5),
      baseline_l10_mae_lined_prior5: maeOf(actual, baselinePred, linedPrior5),
    });
    Object.assign(extra, prior5BettingMetrics(bettingSummary(bets, linedPrior5, opts, market)));
  }
  return {
    regression,
    baselinePred,
    baseline,
    betting,
    side: bets.side,
    rowProfit: bets.rowProfit,
    line,
    overOdds,
    underOdds,
    extra,
  };
}

// ── calibration of P(over line) ───────────────────────────────────────────────────────

export interface Calibration {
  /** Fitted on every out-of-fold validation row with a line (what the model artifact carries). */
  calibration: IsotonicRegression;
  /** Per validation row: P(over) from a calibration fitted on earlier folds only (NaN without a line or history). */
  pOver: Float64Array;
  bins: ReliabilityBin[];
  metrics: Record<string, number>;
}

const P_MIN = 0.01;
const P_MAX = 0.99;

/**
 * Isotonic regression of went_over against (prediction − line) on out-of-fold predictions.
 * The artifact's calibration uses every validation row with a line; the reported Brier score
 * and log loss use, for each fold, a calibration fitted on the folds before it only, so they
 * measure what the calibration does on predictions it has not seen. Pushes are left out.
 */
export function calibrateStep(
  wf: WalkForwardOutput,
  actual: ArrayLike<number>,
  line: ArrayLike<number>,
): Calibration {
  const n = wf.pred.length;
  const xs: number[] = [];
  const ys: number[] = [];
  const rowOf: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = line[i]!;
    if (Number.isNaN(l) || actual[i] === l) continue;
    xs.push(wf.pred[i]! - l);
    ys.push(actual[i]! > l ? 1 : 0);
    rowOf.push(i);
  }
  if (xs.length < 2) {
    // no lines to learn from: the calibration says 50% everywhere rather than something invented
    return {
      calibration: fitIsotonic([0, 1], [0.5, 0.5], { yMin: P_MIN, yMax: P_MAX }),
      pOver: new Float64Array(n).fill(Number.NaN),
      bins: [],
      metrics: { calibration_n: xs.length },
    };
  }
  const calibration = fitIsotonic(xs, ys, { yMin: P_MIN, yMax: P_MAX });
  // forward: fold k calibrated on folds < k
  const pOver = new Float64Array(n).fill(Number.NaN);
  const byFold = new Map<number, number[]>();
  for (let k = 0; k < rowOf.length; k++) {
    const fold = wf.foldOfRow[rowOf[k]!]!;
    const list = byFold.get(fold) ?? [];
    list.push(k);
    byFold.set(fold, list);
  }
  const seenX: number[] = [];
  const seenY: number[] = [];
  const probs: number[] = [];
  const outs: number[] = [];
  for (const fold of [...byFold.keys()].sort((a, b) => a - b)) {
    const ks = byFold.get(fold)!;
    if (seenX.length >= 50) {
      const iso = fitIsotonic(seenX, seenY, { yMin: P_MIN, yMax: P_MAX });
      const p = iso.predict(ks.map((k) => xs[k]!));
      ks.forEach((k, j) => {
        pOver[rowOf[k]!] = p[j]!;
        probs.push(p[j]!);
        outs.push(ys[k]!);
      });
    }
    for (const k of ks) {
      seenX.push(xs[k]!);
      seenY.push(ys[k]!);
    }
  }
  let brier = 0;
  let logLoss = 0;
  let base = 0;
  const rate = outs.reduce((a, b) => a + b, 0) / Math.max(1, outs.length);
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const o = outs[i]!;
    brier += (p - o) ** 2;
    logLoss -= o * Math.log(p) + (1 - o) * Math.log(1 - p);
    base += (rate - o) ** 2;
  }
  const m = probs.length;
  return {
    calibration,
    pOver,
    bins: reliabilityBins(probs, outs),
    metrics: {
      calibration_n: m,
      calibration_brier: m ? brier / m : Number.NaN,
      calibration_log_loss: m ? logLoss / m : Number.NaN,
      calibration_brier_base_rate: m ? base / m : Number.NaN,
      calibration_over_rate: rate,
    },
  };
}

// ── final models ──────────────────────────────────────────────────────────────────────

/** The served GBDT: trained on every row. */
export function finalGbdtStep(f: Features, params: GbdtParamsInput): GbdtModel {
  return trainGbdt(f.m, f.y, params);
}

/** The served two-stage model: both stages on every row. */
export function finalTwoStageStep(f: Features, params: TwoStageParams): TwoStageModel {
  return trainTwoStage(f.m, f.minutes, f.y, params);
}

// ── prediction rows ───────────────────────────────────────────────────────────────────

/** The rows of `validation_predictions.csv`. */
export function predictionRowsStep(
  f: Features,
  ds: Dataset,
  wf: WalkForwardOutput,
  ev: Evaluation,
  pOver: Float64Array,
): PredictionRow[] {
  const names = new Map<number, string>();
  for (let i = 0; i < ds.players.n; i++) names.set(ds.players.playerId[i]!, ds.players.playerName[i]!);
  const rows: PredictionRow[] = [];
  for (let i = 0; i < wf.pred.length; i++) {
    const r = wf.valStart + i;
    const side = ev.side[i]!;
    const profit = ev.rowProfit[i]!;
    const pid = f.m.keys.playerId[r]!;
    rows.push({
      fold: wf.foldOfRow[i]!,
      date: f.m.keys.date[r]!,
      gameId: f.m.keys.gameId[r]!,
      playerId: pid,
      playerName: names.get(pid) ?? '',
      team: f.m.keys.team[r]!,
      opponent: f.m.keys.opponent[r]!,
      minutes: f.minutes[r]!,
      actual: f.y[r]!,
      prediction: wf.pred[i]!,
      baseline: ev.baselinePred[i]!,
      line: ev.line[i]!,
      overOdds: ev.overOdds[i]!,
      underOdds: ev.underOdds[i]!,
      pOver: pOver[i]!,
      bet: side === 1 ? 'over' : side === -1 ? 'under' : '',
      outcome: side === 0 ? '' : profit > 0 ? 'win' : profit < 0 ? 'loss' : 'push',
      profit,
    });
  }
  return rows;
}

// ── quality report ────────────────────────────────────────────────────────────────────

/**
 * The quality report of out-of-fold predictions (`propflow validate --report`): overall MAE
 * against the last-10 and season-to-date averages, the line subset against the closing line,
 * MAE by minutes and month, betting at real quotes by edge with date-clustered intervals and
 * CLV, and the calibration of the pipeline's P(over). The residual spread for best-EV bets is
 * the last-10 average's RMSE on the training rows (known before the validation starts).
 */
export function reportStep(f: Features, ds: Dataset, wf: WalkForwardOutput, cal: Calibration, title: string) {
  const { valStart, valEnd, pred } = wf;
  const l10 = lastNAverage(f.m.keys.playerId, f.y, 10);
  const seasonKey = Array.from(
    { length: f.m.nRows },
    (_, i) => `${f.m.keys.playerId[i]}|${f.m.keys.season[i]}`,
  );
  const std = seasonToDateAverage(seasonKey, f.y);
  let sq = 0;
  let ns = 0;
  for (let i = 0; i < valStart; i++) {
    if (Number.isNaN(l10[i]!)) continue;
    sq += (l10[i]! - f.y[i]!) ** 2;
    ns++;
  }
  const keys = {
    nRows: valEnd - valStart,
    keys: {
      gameId: f.m.keys.gameId.slice(valStart, valEnd),
      playerId: f.m.keys.playerId.subarray(valStart, valEnd),
    },
  };
  const cons = ds.consensus ? linesForRows(keys, ds.consensus) : undefined;
  return qualityReport({
    title,
    date: f.m.keys.date.subarray(valStart, valEnd),
    actual: f.y.subarray(valStart, valEnd),
    pred,
    minutes: f.minutes.subarray(valStart, valEnd),
    priorGames: priorGames(f.m.keys.playerId).subarray(valStart, valEnd),
    baselines: {
      last_10_average: l10.subarray(valStart, valEnd),
      season_average: std.subarray(valStart, valEnd),
    },
    sigma: ns > 0 ? Math.sqrt(sq / ns) : 8,
    pOver: cal.pOver,
    ...(ds.lines ? { quotes: quotesForRows(keys, ds.lines) } : {}),
    ...(cons
      ? { closeLine: cons.closeLine, line: cons.line, overOdds: cons.overOdds, underOdds: cons.underOdds }
      : {}),
  });
}
