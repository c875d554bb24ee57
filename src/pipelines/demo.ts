/**
 * The demo pipeline (`propflow demo`, what `npm start` runs): a seeded synthetic league →
 * `v3_advanced` features → walk-forward validation of a GBDT over the second half of the
 * last season with periodic refits → metrics, a last-10 baseline and a betting simulation
 * against the league's consensus lines → ONE tracked run → the registry workflow (gated
 * registration, evaluation against criteria, promotion).
 *
 * Everything runs on the store the tracking URI names (default: the embedded store in
 * `./propflow/`). Running it again in the same place adds a run and a model version; the
 * registry's rules decide where the new version goes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatasetVersion, formatDay, synthesizeLeague, versionOf } from '../data/index.js';
import { DataError } from '../errors.js';
import {
  buildFeatures,
  type FeatureMatrix,
  featureColumn,
  featureLineage,
  linesForRows,
  V3_ADVANCED,
} from '../features/index.js';
import {
  BinnedMatrix,
  type GbdtParams,
  type GbdtParamsInput,
  inputExampleFrom,
  lastNAverage,
  resolveParams,
  sliceRows,
  trainGbdt,
  writeModelArtifact,
} from '../models/index.js';
import {
  criteriaFromObject,
  DEFAULT_MODEL_NAME,
  type EvaluationReport,
  type HistoryEvent,
  ModelRegistry,
  type RegisterResult,
} from '../registry/index.js';
import {
  type ActiveRun,
  getOrCreateExperiment,
  openStore,
  resolveTrackingUri,
  startRun,
  type TrackingStore,
} from '../tracking/index.js';
import {
  type BetResult,
  bootstrapRoi,
  type Fold,
  type RegressionMetrics,
  regressionMetrics,
  segmentMetrics,
  simulateBets,
  walkForwardFolds,
} from '../validation/index.js';

/** The experiment the demo logs to. */
export const DEMO_EXPERIMENT = 'NBA_Props_Model/Demo';

/** Boosting parameters of the demo: small enough to refit weekly in seconds. */
export const DEMO_GBDT_PARAMS: GbdtParamsInput = {
  nEstimators: 150,
  maxDepth: 6,
  learningRate: 0.08,
  minChildWeight: 20,
  lambda: 1,
  seed: 0,
};

/**
 * Registration gate: the validation MAE a PRA model must beat to be registered. On the
 * synthetic league (seed 42) predicting a constant mean scores about 9.3 and a player's
 * last-10 average about 5.6, so 6.0 lets through only models that learned something (it is
 * also the README's example threshold).
 */
export const DEMO_TARGET_MAE = 6.0;
export const DEMO_GATE = `val_mae<${DEMO_TARGET_MAE.toFixed(1)}`;

/** Production criteria of the demo (the same checks a criteria file would hold). */
export const DEMO_CRITERIA = {
  criteria: [
    { metric: 'val_mae', max: DEMO_TARGET_MAE, description: 'validation MAE of PRA at most 6 points' },
    { metric: 'n_bets', min: 100, description: 'enough bets for the betting metrics to mean something' },
    { artifact: 'validation_predictions.csv', description: 'the walk-forward predictions are on the run' },
  ],
};

