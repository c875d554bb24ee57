import type { Command } from 'commander';
import { InvalidParameterError } from '../../errors.js';

interface DemoFlags {
  seed: string;
  seasons: string;
  trackingUri?: string;
  json?: boolean;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidParameterError(`${flag} must be a whole number from ${min} to ${max} (got '${text}').`);
  }
  return n;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

/** `propflow demo`: the zero-setup path (`npm start`). */
export function define(program: Command): void {
  program
    .command('demo')
    .description(
      'run the end-to-end demo (what `npm start` runs): synthetic league → v3_advanced features → ' +
        'walk-forward GBDT with weekly refits → metrics, baseline, betting → one tracked run → registry',
    )
    .option('--seed <n>', 'seed of the synthetic league', '42')
    .option('--seasons <n>', 'seasons to synthesize (validation: second half of the last one)', '2')
    .option(
      '--tracking-uri <uri>',
      'where to track (default: MLFLOW_TRACKING_URI, else the embedded store ./propflow/)',
    )
    .option('--json', 'print the result as JSON instead of the summary')
    .action(async (flags: DemoFlags) => {
      const seed = wholeNumber('--seed', flags.seed, 0, 0xffffffff);
      const seasons = wholeNumber('--seasons', flags.seasons, 1, 30);
      const { runDemo } = await import('../../pipelines/index.js');
      const r = await runDemo({
        seed,
        seasons,
        ...(flags.trackingUri !== undefined && { trackingUri: flags.trackingUri }),
        out: (line) => process.stderr.write(`${line}\n`),
      });
      if (flags.json) {
        const { printJson } = await import('../output.js');
        printJson(r);
        return;
      }
      const b = r.betting;
      const reg = r.registry;
      const lines = [
        '',
        `propflow demo — ${r.seconds.total.toFixed(1)} s`,
        `  data       synthetic league seed ${seed}: ${r.dataset.rows.toLocaleString('en-US')} player-games, seasons ${r.dataset.seasons.join(', ')}, hash ${r.dataset.hash.slice(0, 12)}`,
        `  features   ${r.featureSet.name} ${r.featureSet.version} (${r.featureSet.nFeatures} features)`,
        `  validation walk-forward ${r.validation.start} → ${r.validation.end}, refit every ${r.validation.refitEveryDays} days: ${r.validation.nFolds} folds, ${r.validation.nPredictions.toLocaleString('en-US')} predictions`,
        `  accuracy   val_mae ${r.metrics.mae.toFixed(3)}  rmse ${r.metrics.rmse.toFixed(3)}  r2 ${r.metrics.r2.toFixed(3)}  bias ${r.metrics.bias >= 0 ? '+' : ''}${r.metrics.bias.toFixed(3)}  within 5: ${pct(r.metrics.within_5)}`,
        `  baseline   last-10 average mae ${r.baseline.mae.toFixed(3)} → vs_baseline_mae_delta ${r.vsBaselineMaeDelta.toFixed(3)} (${r.vsBaselineMaePct.toFixed(1)}%)`,
        `  market     on ${r.market.rowsWithLine.toLocaleString('en-US')} rows with a line: consensus line mae ${r.market.lineMae.toFixed(3)}, model mae ${r.market.modelMae.toFixed(3)}`,
        ...['location', 'rest', 'role'].map(
          (group, k) =>
            `  ${k === 0 ? 'segments  ' : '          '} ${r.segments
              .filter((g) => g.group === group)
              .map((g) => `${g.segment} ${g.mae.toFixed(2)} (n ${g.n}, baseline ${g.baselineMae.toFixed(2)})`)
              .join(', ')}`,
        ),
        `  betting    edge ≥ ${b.minEdge} pts, 1 unit at the best consensus price: ${b.n_bets} bets (${b.n_over} over, ${b.n_under} under), ${b.wins}-${b.losses}-${b.pushes}, win rate ${pct(b.win_rate)} (break-even ${pct(b.break_even_win_rate)}), ROI ${pct(b.roi)} [95% CI ${pct(b.roiCiLow)}, ${pct(b.roiCiHigh)}], max drawdown ${b.max_drawdown.toFixed(1)} units`,
        `  tracking   ${r.trackingUri}: experiment '${r.experimentName}', run ${r.runName} (${r.runId})`,
        `  registry   ${reg.name} (gate ${reg.gate}): Production ${reg.production ? `v${reg.production}` : '—'}, Staging ${reg.staging ? `v${reg.staging}` : '—'}`,
        ...reg.actions.map((a) => `             - ${a}`),
        '',
        `registry history (${reg.name}):`,
        ...reg.history.map(
          (e) =>
            `  ${String(e.seq).padStart(3)}  ${e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.action.padEnd(9)} v${e.version ?? '-'}  ${e.from ?? ''} → ${e.to ?? ''}${e.reason ? `  (${e.reason})` : ''}`,
        ),
        '',
        "The synthetic league's market is simulated, about as efficient as real closing lines (averages",
        'of past games break even against both): the betting numbers show the simulation works, not',
        'what a model earns against real books.',
        '',
        'Next:',
        '  npx propflow server                                   # MLflow-compatible API at http://127.0.0.1:5000',
        `  npx propflow registry history --name ${reg.name}     # the audit history`,
        `  npx propflow registry show --name ${reg.name}`,
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
