import { type Command, Option } from 'commander';
import type { PipelineKind, PipelineResult } from '../../pipelines/index.js';
import { intArg, numArg } from '../args.js';
import { TRACKING_URI_HELP } from '../output.js';

/** Flags every pipeline command takes; each maps to a config key or to the data source. */
export interface PipelineFlags {
  config?: string;
  data?: string;
  synthetic?: boolean;
  seed?: number;
  seasons?: number;
  trackingUri?: string;
  experiment?: string;
  featureSet?: string;
  baselineFeatureSet?: string;
  season?: string;
  start?: string;
  end?: string;
  refitEveryDays?: number;
  windowDays?: number;
  nEstimators?: number;
  maxDepth?: number;
  learningRate?: number;
  minEdge?: number;
  register?: boolean;
  report?: boolean;
  gate?: string;
  modelName?: string;
  baselineRun?: string;
  json?: boolean;
}

/** Declare the shared pipeline flags on a command. */
export function pipelineOptions(cmd: Command, kind: PipelineKind): Command {
  cmd
    .option('--config <file>', 'pipeline config, YAML or JSON (see configs/); flags override its keys')
    .option('--data <dir>', 'an ingested dataset folder (propflow data ingest / data synth)')
    .option('--synthetic', 'use an in-memory synthetic league instead of --data')
    .option(
      '--seed <n>',
      'seed of the pipeline (and of the synthetic league); config key seed',
      intArg('--seed', 0, 0xffffffff),
    )
    .option('--seasons <n>', 'seasons of the synthetic league (default 2)', intArg('--seasons', 1, 30))
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .option('--experiment <name>', 'experiment, e.g. NBA_Props_Model/Phase1_Features; config key experiment')
    .option(
      '--feature-set <name>',
      'feature set (v1_baseline, v2_opponent_efficiency, v3_advanced); features.set',
    )
    .option('--baseline-feature-set <name>', 'feature set the lineage is diffed against; features.baseline')
    .option('--season <label>', "season validated: 'last' or e.g. 2023-24; validation.season")
    .option('--start <when>', 'first day predicted: season_start, season_mid or YYYY-MM-DD; validation.start')
    .option('--end <day>', 'last day predicted, YYYY-MM-DD; validation.end')
    .option(
      '--refit-every-days <n>',
      'days between refits (1 = daily); validation.refit_every_days',
      intArg('--refit-every-days', 1, 366),
    )
    .option(
      '--window-days <n>',
      'rolling training window in days (default expanding); validation.window_days',
      intArg('--window-days', 1, 100_000),
    )
    .option(
      '--min-edge <points>',
      'bet when |prediction − line| ≥ this; betting.min_edge',
      numArg('--min-edge'),
    )
    .option('--gate <expr>', "registration gate, e.g. 'val_mae<6.0'; registry.gate")
    .option('--model-name <name>', 'registered model name; registry.model_name')
    .option('--json', 'print the result as JSON');
  if (kind !== 'two-stage') {
    cmd
      .option('--n-estimators <n>', 'trees; model.n_estimators', intArg('--n-estimators', 1, 100_000))
      .option('--max-depth <n>', 'tree depth; model.max_depth', intArg('--max-depth', 0, 64))
      .option('--learning-rate <x>', 'learning rate; model.learning_rate', numArg('--learning-rate'));
  }
  if (kind === 'validate') {
    cmd
      .option('--baseline-run <run-id>', 'the run to compare against (its val_mae); baseline_run')
      .option('--register', 'also register the model (validation does not by default); registry.register')
      .option(
        '--report',
        'write the quality report to validation_report.md (and log it with its plots on the run); report',
      );
  } else {
    cmd.addOption(new Option('--no-register', 'do not register the model; registry.register = false'));
  }
  return cmd;
}

/** The config keys the flags set. */
export function overridesFromFlags(flags: PipelineFlags): Record<string, unknown> {
  return {
    seed: flags.seed,
    experiment: flags.experiment,
    'features.set': flags.featureSet,
    'features.baseline': flags.baselineFeatureSet,
    'validation.season': flags.season,
    'validation.start': flags.start,
    'validation.end': flags.end,
    'validation.refit_every_days': flags.refitEveryDays,
    'validation.window_days': flags.windowDays,
    'model.n_estimators': flags.nEstimators,
    'model.max_depth': flags.maxDepth,
    'model.learning_rate': flags.learningRate,
    'betting.min_edge': flags.minEdge,
    'registry.register': flags.register,
    report: flags.report,
    'registry.gate': flags.gate,
    'registry.model_name': flags.modelName,
    baseline_run: flags.baselineRun,
  };
}

function line(s = ''): void {
  process.stdout.write(`${s}\n`);
}

