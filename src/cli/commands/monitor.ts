import type { Command } from 'commander';

interface MonitorFlags {
  monitorDb: string;
  trackingUri?: string;
  degradation: string;
  json?: boolean;
}

interface IngestFlags extends MonitorFlags {
  data: string;
  autoRollback?: boolean;
  alertWebhook?: string;
  actor?: string;
}

type VersionStatus = import('../../serving/index.js').VersionStatus;

function common(cmd: Command): Command {
  return cmd
    .option('--monitor-db <path>', "the service's prediction records", './propflow/serving.db')
    .option(
      '--tracking-uri <uri>',
      'tracking store (default: MLFLOW_TRACKING_URI, else sqlite:///propflow/tracking.db)',
    )
    .option('--degradation <rule>', 'degradation rule', 'live_mae > val_mae * 1.10 over 300')
    .option('--json', 'print JSON');
}

const fmt = (x: number | null, d = 3) => (x === null ? '' : x.toFixed(d));

async function statusTable(versions: VersionStatus[]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const plain = !process.stdout.isTTY || Boolean(process.env['NO_COLOR']);
  const t = new Table({
    // games: in the rolling window / with results in all
    head: ['model', 'v', 'stage', 'val_mae', 'live_mae', 'limit', 'games', 'last day', 'state'],
    ...(plain && { style: { head: [], border: [] } }),
  });
  for (const v of versions) {
    t.push([
      v.model,
      v.version,
      v.stage ?? '?',
      fmt(v.valMae),
      fmt(v.liveMae),
      fmt(v.threshold),
      `${v.windowGames}/${v.totalGames}`,
      v.lastDay ?? '',
      v.degraded ? 'DEGRADED' : v.liveMae === null ? 'waiting' : 'ok',
    ]);
  }
  return t.toString();
}

function statusJson(v: VersionStatus) {
  const { days, ...rest } = v;
  return {
    model: rest.model,
    version: rest.version,
    stage: rest.stage,
    val_mae: rest.valMae,
    live_mae: rest.liveMae,
    threshold: rest.threshold,
    window_games: rest.windowGames,
    total_games: rest.totalGames,
    first_day: rest.firstDay,
    last_day: rest.lastDay,
    degraded: rest.degraded,
    n_days: days.length,
  };
}

/** `propflow monitor …`: live MAE of the served versions, alerts, automatic rollback. */
export function define(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('monitoring of served predictions: join results, live MAE per version, degradation alerts');

  common(
    monitor
      .command('ingest')
      .description(
        'join actual results from a dataset folder, log live MAE to the tracking store, apply the rule',
      )
      .requiredOption('--data <dir>', 'dataset folder with the newer games (propflow data ingest)')
      .option('--auto-rollback', 'roll the registry back when the Production version breaks the rule')
      .option('--alert-webhook <url>', 'POST each alert as JSON to this URL')
      .option('--actor <name>', 'who a rollback is recorded as'),
  ).action(ingest);

  common(
    monitor.command('status').description('live vs validation MAE per served version, and the last alerts'),
  ).action(status);
}

