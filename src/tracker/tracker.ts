/**
 * `StandardNBAPropsTracker`: the one class that turns domain results (a dataset, feature
 * lineage, walk-forward folds, predictions, a model) into tracking calls and artifacts, on
 * any `TrackingStore` (embedded, `propflow server`, a real MLflow server). Every run it makes
 * has the same shape: the standard tags, params, per-fold metrics at step = fold index, the
 * validation and betting metrics, and six artifacts (`training_info.json`,
 * `feature_lineage.json`, `validation_predictions.csv`, `feature_importance.png`,
 * `residuals_analysis.png`, `model/`).
 *
 * Runs start through the fluent API's `withRun`, so a crash ends them FAILED (and the
 * process-level handler of the fluent API covers Ctrl-C); fold metrics and fold tags are
 * buffered and sent in batches (a season of 165 folds costs a handful of requests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ChartSpec, renderPng } from '../charts/index.js';
import type { DatasetVersion } from '../data/index.js';
import { InvalidParameterError, NotFoundError } from '../errors.js';
import { type FeatureLineage, type FeatureSet, featureLineage } from '../features/index.js';
import {
  type ArtifactModel,
  type InputExample,
  type IsotonicRegression,
  writeModelArtifact,
} from '../models/index.js';
import { ModelRegistry, type RegisterResult } from '../registry/index.js';
import {
  type ActiveRun,
  getOrCreateExperiment,
  type Tag,
  type TrackingStore,
  withRun,
} from '../tracking/index.js';
import { type BetResult, type RegressionMetrics, regressionMetrics } from '../validation/index.js';
import {
  featureImportanceSpec,
  type ImportanceRow,
  type ReliabilityBin,
  type ResidualRow,
  reliabilitySpec,
  residualsSpec,
} from './charts.js';
import { nextRunName, type RunNameInput } from './naming.js';
import { initialTags, type StandardTagsInput } from './tags.js';

export interface TrackerRunOptions {
  store: TrackingStore;
  /** e.g. `NBA_Props_Model/Phase1_Features` (created when missing). */
  experimentName: string;
  /** The run name's parts; the version is the next free one in the experiment. */
  name: Omit<RunNameInput, 'version'>;
  tags: StandardTagsInput;
  /** More tags (e.g. `reproduces`). */
  extraTags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

/** A betting summary as the validation step computes it: the simulation's totals, without per-row arrays. */
export type BettingSummary = Omit<BetResult, 'avg_payout' | 'side' | 'rowProfit'> & {
  roi_ci_low: number;
  roi_ci_high: number;
  /** Closing-line value in points (mean of line movement in the bet's favour), where closing lines exist. */
  clv?: number;
  min_edge: number;
};

export interface ValidationMetricsInput {
  regression: RegressionMetrics;
  betting?: BettingSummary | null;
  /** Other metrics (baselines, subsets), logged under their own names. */
  extra?: Record<string, number>;
}

/** One row of `validation_predictions.csv`. */
export interface PredictionRow {
  fold: number;
  /** Day number of the game. */
  date: number;
  gameId: string;
  playerId: number;
  playerName?: string;
  team: string;
  opponent: string;
  minutes: number;
  actual: number;
  prediction: number;
  baseline?: number;
  line: number;
  overOdds: number;
  underOdds: number;
  /** Calibrated P(over line), NaN without a line. */
  pOver?: number;
  bet: 'over' | 'under' | '';
  outcome: 'win' | 'loss' | 'push' | '';
  profit: number;
}

export interface FoldLog {
  index: number;
  date: string;
  trainRows: number;
  nPredictions: number;
  mae: number;
  rmse: number;
  trainSeconds: number;
}

export interface LogModelOptions {
  featureSet: FeatureSet;
  calibration: IsotonicRegression;
  inputExample?: InputExample | null;
  flavorExtras?: Record<string, string | number | boolean>;
  /** Register `runs:/<run>/model` through the registry's gate. */
  register?: { name: string; gate?: string; description?: string } | null;
}