const f3 = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** A pipeline run's summary for people. */
export function printPipelineResult(kind: PipelineKind, r: PipelineResult): void {
  const m = r.metrics;
  line(`${kind}: run ${r.runName} (${r.runId}) FINISHED in ${r.seconds.toFixed(1)} s`);
  line(
    `  val_mae ${f3(m['val_mae'])}  rmse ${f3(m['val_rmse'])}  r2 ${f3(m['val_r2'])}  (${m['n_folds']} folds, ${m['val_n_predictions']} predictions)`,
  );
  line(
    `  baseline ${f3(m['baseline_mae'])} → vs_baseline_mae_delta ${f3(m['vs_baseline_mae_delta'])} (${m['vs_baseline_mae_pct']?.toFixed(1)}%)`,
  );
  if (m['val_minutes_mae'] !== undefined) line(`  minutes mae ${f3(m['val_minutes_mae'])}`);
  if (m['n_bets'] !== undefined) {
    line(
      `  betting: ${m['n_bets']} bets, win rate ${pct(m['betting_win_rate'])}, ROI ${pct(m['betting_roi'])} [95% CI ${pct(m['betting_roi_ci_low'])}, ${pct(m['betting_roi_ci_high'])}]`,
    );
    line(`  on rows with a line: model mae ${f3(m['val_mae_lined'])}, line mae ${f3(m['line_mae_lined'])}`);
  }
  if (m['calibration_brier'] !== undefined)
    line(
      `  calibrated P(over): Brier ${f3(m['calibration_brier'])}, log loss ${f3(m['calibration_log_loss'])}`,
    );
  const reg = r.registration;
  if (reg)
    line(
      reg.registered ? `  registered ${reg.name} version ${reg.version}` : `  not registered: ${reg.reason}`,
    );
}

/** Resolve config + flags, open the store, run one pipeline, print the result. */
export async function runPipelineCommand(kind: PipelineKind, flags: PipelineFlags): Promise<void> {
  const { InvalidParameterError } = await import('../../errors.js');
  if (flags.data && flags.synthetic) {
    throw new InvalidParameterError('give either --data DIR or --synthetic, not both.');
  }
  if (flags.seasons !== undefined && !flags.synthetic) {
    throw new InvalidParameterError('--seasons goes with --synthetic (it sizes the synthetic league).');
  }
  const { loadPipelineConfig, runPipeline } = await import('../../pipelines/index.js');
  const config = loadPipelineConfig(kind, flags.config, overridesFromFlags(flags));
  if (!flags.data && !flags.synthetic && !config.data?.dir && !config.data?.synthetic) {
    throw new InvalidParameterError(
      'no data: pass --data DIR (an ingested dataset folder) or --synthetic [--seed N --seasons N].',
    );
  }
  const { checkFailed, printJson, withStore } = await import('../output.js');
  await withStore(flags, { readOnly: false }, async (store, trackingUri) => {
    const ctx = {
      store,
      trackingUri,
      out: (l: string) => process.stderr.write(`${l}\n`),
      tty: process.stderr.isTTY ? process.stderr : null,
      ...(flags.data ? { dataDir: flags.data } : {}),
      ...(flags.synthetic ? { synthetic: { seed: config.seed, seasons: flags.seasons ?? 2 } } : {}),
    };
    const r = await runPipeline(kind, config, ctx);
    if (r.report !== null) (await import('node:fs')).writeFileSync('validation_report.md', r.report);
    if (flags.json) {
      printJson(
        {
          runId: r.runId,
          runName: r.runName,
          experimentId: r.experimentId,
          metrics: r.metrics,
          registration: r.registration,
          report: r.report,
          seconds: r.seconds,
        },
        { store: trackingUri },
      );
    } else {
      printPipelineResult(kind, r);
      if (r.report !== null)
        line(`  quality report: validation_report.md (also on the run, with its plots under report/)`);
      line(`  npx propflow server   # then open run ${r.runName} in the web UI`);
    }
    // a model the gate refused is a check that failed
    if (r.registration && !r.registration.registered) checkFailed();
  });
}

/** `propflow train walk-forward | two-stage`. */
export function define(program: Command): void {
  const train = program
    .command('train')
    .description('training pipelines, tracked through the standard tracker');
  pipelineOptions(
    train
      .command('walk-forward')
      .description(
        'one GBDT, per-date walk-forward folds over the validation season, final model on all rows, registration gate',
      ),
    'walk-forward',
  ).action((flags: PipelineFlags) => runPipelineCommand('walk-forward', flags));
  pipelineOptions(
    train
      .command('two-stage')
      .description(
        'minutes → PRA two-stage model with isotonic calibration of P(over line) on out-of-fold predictions',
      ),
    'two-stage',
  ).action((flags: PipelineFlags) => runPipelineCommand('two-stage', flags));
}
