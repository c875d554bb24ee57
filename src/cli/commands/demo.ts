import type { Command } from 'commander';
import { intArg } from '../args.js';

interface DemoFlags {
  seed: number;
  seasons: number;
  data?: string;
  trackingUri?: string;
  json?: boolean;
}

/** `propflow demo`: the zero-setup path (`npm start`). */
export function define(program: Command): void {
  program
    .command('demo')
    .description(
      'the end-to-end demo (what `npm start` runs): a synthetic league written to ./propflow/datasets/demo/ ' +
        '(or --data DIR) → walk-forward, two-stage and validate pipelines → tracked runs → registry',
    )
    .option(
      '--seed <n>',
      'seed of the synthetic league and the pipelines',
      intArg('--seed', 0, 0xffffffff),
      42,
    )
    .option(
      '--seasons <n>',
      'seasons to synthesize (validation: second half of the last one)',
      intArg('--seasons', 1, 30),
      2,
    )
    .option('--data <dir>', 'run the demo on your own ingested dataset folder instead of a synthetic league')
    .option(
      '--tracking-uri <uri>',
      'where to track (default: MLFLOW_TRACKING_URI, else the embedded store ./propflow/)',
    )
    .option('--json', 'print the result as JSON instead of the summary')
    .action(async (flags: DemoFlags) => {
      const { resolveTrackingUri } = await import('../../tracking/index.js');
      const { announceStore } = await import('../output.js');
      const trackingUri = resolveTrackingUri(flags.trackingUri, process.env);
      announceStore(trackingUri);
      const { runDemo } = await import('../../pipelines/index.js');
      const r = await runDemo({
        seed: flags.seed,
        seasons: flags.seasons,
        trackingUri,
        ...(flags.data ? { dataDir: flags.data } : {}),
        out: (l) => process.stderr.write(`${l}\n`),
        tty: process.stderr.isTTY ? process.stderr : null,
      });
      if (flags.json) {
        const { printJson } = await import('../output.js');
        printJson(r, { store: trackingUri });
        return;
      }
      const { printPipelineResult } = await import('./train.js');
      const out = (s = '') => process.stdout.write(`${s}\n`);
      out('');
      out(`propflow demo — ${r.seconds.toFixed(1)} s, dataset ${r.datasetDir}`);
      for (const kind of ['walk-forward', 'two-stage', 'validate'] as const)
        printPipelineResult(kind, r.runs[kind]);
      const reg = r.registry;
      out(
        `registry ${reg.name}: Production ${reg.production ? `v${reg.production}` : '—'}, Staging ${reg.staging ? `v${reg.staging}` : '—'}`,
      );
      for (const a of reg.actions) out(`  - ${a}`);
      const ids = (['walk-forward', 'two-stage', 'validate'] as const).map((k) => r.runs[k].runId);
      const uriFlag = flags.trackingUri ? ` --tracking-uri ${flags.trackingUri}` : '';
      out('');
      out('Where to look:');
      out(
        '  npx propflow server                         # MLflow-compatible API and web UI at http://127.0.0.1:5000',
      );
      out(`  npx propflow runs show ${ids[0]}${uriFlag}   # params, metrics, fold summary, artifacts`);
      out(`  npx propflow runs compare ${ids[0]} ${ids[1]}${uriFlag}`);
      out(`  npx propflow registry history --name ${reg.name}${uriFlag}`);
      out('  npx propflow serve                          # serves the Production model for upcoming games');
      out('');
      out(
        "The synthetic league's market is simulated, about as efficient as real closing lines: the betting",
      );
      out('numbers show the simulation works, not what a model earns against real books.');
    });
}