const round = (x: number, d = 4): number | string => (Number.isFinite(x) ? Number(x.toFixed(d)) : '');

/** `YYYYMMDD` as a number, from a day number. */
export function dayNumberToYyyymmdd(day: number): number {
  return Number(new Date(day * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''));
}

function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export class StandardNBAPropsTracker {
  readonly run: ActiveRun;
  readonly runName: string;
  private readonly pendingTags: Tag[] = [];
  private readonly folds: FoldLog[] = [];
  private readonly trainingInfo: Record<string, unknown> = {};
  /** The latest value of every run-level metric logged through the tracker (fold metrics excluded). */
  readonly metrics: Record<string, number> = {};

  private constructor(run: ActiveRun, runName: string) {
    this.run = run;
    this.runName = runName;
  }

  get runId(): string {
    return this.run.runId;
  }

  get experimentId(): string {
    return this.run.experimentId;
  }

  get store(): TrackingStore {
    return this.run.store;
  }

  /**
   * Run `body` with a tracker on a new run named by the rules (`YYYYMMDD_pN_<set>_<validation>_vN`,
   * the version counted in the experiment). The run ends FINISHED after `finish`, or FAILED when
   * the body throws (the error is rethrown).
   */
  static async withRun<T>(
    options: TrackerRunOptions,
    body: (tracker: StandardNBAPropsTracker) => Promise<T>,
  ): Promise<T> {
    const experimentId = await getOrCreateExperiment(options.store, options.experimentName);
    const runName = await nextRunName(options.store, experimentId, options.name);
    return withRun(
      {
        store: options.store,
        experimentId,
        runName,
        tags: { ...initialTags(options.tags, runName), ...(options.extraTags ?? {}) },
        ...(options.env ? { env: options.env } : {}),
      },
      async (run) => {
        const tracker = new StandardNBAPropsTracker(run, runName);
        const result = await body(tracker);
        await tracker.finish();
        return result;
      },
    );
  }

  /** Params as given (values stringified, batches of 100). */
  async logParams(params: Record<string, string | number | boolean | null | undefined>): Promise<void> {
    const clean: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) clean[k] = v;
    await this.run.logParams(clean);
  }

  async setTags(tags: Record<string, string | number | boolean>): Promise<void> {
    await this.run.setTags(tags);
  }

  /** Add a section to `training_info.json` (written at the end, and when the dataset is logged). */
  addTrainingInfo(key: string, value: unknown): void {
    this.trainingInfo[key] = value;
  }

  /**
   * The dataset: hash, sizes, seasons, date range and null counts as params; `data_version`
   * tag; an MLflow dataset input (digest, source, schema, profile); `training_info.json`.
   */
  async logDatasetInfo(
    version: DatasetVersion,
    options: {
      name: string;
      source: string;
      context?: string;
      datasetDir: string | null;
      synthetic?: { seed: number; seasons: number } | null;
    },
  ): Promise<void> {
    const nulls = Object.entries(version.null_counts).filter(([, n]) => n > 0);
    await this.logParams({
      dataset_name: options.name,
      dataset_hash: version.hash,
      dataset_source: options.source.slice(0, 500),
      dataset_n_samples: version.n_samples,
      dataset_n_players: version.n_players,
      dataset_n_games: version.n_games,
      dataset_seasons: version.seasons.join(','),
      dataset_date_min: version.date_min,
      dataset_date_max: version.date_max,
      dataset_nulls_total: nulls.reduce((s, [, n]) => s + n, 0),
      ...Object.fromEntries(nulls.map(([c, n]) => [`dataset_nulls_${c}`, n])),
    });
    await this.run.setTags({ data_version: version.hash });
    await this.run.logInput(
      {
        name: options.name,
        // MLflow limits a dataset digest to 36 characters: the hash's first 36 hex digits
        digest: version.hash.slice(0, 36),
        sourceType: options.synthetic ? 'synthetic' : 'local',
        source: JSON.stringify({ uri: options.datasetDir ?? options.source }),
        schema: JSON.stringify({
          mlflow_colspec: version.columns.map((c) => ({ name: c.name, type: c.type })),
        }),
        profile: JSON.stringify({
          num_rows: version.n_samples,
          n_players: version.n_players,
          n_games: version.n_games,
          seasons: version.seasons,
          date_min: version.date_min,
          date_max: version.date_max,
          hash: version.hash,
        }),
      },
      options.context ?? 'training',
    );
    this.trainingInfo['dataset'] = version;
    this.trainingInfo['dataset_dir'] = options.datasetDir;
    if (options.datasetDir === null) this.trainingInfo['synthetic'] = options.synthetic ?? null;
    await this.writeTrainingInfo();
  }

  /** `feature_version`, `n_features`, `baseline_feature_version` params, `new_features` tag, `feature_lineage.json`. */
  async logFeatureLineage(featureSet: FeatureSet, baselineSet?: FeatureSet): Promise<FeatureLineage> {
    const lineage = featureLineage(featureSet, baselineSet);
    await this.logParams({
      feature_set: featureSet.name,
      feature_version: featureSet.version,
      n_features: featureSet.features.length,
      baseline_feature_set: lineage.baseline,
      baseline_feature_version: lineage.baseline_version,
    });
    await this.run.setTags({
      new_features: lineage.new_features.length > 0 ? lineage.new_features.join(',') : '(none)',
    });
    await this.run.logDict('feature_lineage.json', lineage);
    return lineage;
  }

  /**
   * One walk-forward fold: `fold_mae`, `fold_rmse`, `fold_r2`, `fold_n_predictions`,
   * `fold_date` (YYYYMMDD) and `fold_train_rows` at step = fold index, tag `fold_<i>_date`.
   * Buffered: nothing is sent until a batch is full or the run flushes.
   */
  logWalkForwardFold(
    foldIndex: number,
    foldDate: number,
    fold: { actual: ArrayLike<number>; pred: ArrayLike<number>; trainRows?: number; trainSeconds?: number },
  ): RegressionMetrics {
    const m = regressionMetrics(fold.actual, fold.pred);
    const step = foldIndex;
    this.run.logMetric('fold_mae', m.mae, step);
    this.run.logMetric('fold_rmse', m.rmse, step);
    if (Number.isFinite(m.r2)) this.run.logMetric('fold_r2', m.r2, step);
    this.run.logMetric('fold_bias', m.bias, step);
    this.run.logMetric('fold_n_predictions', m.n, step);
    this.run.logMetric('fold_date', dayNumberToYyyymmdd(foldDate), step);
    if (fold.trainRows !== undefined) this.run.logMetric('fold_train_rows', fold.trainRows, step);
    this.pendingTags.push({ key: `fold_${foldIndex}_date`, value: isoDay(foldDate) });
    this.folds.push({
      index: foldIndex,
      date: isoDay(foldDate),
      trainRows: fold.trainRows ?? Number.NaN,
      nPredictions: m.n,
      mae: m.mae,
      rmse: m.rmse,
      trainSeconds: fold.trainSeconds ?? Number.NaN,
    });
    return m;
  }

  /** The folds logged so far. */
  get loggedFolds(): readonly FoldLog[] {
    return this.folds;
  }

  /**
   * `vs_baseline_mae_delta` and `vs_baseline_mae_pct` against a baseline run (its `val_mae`) or
   * baseline metrics computed in this run; tags name the baseline.
   */
  async logBaselineComparison(
    baseline: string | { name: string; mae: number },
    current: { mae: number },
  ): Promise<{ baselineMae: number; delta: number; pct: number }> {
    let baselineMae: number;
    const tags: Record<string, string> = {};
    if (typeof baseline === 'string') {
      const run = await this.store.getRun(baseline);
      const m = run.data.metrics.find((x) => x.key === 'val_mae');
      if (!m) {
        throw new NotFoundError(
          `baseline run ${baseline} (${run.info.runName}) has no val_mae metric; pick a run made by a propflow pipeline.`,
        );
      }
      baselineMae = m.value;
      tags['baseline_run_id'] = baseline;
      tags['baseline_run_name'] = run.info.runName;
      tags['baseline'] = `run ${run.info.runName}`;
    } else {
      baselineMae = baseline.mae;
      tags['baseline'] = `${baseline.name} (same run)`;
    }
    if (!Number.isFinite(baselineMae) || baselineMae <= 0) {
      throw new InvalidParameterError(`baseline MAE must be a positive number (got ${baselineMae}).`);
    }
    const delta = current.mae - baselineMae;
    const pct = (100 * delta) / baselineMae;
    tags['baseline_mae'] = String(round(baselineMae));
    await this.run.setTags(tags);
    this.logMetrics({
      baseline_mae: baselineMae,
      vs_baseline_mae_delta: delta,
      vs_baseline_mae_pct: pct,
    });
    return { baselineMae, delta, pct };
  }

  /** `val_*` regression metrics, `betting_*` metrics and `n_bets`, and any extra metrics; non-finite values are left out. */
  logValidationMetrics(input: ValidationMetricsInput): void {
    const r = input.regression;
    const values: Record<string, number> = {
      val_mae: r.mae,
      val_rmse: r.rmse,
      val_r2: r.r2,
      val_bias: r.bias,
      val_within_3: r.within_3,
      val_within_5: r.within_5,
      val_within_10: r.within_10,
      val_n_predictions: r.n,
    };
    const b = input.betting;
    if (b) {
      Object.assign(values, {
        n_bets: b.n_bets,
        betting_n_over: b.n_over,
        betting_n_under: b.n_under,
        betting_wins: b.wins,
        betting_losses: b.losses,
        betting_pushes: b.pushes,
        betting_win_rate: b.win_rate,
        betting_roi: b.roi,
        betting_profit_units: b.profit,
        betting_max_drawdown: b.max_drawdown,
        betting_break_even_win_rate: b.break_even_win_rate,
        betting_roi_ci_low: b.roi_ci_low,
        betting_roi_ci_high: b.roi_ci_high,
        betting_min_edge: b.min_edge,
        ...(b.clv !== undefined ? { betting_clv: b.clv } : {}),
      });
    }
    Object.assign(values, input.extra ?? {});
    this.logMetrics(values);
  }

  /** Run-level metrics at step 0 (buffered); non-finite values are left out rather than logged as 0. */
  logMetrics(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      this.run.logMetric(k, v);
      this.metrics[k] = v;
    }
  }

  /**
   * `validation_predictions.csv` (one row per prediction), `feature_importance.png` and
   * `residuals_analysis.png`.
   */
  async logPredictions(
    rows: readonly PredictionRow[],
    importance: { rows: readonly ImportanceRow[]; kind?: string; subtitle?: string },
  ): Promise<void> {
    await this.run.logTable(
      'validation_predictions.csv',
      rows.map((p) => ({
        fold: p.fold,
        date: isoDay(p.date),
        game_id: p.gameId,
        player_id: p.playerId,
        player_name: p.playerName ?? '',
        team: p.team,
        opponent: p.opponent,
        minutes: round(p.minutes, 1),
        actual: round(p.actual, 3),
        prediction: round(p.prediction, 3),
        baseline_l10: p.baseline === undefined ? '' : round(p.baseline, 3),
        line: round(p.line, 1),
        over_odds: Number.isNaN(p.line) ? '' : round(p.overOdds, 0),
        under_odds: Number.isNaN(p.line) ? '' : round(p.underOdds, 0),
        p_over: p.pOver === undefined ? '' : round(p.pOver, 4),
        bet: p.bet,
        outcome: p.outcome,
        bet_profit: p.bet === '' ? '' : round(p.profit, 4),
      })),
    );
    const residuals: ResidualRow[] = rows.map((p) => ({
      date: p.date,
      actual: p.actual,
      prediction: p.prediction,
      minutes: p.minutes,
    }));
    await this.run.logImage(
      'feature_importance.png',
      await renderPng(
        featureImportanceSpec(importance.rows, {
          ...(importance.kind ? { kind: importance.kind } : {}),
          subtitle: importance.subtitle ?? `run ${this.runName}`,
        }),
      ),
    );
    await this.run.logImage(
      'residuals_analysis.png',
      await renderPng(
        residualsSpec(residuals, { subtitle: `run ${this.runName}: walk-forward out-of-fold predictions` }),
      ),
    );
  }

  /** Calibration quality of P(over line): metrics and `reliability.png`. */
  async logCalibration(
    bins: readonly ReliabilityBin[],
    metrics: Record<string, number>,
    subtitle?: string,
  ): Promise<void> {
    this.logMetrics(metrics);
    await this.run.logImage(
      'reliability.png',
      await renderPng(reliabilitySpec(bins, { subtitle: subtitle ?? `run ${this.runName}` })),
    );
  }

  /**
   * The quality report: `validation_report.md`, its tables as `validation_report_tables.json`
   * and its plots as `report/<name>.png`.
   */
  async logQualityReport(report: {
    markdown: string;
    tables: Record<string, unknown>;
    charts: Record<string, unknown>;
  }): Promise<void> {
    await this.run.logArtifact('validation_report.md', report.markdown);
    await this.run.logDict('validation_report_tables.json', report.tables);
    for (const [name, spec] of Object.entries(report.charts))
      await this.run.logImage(`report/${name}.png`, await renderPng(spec as ChartSpec));
  }

  /** Any other JSON or CSV artifact. */
  async logDict(artifactPath: string, value: unknown): Promise<void> {
    await this.run.logDict(artifactPath, value);
  }

  async logTable(artifactPath: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    await this.run.logTable(artifactPath, rows);
  }

  /**
   * The `model/` artifact (MLflow layout, with the calibration of P(over line)), then — when
   * asked — registration of `runs:/<run>/model` through the registry's gate.
   */
  async logModel(model: ArtifactModel, options: LogModelOptions): Promise<RegisterResult | null> {
    const dir = mkdtempSync(path.join(tmpdir(), 'propflow-model-'));
    try {
      writeModelArtifact(dir, {
        model,
        featureSet: options.featureSet,
        runId: this.runId,
        calibration: options.calibration,
        inputExample: options.inputExample ?? null,
        ...(options.flavorExtras ? { flavorExtras: options.flavorExtras } : {}),
      });
      await this.run.logArtifacts(dir, 'model');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (!options.register) return null;
    await this.flush();
    const registry = new ModelRegistry(this.store);
    return registry.register({
      runId: this.runId,
      name: options.register.name,
      ...(options.register.gate ? { gate: options.register.gate } : {}),
      ...(options.register.description ? { description: options.register.description } : {}),
    });
  }

  /** Send buffered metrics and fold tags now. */
  async flush(): Promise<void> {
    while (this.pendingTags.length > 0) await this.run.setTags(this.pendingTags.splice(0, 100));
    await this.run.flush();
  }

  private async writeTrainingInfo(): Promise<void> {
    await this.run.logDict('training_info.json', this.trainingInfo);
  }

  /** Everything buffered, `walk_forward_folds.csv` and the final `training_info.json`. */
  async finish(): Promise<void> {
    if (this.folds.length > 0) {
      await this.run.logTable(
        'walk_forward_folds.csv',
        this.folds.map((f) => ({
          fold: f.index,
          fold_date: f.date,
          train_rows: Number.isNaN(f.trainRows) ? '' : f.trainRows,
          n_predictions: f.nPredictions,
          mae: round(f.mae),
          rmse: round(f.rmse),
          train_seconds: round(f.trainSeconds, 3),
        })),
      );
    }
    await this.writeTrainingInfo();
    await this.flush();
  }
}