export interface DemoOptions {
  /** Tracking URI: explicit > `MLFLOW_TRACKING_URI` > the embedded default `./propflow/`. */
  trackingUri?: string;
  /** Seed of the synthetic league (default 42). */
  seed?: number;
  /** Seasons to synthesize (default 2); validation covers the second half of the last one. */
  seasons?: number;
  /** Progress lines (one call per line, no newline); default: none. */
  out?: (line: string) => void;
  /** Boosting parameters (default `DEMO_GBDT_PARAMS`). */
  gbdt?: GbdtParamsInput;
  /** Days between refits (default 7: weekly). */
  refitEveryDays?: number;
  /** Minimum edge in points between prediction and line to bet (default 2). */
  minEdge?: number;
  /** Registered model name (default `NBAPropsModel`). */
  modelName?: string;
  /** Experiment (default `NBA_Props_Model/Demo`). */
  experimentName?: string;
  /** Environment for the tracking URI (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

export interface DemoFoldSummary {
  index: number;
  date: string;
  trainRows: number;
  nPredictions: number;
  mae: number;
}

/** Validation metrics of one segment, with the baseline's MAE on the same rows. */
export interface DemoSegment {
  group: string;
  segment: string;
  n: number;
  mae: number;
  bias: number;
  baselineMae: number;
}

export interface DemoResult {
  trackingUri: string;
  experimentId: string;
  experimentName: string;
  runId: string;
  runName: string;
  dataset: { hash: string; rows: number; players: number; seasons: string[]; source: string };
  featureSet: { name: string; version: string; nFeatures: number };
  validation: { start: string; end: string; refitEveryDays: number; nFolds: number; nPredictions: number };
  folds: DemoFoldSummary[];
  metrics: RegressionMetrics;
  baseline: RegressionMetrics & { name: string };
  vsBaselineMaeDelta: number;
  vsBaselineMaePct: number;
  betting: Omit<BetResult, 'side' | 'rowProfit'> & { minEdge: number; roiCiLow: number; roiCiHigh: number };
  /** MAE of the consensus line as a prediction, and of the model, on the validation rows that have a line. */
  market: { rowsWithLine: number; lineMae: number; modelMae: number };
  /** Per-segment breakdown: location, rest, role (prior minutes) and whether the game was priced. */
  segments: DemoSegment[];
  registry: {
    name: string;
    gate: string;
    registration: RegisterResult;
    evaluation: EvaluationReport | null;
    /** What the workflow did, one line per step. */
    actions: string[];
    production: string | null;
    staging: string | null;
    history: HistoryEvent[];
  };
  seconds: { total: number; data: number; walkForward: number; finalModel: number; tracking: number };
}

const round = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

function yyyymmdd(day: number): string {
  return formatDay(day).replaceAll('-', '');
}

/** The commit of the installation, when it is a git checkout (for the standard tag). */
function gitCommit(): string | null {
  try {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** camelCase GBDT parameter names as the snake_case params MLflow users know. */
function paramsForLogging(p: GbdtParams): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v as string | number | boolean;
  }
  return out;
}

/** The next `vN` for today's demo run names in the experiment. */
async function nextRunName(store: TrackingStore, experimentId: string, prefix: string): Promise<string> {
  let n = 0;
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({
      experimentIds: [experimentId],
      filter: `attributes.run_name LIKE '${prefix}%'`,
      maxResults: 1000,
      viewType: 'ALL',
      ...(pageToken ? { pageToken } : {}),
    });
    for (const r of page.items) {
      const m = /_v(\d+)$/.exec(r.info.runName);
      if (m) n = Math.max(n, Number(m[1]));
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return `${prefix}${n + 1}`;
}

/** Days of the last season in the matrix, and the day the validation starts (its midpoint). */
function validationRange(m: FeatureMatrix): { season: number; first: number; last: number; start: number } {
  let season = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < m.nRows; r++) season = Math.max(season, m.keys.season[r]!);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < m.nRows; r++) {
    if (m.keys.season[r] !== season) continue;
    first = Math.min(first, m.keys.date[r]!);
    last = Math.max(last, m.keys.date[r]!);
  }
  return { season, first, last, start: first + Math.floor((last - first) / 2) };
}