/** `monitor ingest`: join results, log live MAE, apply the rule. */
async function ingest(flags: IngestFlags): Promise<void> {
  const { openStore, resolveTrackingUri } = await import('../../tracking/index.js');
  const { loadServingData, parseRule, PredictionRecorder, runMonitoring } = await import(
    '../../serving/index.js'
  );
  const rule = parseRule(flags.degradation);
  const uri = resolveTrackingUri(flags.trackingUri);
  (await import('../output.js')).announceStore(uri);
  const data = loadServingData(flags.data);
  const recorder = new PredictionRecorder(flags.monitorDb, { readOnly: false });
  const store = await openStore(uri);
  try {
    const log = (level: string, message: string) => process.stderr.write(`${level} ${message}\n`);
    const report = await runMonitoring(
      {
        store,
        recorder,
        rule,
        autoRollback: flags.autoRollback ?? false,
        ...(flags.alertWebhook ? { webhook: flags.alertWebhook } : {}),
        ...(flags.actor ? { actor: flags.actor } : {}),
        log,
      },
      data.players,
    );
    if (flags.json) {
      (await import('../output.js')).printJson(
        {
          monitor_db: recorder.path,
          joined: report.joined,
          did_not_play: report.didNotPlay,
          logged_points: report.loggedPoints,
          versions: report.versions.map(statusJson),
          new_alerts: report.newAlerts,
          rollbacks: report.rollbacks.map((r) => ({
            name: r.name,
            from: r.from,
            to: r.to,
            reason: r.reason,
          })),
        },
        { store: uri },
      );
    } else {
      process.stdout.write(
        `joined ${report.joined} results (${report.didNotPlay} predicted games the player did not play); logged ${report.loggedPoints} metric points to NBA_Props_Model/Monitoring\n`,
      );
      process.stdout.write(`${await statusTable(report.versions)}\n`);
      for (const a of report.newAlerts)
        process.stdout.write(`ALERT v${a.modelVersion}: ${a.message}; ${a.action}\n`);
    }
    if (report.versions.some((v) => v.degraded)) (await import('../output.js')).checkFailed();
  } finally {
    recorder.close();
    await store.close();
  }
}

/** `monitor status`: read-only view of the records and the alerts. */
async function status(flags: MonitorFlags): Promise<void> {
  const { existsSync } = await import('node:fs');
  const { InvalidParameterError } = await import('../../errors.js');
  const { openStore, resolveTrackingUri } = await import('../../tracking/index.js');
  const { monitorStatus, parseRule, PredictionRecorder } = await import('../../serving/index.js');
  const rule = parseRule(flags.degradation);
  const uri = resolveTrackingUri(flags.trackingUri);
  (await import('../output.js')).announceStore(uri);
  if (!existsSync(flags.monitorDb)) {
    throw new InvalidParameterError(
      `No monitoring database at ${flags.monitorDb}: run \`propflow serve\` (it records there) or pass --monitor-db PATH.`,
    );
  }
  const recorder = new PredictionRecorder(flags.monitorDb, { readOnly: true });
  // read-only: a missing embedded store is an error, nothing is created
  const store = await openStore(uri, { readOnly: true }).catch((err: unknown) => {
    recorder.close();
    throw err;
  });
  try {
    const versions = await monitorStatus(store, recorder, rule);
    const counts = recorder.counts();
    const alerts = recorder.alerts(10);
    if (flags.json) {
      (await import('../output.js')).printJson(
        {
          monitor_db: recorder.path,
          rule: rule.text,
          versions: versions.map((v) => {
            const c = counts.find((k) => k.modelName === v.model && k.modelVersion === v.version);
            return { ...statusJson(v), served: c?.served ?? 0, waiting_for_results: c?.open ?? 0 };
          }),
          alerts: alerts.map((a) => ({
            id: a.id,
            time: a.time,
            model: a.modelName,
            version: a.modelVersion,
            live_mae: a.liveMae,
            val_mae: a.valMae,
            threshold: a.threshold,
            n_games: a.nGames,
            action: a.action,
            message: a.message,
          })),
        },
        { store: uri },
      );
      return;
    }
    process.stdout.write(`rule: ${rule.text}\n${await statusTable(versions)}\n`);
    for (const c of counts) {
      process.stdout.write(
        `  ${c.modelName} v${c.modelVersion}: ${c.served} served, ${c.open} waiting for results\n`,
      );
    }
    process.stdout.write(alerts.length === 0 ? 'no alerts\n' : 'last alerts:\n');
    for (const a of alerts)
      process.stdout.write(`  ${a.time} v${a.modelVersion}: ${a.message}; ${a.action}\n`);
  } finally {
    recorder.close();
    await store.close();
  }
}
