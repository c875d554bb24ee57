import type { Command } from 'commander';
import { InvalidParameterError } from '../../errors.js';
import { stopOnSignals } from '../args.js';

interface ServeFlags {
  model: string;
  alias?: string;
  stage?: string;
  data?: string;
  host: string;
  port: string;
  trackingUri?: string;
  pollSeconds: string;
  monitorDb: string;
  record: boolean;
  degradation: string;
  autoRollback?: boolean;
  alertWebhook?: string;
  actor?: string;
}

function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidParameterError(`${flag} must be a number ≥ 0, got '${raw}'.`);
  return n;
}

/** `propflow serve`: the registry's Production model answering predictions over HTTP. */
export function define(program: Command): void {
  program
    .command('serve')
    .description(
      'serve PRA predictions from the registry model (models:/NAME@production), hot-swapping on promotion or rollback, with monitoring',
    )
    .option('--model <name>', 'registered model name', 'NBAPropsModel')
    .option('--alias <alias>', 'follow this alias (default: production)')
    .option('--stage <stage>', 'follow a stage instead of an alias (Production, Staging)')
    .option(
      '--data <dir>',
      "dataset folder (default: dataset_dir of the served version's training_info.json)",
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option(
      '--tracking-uri <uri>',
      'tracking store (default: MLFLOW_TRACKING_URI, else sqlite:///propflow/tracking.db)',
    )
    .option('--poll-seconds <s>', 'how often the registry and the dataset folder are checked', '2')
    .option(
      '--monitor-db <path>',
      'SQLite file the served predictions are recorded in',
      './propflow/serving.db',
    )
    .option('--no-record', 'do not record served predictions')
    .option('--degradation <rule>', 'degradation rule for monitoring', 'live_mae > val_mae * 1.10 over 300')
    .option('--auto-rollback', 'roll the registry back when the Production version breaks the rule')
    .option('--alert-webhook <url>', 'POST each alert as JSON to this URL')
    .option('--actor <name>', 'who a rollback is recorded as (default: PROPFLOW_ACTOR, else USER)')
    .action(runServe);
}

/** Start the service, print the start-up lines, stop gracefully on SIGINT / SIGTERM. */
async function runServe(flags: ServeFlags): Promise<void> {
  const { resolveTrackingUri } = await import('../../tracking/index.js');
  const { parseRule, startServing } = await import('../../serving/index.js');
  const { parseStage } = await import('../../registry/index.js');
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidParameterError(`--port must be an integer between 0 and 65535, got '${flags.port}'.`);
  }
  if (flags.alias && flags.stage) throw new InvalidParameterError('Give --alias or --stage, not both.');
  const stage = flags.stage ? parseStage(flags.stage) : undefined;
  if (stage === 'None' || stage === 'Archived') {
    throw new InvalidParameterError(`--stage must be Production or Staging, got '${flags.stage}'.`);
  }
  const rule = parseRule(flags.degradation);
  const pollMs = positive('--poll-seconds', flags.pollSeconds) * 1000;
  const trackingUri = resolveTrackingUri(flags.trackingUri);
  (await import('../output.js')).announceStore(trackingUri);
  const log = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  const running = await startServing({
    trackingUri,
    modelName: flags.model,
    ...(flags.alias ? { alias: flags.alias } : {}),
    ...(stage ? { stage } : {}),
    ...(flags.data ? { dataDir: flags.data } : {}),
    host: flags.host,
    port,
    pollMs,
    monitorDb: flags.record ? flags.monitorDb : null,
    rule,
    autoRollback: flags.autoRollback ?? false,
    ...(flags.alertWebhook ? { webhook: flags.alertWebhook } : {}),
    ...(flags.actor ? { actor: flags.actor } : {}),
    log,
  });
  const s = running.service.current;
  const m = s.model;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`propflow serve listening on ${running.url}`);
  out(
    `  model:      ${running.service.modelUri} → ${m.name} v${m.version} (run ${m.runId}, ${m.featureSet.name}, val_mae ${m.valMae?.toFixed(3) ?? 'n/a'}, calibration ${m.calibration ? 'yes' : 'no'})`,
  );
  out(
    `  history:    ${s.data.dir} (${s.data.players.n.toLocaleString('en-US')} player-games to ${new Date(s.data.historyEnd * 86_400_000).toISOString().slice(0, 10)}; predictions from the day after)`,
  );
  out(
    `  monitoring: ${running.recorder ? running.recorder.path : 'off'}; rule '${rule.text}', auto-rollback ${flags.autoRollback ? 'on' : 'off'}`,
  );
  out(`  watching:   the registry and the dataset every ${pollMs / 1000} s`);
  out(`  try:        ${running.curl}`);
  out(`  also:       curl -s ${running.url}/v1/model · ${running.url}/health · ${running.url}/metrics`);
  stopOnSignals(running);
}