/** Run the demo end to end. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const seed = options.seed ?? 42;
  const seasons = options.seasons ?? 2;
  const refitEveryDays = options.refitEveryDays ?? 7;
  const minEdge = options.minEdge ?? 2;
  const modelName = options.modelName ?? DEFAULT_MODEL_NAME;
  const experimentName = options.experimentName ?? DEMO_EXPERIMENT;
  const params = resolveParams(options.gbdt ?? DEMO_GBDT_PARAMS);
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
  const say = (line: string) => options.out?.(`[${elapsed()}] ${line}`);

  // ── the store first, so a wrong tracking URI fails before any work ───────────────────
  const trackingUri = resolveTrackingUri(options.trackingUri, options.env ?? process.env);
  const store = await openStore(trackingUri, { env: options.env ?? process.env });
  try {
    const experimentId = await getOrCreateExperiment(store, experimentName);

    // ── data and features ──────────────────────────────────────────────────────────
    say(`synthesizing a league: seed ${seed}, ${seasons} season${seasons === 1 ? '' : 's'}`);
    const ds = synthesizeLeague({ seed, seasons });
    if (!ds.consensus) throw new DataError('the synthetic league has no consensus lines to bet against');
    const version: DatasetVersion = versionOf(ds);
    say(
      `dataset ${version.hash.slice(0, 12)}: ${version.n_samples.toLocaleString('en-US')} player-games, ${version.n_players} players, seasons ${version.seasons.join(', ')}`,
    );
    const m = buildFeatures(ds.players, V3_ADVANCED);
    say(
      `features ${V3_ADVANCED.name} ${V3_ADVANCED.version}: ${m.nRows.toLocaleString('en-US')} rows × ${m.nCols}`,
    );
    const y = m.target;
    for (let r = 0; r < m.nRows; r++) {
      if (!Number.isFinite(y[r]!)) throw new DataError(`feature row ${r} has no PRA target (${y[r]})`);
    }
    const range = validationRange(m);
    const folds: Fold[] = walkForwardFolds(m.keys.date, {
      start: range.start,
      end: range.last,
      refitEveryDays,
    });
    const valStart = folds[0]!.testStart;
    const valEnd = folds.at(-1)!.testEnd;
    const nVal = valEnd - valStart;
    const binned = new BinnedMatrix(m);
    const tData = performance.now();

    const runName = await nextRunName(
      store,
      experimentId,
      `${yyyymmdd(Math.floor(Date.now() / 86_400_000))}_demo_${V3_ADVANCED.name}_walkforward_v`,
    );
    const lineage = featureLineage(V3_ADVANCED);
    const trainSeasons = version.seasons.slice(0, -1);
    const valSeason = version.seasons.at(-1)!;
    const commit = gitCommit();
    say(`tracking to ${trackingUri}: experiment '${experimentName}', run ${runName}`);
    const run: ActiveRun = await startRun({
      store,
      experimentId,
      runName,
      env: options.env ?? process.env,
      tags: {
        project: 'propflow',
        phase: 'demo',
        objective: 'pra',
        model_type: 'gbdt',
        model_architecture: 'single_gbdt',
        train_seasons:
          trainSeasons.length > 0
            ? `${trainSeasons.join(',')},${valSeason} (first half)`
            : `${valSeason} (first half)`,
        val_seasons: `${valSeason} (second half)`,
        validation_type: `walk_forward_expanding_refit_${refitEveryDays}d`,
        feature_set: V3_ADVANCED.name,
        feature_version: V3_ADVANCED.version,
        new_features: lineage.new_features.join(','),
        data_version: version.hash,
        target_mae: String(DEMO_TARGET_MAE),
        dataset_source: version.source,
        ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
      },
    });
    let walkSeconds = 0;
    let finalSeconds = 0;
    let result: Omit<DemoResult, 'registry' | 'seconds'>;
    const tTrack = performance.now();
    try {
      await run.logParams({
        ...paramsForLogging(params),
        model: 'gbdt',
        target: 'pra',
        feature_set: V3_ADVANCED.name,
        feature_version: V3_ADVANCED.version,
        n_features: m.nCols,
        seed,
        seasons,
        dataset_hash: version.hash,
        dataset_rows: version.n_samples,
        validation_start: formatDay(folds[0]!.foldDate),
        validation_end: formatDay(range.last),
        refit_every_days: refitEveryDays,
        n_folds: folds.length,
        min_edge: minEdge,
        baseline_model: 'last_10_average',
      });
      await run.logInput(
        {
          name: `synthetic_league_seed${seed}`,
          // MLflow limits a dataset digest to 36 characters: the hash's first 36 hex digits
          digest: version.hash.slice(0, 36),
          sourceType: 'synthetic',
          source: version.source,
          schema: JSON.stringify({
            mlflow_colspec: version.columns.map((c) => ({ name: c.name, type: c.type })),
          }),
          profile: JSON.stringify({
            num_rows: version.n_samples,
            n_players: version.n_players,
            n_games: version.n_games,
            date_min: version.date_min,
            date_max: version.date_max,
            hash: version.hash,
          }),
        },
        'training',
      );
      await run.logDict('feature_lineage.json', lineage);

      // ── walk-forward ─────────────────────────────────────────────────────────────────
      const pred = new Float64Array(nVal);
      const foldOf = new Int32Array(nVal);
      const foldSummaries: DemoFoldSummary[] = [];
      const tWalk = performance.now();
      for (const f of folds) {
        const model = trainGbdt(binned, y, params, { rows: f.trainRows });
        const p = model.predict(sliceRows(m, f.testStart, f.testEnd));
        pred.set(p, f.testStart - valStart);
        foldOf.fill(f.index, f.testStart - valStart, f.testEnd - valStart);
        const fm = regressionMetrics(y.subarray(f.testStart, f.testEnd), p);
        run.logMetric('fold_mae', fm.mae, f.index);
        run.logMetric('fold_rmse', fm.rmse, f.index);
        if (Number.isFinite(fm.r2)) run.logMetric('fold_r2', fm.r2, f.index);
        run.logMetric('fold_bias', fm.bias, f.index);
        run.logMetric('fold_n_predictions', fm.n, f.index);
        run.logMetric('fold_train_rows', f.trainRows, f.index);
        run.logMetric('fold_date', Number(yyyymmdd(f.foldDate)), f.index);
        foldSummaries.push({
          index: f.index,
          date: formatDay(f.foldDate),
          trainRows: f.trainRows,
          nPredictions: fm.n,
          mae: fm.mae,
        });
        say(
          `fold ${String(f.index + 1).padStart(2)}/${folds.length} ${formatDay(f.foldDate)}: trained on ${f.trainRows.toLocaleString('en-US')} rows, ${fm.n.toLocaleString('en-US')} predictions, MAE ${fm.mae.toFixed(3)}`,
        );
      }
      walkSeconds = (performance.now() - tWalk) / 1000;

      // ── metrics, baseline, betting ───────────────────────────────────────────────────
      const actual = y.subarray(valStart, valEnd);
      const metrics = regressionMetrics(actual, pred);
      // last-10 average per player from earlier games only; no history → the training mean
      const l10 = lastNAverage(m.keys.playerId, y, 10);
      let trainMean = 0;
      for (let r = 0; r < folds[0]!.trainRows; r++) trainMean += y[r]!;
      trainMean /= folds[0]!.trainRows;
      const basePred = new Float64Array(nVal);
      for (let i = 0; i < nVal; i++) {
        const b = l10[valStart + i]!;
        basePred[i] = Number.isNaN(b) ? trainMean : b;
      }
      const baseline = { name: 'last_10_average', ...regressionMetrics(actual, basePred) };
      const delta = metrics.mae - baseline.mae;
      const deltaPct = (delta / baseline.mae) * 100;

      const lines = linesForRows(m, ds.consensus);
      const vLine = lines.line.subarray(valStart, valEnd);
      const bets = simulateBets({
        pred,
        actual,
        line: vLine,
        overOdds: lines.overOdds.subarray(valStart, valEnd),
        underOdds: lines.underOdds.subarray(valStart, valEnd),
        minEdge,
      });
      const betProfits: number[] = [];
      const { side, rowProfit, ...betSummary } = bets;
      for (let i = 0; i < nVal; i++) if (side[i] !== 0) betProfits.push(rowProfit[i]!);
      const ci = bootstrapRoi(betProfits, { seed, iterations: 2000 });
      let lined = 0;
      let lineAbs = 0;
      let modelAbs = 0;
      for (let i = 0; i < nVal; i++) {
        const l = vLine[i]!;
        if (Number.isNaN(l)) continue;
        lined++;
        lineAbs += Math.abs(actual[i]! - l);
        modelAbs += Math.abs(actual[i]! - pred[i]!);
      }
      const market = {
        rowsWithLine: lined,
        lineMae: lined > 0 ? lineAbs / lined : Number.NaN,
        modelMae: lined > 0 ? modelAbs / lined : Number.NaN,
      };
      const segments = demoSegments(m, valStart, actual, pred, basePred, vLine);
      say(
        `validation: MAE ${metrics.mae.toFixed(3)} vs last-10 baseline ${baseline.mae.toFixed(3)} (${deltaPct.toFixed(1)}%), R² ${metrics.r2.toFixed(3)}; ${bets.n_bets} bets, win rate ${(bets.win_rate * 100).toFixed(1)}%, ROI ${(bets.roi * 100).toFixed(1)}%`,
      );

      // a metric that has no value (no bets → no ROI) is left out rather than logged as 0
      const logDefined = (values: Record<string, number>) => {
        for (const [k, v] of Object.entries(values)) if (Number.isFinite(v)) run.logMetric(k, v);
      };
      logDefined({
        val_mae: metrics.mae,
        val_rmse: metrics.rmse,
        val_r2: metrics.r2,
        val_bias: metrics.bias,
        val_within_3: metrics.within_3,
        val_within_5: metrics.within_5,
        val_within_10: metrics.within_10,
        val_n_predictions: metrics.n,
        n_folds: folds.length,
        baseline_mae: baseline.mae,
        baseline_rmse: baseline.rmse,
        baseline_r2: baseline.r2,
        baseline_bias: baseline.bias,
        vs_baseline_mae_delta: delta,
        vs_baseline_mae_pct: deltaPct,
        n_bets: bets.n_bets,
        n_bets_over: bets.n_over,
        n_bets_under: bets.n_under,
        betting_wins: bets.wins,
        betting_losses: bets.losses,
        betting_pushes: bets.pushes,
        betting_win_rate: bets.win_rate,
        betting_roi: bets.roi,
        betting_profit_units: bets.profit,
        betting_max_drawdown: bets.max_drawdown,
        betting_break_even_win_rate: bets.break_even_win_rate,
        betting_roi_ci_low: ci.low,
        betting_roi_ci_high: ci.high,
        market_line_mae: market.lineMae,
        val_mae_on_lined_rows: market.modelMae,
        n_rows_with_line: market.rowsWithLine,
      });
      logDefined(Object.fromEntries(segments.map((g) => [`val_mae_${g.segment}`, g.mae])));
      await run.logTable(
        'validation_segments.csv',
        segments.map((g) => ({
          group: g.group,
          segment: g.segment,
          n: g.n,
          mae: round(g.mae),
          bias: round(g.bias),
          baseline_mae: round(g.baselineMae),
        })),
      );
      await run.setTags({ baseline_mae: round(baseline.mae), baseline: 'last_10_average (same run)' });

      // ── artifacts ────────────────────────────────────────────────────────────────────
      const predictionRows: Record<string, unknown>[] = [];
      for (let i = 0; i < nVal; i++) {
        const r = valStart + i;
        const l = vLine[i]!;
        predictionRows.push({
          fold: foldOf[i],
          date: formatDay(m.keys.date[r]!),
          game_id: m.keys.gameId[r],
          player_id: m.keys.playerId[r],
          team: m.keys.team[r],
          opponent: m.keys.opponent[r],
          actual: round(actual[i]!, 3),
          prediction: round(pred[i]!, 3),
          baseline_l10: round(basePred[i]!, 3),
          line: Number.isNaN(l) ? '' : l,
          over_odds: Number.isNaN(l) ? '' : lines.overOdds[r],
          under_odds: Number.isNaN(l) ? '' : lines.underOdds[r],
          bet: side[i] === 1 ? 'over' : side[i] === -1 ? 'under' : '',
          bet_profit: side[i] === 0 ? '' : round(rowProfit[i]!, 4),
        });
      }
      await run.logTable('validation_predictions.csv', predictionRows);
      await run.logTable(
        'walk_forward_folds.csv',
        foldSummaries.map((f) => ({
          fold: f.index,
          fold_date: f.date,
          train_rows: f.trainRows,
          n_predictions: f.nPredictions,
          mae: round(f.mae),
        })),
      );

      // final model on every row, for the registry and serving
      const tFinal = performance.now();
      const finalModel = trainGbdt(binned, y, params);
      finalSeconds = (performance.now() - tFinal) / 1000;
      say(`final model: ${finalModel.nTrees} trees on ${m.nRows.toLocaleString('en-US')} rows`);
      await run.logTable(
        'feature_importance.csv',
        finalModel.importanceTable('gain').map((r) => ({ feature: r.feature, gain: round(r.importance, 4) })),
      );
      await run.logDict('training_info.json', {
        dataset: version,
        feature_set: { name: V3_ADVANCED.name, version: V3_ADVANCED.version, n_features: m.nCols },
        target: 'pra',
        model: { type: 'gbdt', params },
        validation: {
          type: 'walk_forward_expanding',
          refit_every_days: refitEveryDays,
          season: valSeason,
          start: formatDay(folds[0]!.foldDate),
          end: formatDay(range.last),
          n_folds: folds.length,
          n_predictions: nVal,
          folds: foldSummaries.map((f) => ({ index: f.index, date: f.date, train_rows: f.trainRows })),
        },
        betting: { min_edge: minEdge, stake_units: 1, odds: 'consensus best price per side (American)' },
        final_model: { train_rows: m.nRows, date_max: version.date_max },
      });
      const dir = mkdtempSync(path.join(tmpdir(), 'propflow-model-'));
      try {
        writeModelArtifact(dir, {
          model: finalModel,
          featureSet: V3_ADVANCED,
          runId: run.runId,
          inputExample: inputExampleFrom(m, 5),
          flavorExtras: {
            target: 'pra',
            feature_set: V3_ADVANCED.name,
            feature_version: V3_ADVANCED.version,
          },
        });
        await run.logArtifacts(dir, 'model');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await run.end('FINISHED');
      result = {
        trackingUri,
        experimentId,
        experimentName,
        runId: run.runId,
        runName,
        dataset: {
          hash: version.hash,
          rows: version.n_samples,
          players: version.n_players,
          seasons: version.seasons,
          source: version.source,
        },
        featureSet: { name: V3_ADVANCED.name, version: V3_ADVANCED.version, nFeatures: m.nCols },
        validation: {
          start: formatDay(folds[0]!.foldDate),
          end: formatDay(range.last),
          refitEveryDays,
          nFolds: folds.length,
          nPredictions: nVal,
        },
        folds: foldSummaries,
        metrics,
        baseline,
        vsBaselineMaeDelta: delta,
        vsBaselineMaePct: deltaPct,
        betting: { ...betSummary, minEdge, roiCiLow: ci.low, roiCiHigh: ci.high },
        market,
        segments,
      };
    } catch (err) {
      await run.end('FAILED').catch(() => undefined);
      throw err;
    }
    const trackingSeconds = (performance.now() - tTrack) / 1000 - walkSeconds - finalSeconds;
    say(`run ${runName} (${run.runId}) FINISHED`);

    // ── registry workflow ──────────────────────────────────────────────────────────────
    const registry = new ModelRegistry(store);
    const actions: string[] = [];
    const registration = await registry.register({
      runId: result.runId,
      name: modelName,
      gate: DEMO_GATE,
      description: `demo: ${V3_ADVANCED.name} GBDT, walk-forward ${result.validation.start}..${result.validation.end}`,
    });
    let evaluation: EvaluationReport | null = null;
    if (!registration.registered) {
      actions.push(`not registered: ${registration.reason}`);
    } else {
      const v = registration.version;
      actions.push(`registered ${modelName} version ${v} (${registration.gate})`);
      evaluation = await registry.evaluate({
        name: modelName,
        version: v,
        criteria: criteriaFromObject(DEMO_CRITERIA, 'demo criteria'),
      });
      const failed = evaluation.results.filter((c) => !c.pass);
      actions.push(
        `evaluated version ${v}: ${evaluation.result}${failed.length > 0 ? ` (${failed.map((c) => describeCriterion(c)).join('; ')})` : ''}`,
      );
      if (evaluation.passed) {
        await registry.promote({
          name: modelName,
          version: v,
          stage: 'Staging',
          reason: 'demo: evaluation passed',
        });
        actions.push(`promoted version ${v} to Staging`);
        const before = await registry.show(modelName);
        if (before.production === null) {
          await registry.promote({
            name: modelName,
            version: v,
            stage: 'Production',
            reason: 'demo: first version to pass the criteria',
          });
          actions.push(`promoted version ${v} to Production (there was none)`);
        } else {
          actions.push(
            `Production stays version ${before.production}; promote with 'npx propflow registry promote --name ${modelName} --version ${v} --stage Production'`,
          );
        }
      } else {
        actions.push(`version ${v} stays in stage None`);
      }
    }
    await store.setTag(result.runId, {
      key: 'production_ready',
      value: String(evaluation?.passed ?? false),
    });
    const summary = await registry.show(modelName).catch(() => null);
    const history = registration.registered ? await registry.history(modelName) : [];
    for (const a of actions) say(`registry: ${a}`);
    return {
      ...result,
      registry: {
        name: modelName,
        gate: DEMO_GATE,
        registration,
        evaluation,
        actions,
        production: summary?.production ?? null,
        staging: summary?.staging ?? null,
        history,
      },
      seconds: {
        total: (performance.now() - t0) / 1000,
        data: (tData - t0) / 1000,
        walkForward: walkSeconds,
        finalModel: finalSeconds,
        tracking: trackingSeconds,
      },
    };
  } finally {
    await store.close();
  }
}

/** Segments known before the game: location, back-to-back, prior minutes (role), priced by the market. */
function demoSegments(
  m: FeatureMatrix,
  valStart: number,
  actual: ArrayLike<number>,
  pred: ArrayLike<number>,
  basePred: ArrayLike<number>,
  line: ArrayLike<number>,
): DemoSegment[] {
  const n = actual.length;
  const home = featureColumn(m, 'home');
  const b2b = featureColumn(m, 'back_to_back');
  const minutes = featureColumn(m, 'minutes_l10');
  const groups: Array<[string, (i: number) => string]> = [
    ['location', (i) => (home[valStart + i] === 1 ? 'home' : 'away')],
    ['rest', (i) => (b2b[valStart + i] === 1 ? 'back_to_back' : 'rested')],
    [
      'role',
      (i) => {
        const x = minutes[valStart + i]!;
        if (Number.isNaN(x)) return 'minutes_l10_none';
        return x < 15 ? 'minutes_l10_lt15' : x < 28 ? 'minutes_l10_15_28' : 'minutes_l10_ge28';
      },
    ],
    ['market', (i) => (Number.isNaN(line[i]!) ? 'unpriced' : 'priced')],
  ];
  const out: DemoSegment[] = [];
  for (const [group, label] of groups) {
    const labels = Array.from({ length: n }, (_, i) => label(i));
    const base = new Map(segmentMetrics(actual, basePred, labels).map((s) => [s.segment, s.mae]));
    for (const s of segmentMetrics(actual, pred, labels)) {
      out.push({
        group,
        segment: s.segment,
        n: s.n,
        mae: s.mae,
        bias: s.bias,
        baselineMae: base.get(s.segment)!,
      });
    }
  }
  return out;
}

function describeCriterion(c: EvaluationReport['results'][number]): string {
  return `${c.criterion}: actual ${c.actual ?? 'missing'}, required ${c.required}`;
}
