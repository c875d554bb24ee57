import type { Command } from 'commander';

/** Exit code of `registry register` when the gate rejects the run (nothing registered). */
export const GATE_REJECTED_EXIT_CODE = 3;

interface CommonFlags {
  trackingUri?: string;
  actor?: string;
  json?: boolean;
}

type Registry = import('../../registry/index.js').ModelRegistry;

function common(cmd: Command): Command {
  return cmd
    .option(
      '--tracking-uri <uri>',
      'tracking store (default: MLFLOW_TRACKING_URI, else sqlite:///propflow/tracking.db)',
    )
    .option('--actor <name>', 'who is acting, recorded in the history (default: PROPFLOW_ACTOR, else USER)')
    .option('--json', 'print the result as JSON');
}

function withName(cmd: Command): Command {
  return cmd.option('--name <model>', 'registered model name', 'NBAPropsModel');
}

/** Open the store the flags name, run `fn` with a registry on it, always close the store. */
async function withRegistry<T>(flags: CommonFlags, fn: (registry: Registry) => Promise<T>): Promise<T> {
  const { openStore, resolveTrackingUri } = await import('../../tracking/index.js');
  const { ModelRegistry } = await import('../../registry/index.js');
  const store = await openStore(resolveTrackingUri(flags.trackingUri));
  try {
    return await fn(new ModelRegistry(store, flags.actor ? { actor: flags.actor } : {}));
  } finally {
    await store.close();
  }
}

async function table(head: string[], rows: Array<Array<string | number | null>>): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const plain = !process.stdout.isTTY || Boolean(process.env['NO_COLOR']);
  const t = new Table({
    head,
    ...(plain && { style: { head: [], border: [] } }),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    wordWrap: true,
  });
  for (const row of rows) t.push(row.map((c) => (c === null ? '' : String(c))));
  return t.toString();
}

let pipeGuard = false;

/** Print a line; a reader that stops early (`| head -1`) is not an error. */
function out(text: string): void {
  if (!pipeGuard) {
    pipeGuard = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  process.stdout.write(`${text}\n`);
}

async function printJson(value: unknown): Promise<void> {
  (await import('../output.js')).printJson(value);
}

/** `propflow registry …`: the model registry workflow. */
export function define(program: Command): void {
  // `--version <n>` belongs to the subcommands (as in the MLflow CLI); without positional
  // options the root program would take it as its own `--version` and print 0.1.0.
  program.enablePositionalOptions();
  const registry = program
    .command('registry')
    .description('model registry: gated registration, evaluation, promotion, rollback, audit history');

  common(
    registry.command('list').description('list registered models with their Production and Staging versions'),
  ).action(async (flags: CommonFlags) => {
    const models = await withRegistry(flags, (r) => r.list());
    if (flags.json) return printJson(models);
    if (models.length === 0) {
      out(
        "No registered models yet. Register a run's model with 'propflow registry register --run-id <id>'.",
      );
      return;
    }
    out(
      await table(
        ['model', 'versions', 'production', 'staging', 'latest', 'updated'],
        models.map((m) => [m.name, m.versions, m.production, m.staging, m.latest, m.updated]),
      ),
    );
  });

  common(
    withName(registry.command('show').description('show a model: versions, stages, aliases, evaluations')),
  ).action(async (flags: CommonFlags & { name: string }) => {
    const summary = await withRegistry(flags, (r) => r.show(flags.name));
    if (flags.json) return printJson(summary);
    out(
      `${summary.name}: Production ${summary.production ? `v${summary.production}` : '—'}, Staging ${summary.staging ? `v${summary.staging}` : '—'}`,
    );
    if (summary.production) {
      out(
        `models:/${summary.name}/Production and models:/${summary.name}@production → v${summary.production}`,
      );
    }
    out(
      await table(
        ['version', 'stage', 'aliases', 'evaluation', 'run', 'created'],
        summary.versions.map((v) => [
          v.version,
          v.stage,
          v.aliases.join(', '),
          v.evaluation ?? 'not evaluated',
          v.runId,
          v.created,
        ]),
      ),
    );
  });

  common(
    withName(
      registry
        .command('register')
        .description("register a run's model (runs:/<run-id>/model) as a new version, if it passes the gate")
        .requiredOption('--run-id <id>', 'the run whose model to register')
        .option('--gate <expr>', 'register only if this run metric threshold holds, e.g. "val_mae<6.0"')
        .option('--artifact-path <path>', 'artifact folder of the model in the run', 'model')
        .option('--description <text>', 'description of the new version'),
    ),
  ).action(
    async (
      flags: CommonFlags & {
        name: string;
        runId: string;
        gate?: string;
        artifactPath: string;
        description?: string;
      },
    ) => {
      const result = await withRegistry(flags, (r) =>
        r.register({
          runId: flags.runId,
          name: flags.name,
          artifactPath: flags.artifactPath,
          ...(flags.gate !== undefined && { gate: flags.gate }),
          ...(flags.description !== undefined && { description: flags.description }),
        }),
      );
      if (!result.registered) process.exitCode = GATE_REJECTED_EXIT_CODE;
      if (flags.json) return printJson(result);
      if (result.registered) {
        out(
          `Registered ${result.source} as ${result.name} version ${result.version}${result.gate ? ` (${result.gate})` : ''}.`,
        );
        out(
          `Next: propflow registry evaluate --name ${result.name} --version ${result.version} --criteria <criteria.yaml>`,
        );
      } else {
        out(`Not registered: ${result.reason}. The run is tagged 'propflow.registration' with the reason.`);
      }
    },
  );

  common(
    withName(
      registry
        .command('evaluate')
        .description('evaluate a version against production criteria (JSON or YAML file)')
        .requiredOption('--version <n>', 'model version')
        .requiredOption('--criteria <file>', 'criteria file (see README: Model registry)'),
    ),
  ).action(async (flags: CommonFlags & { name: string; version: string; criteria: string }) => {
    const { loadCriteria } = await import('../../registry/index.js');
    const criteria = await loadCriteria(flags.criteria);
    const report = await withRegistry(flags, (r) =>
      r.evaluate({ name: flags.name, version: flags.version, criteria }),
    );
    if (flags.json) return printJson(report);
    out(
      await table(
        ['criterion', 'required', 'actual', 'result'],
        report.results.map((c) => [
          c.criterion,
          c.required,
          typeof c.actual === 'number' ? Number(c.actual.toPrecision(6)) : c.actual,
          `${c.pass ? 'PASS' : 'FAIL'}${c.note ? ` (${c.note})` : ''}`,
        ]),
      ),
    );
    out(`${report.model} version ${report.version}: ${report.result}. Report: ${report.reportUri}`);
    if (report.passed)
      out(
        `Next: propflow registry promote --name ${report.model} --version ${report.version} --stage Production`,
      );
  });

  common(
    withName(
      registry
        .command('promote')
        .description(
          'move a version to Staging, Production or Archived (Production archives the previous one)',
        )
        .requiredOption('--version <n>', 'model version')
        .requiredOption('--stage <stage>', 'None, Staging, Production or Archived')
        .option('--force', 'promote to Production without a PASSED evaluation (needs --reason)')
        .option('--reason <text>', 'why; kept in the history'),
    ),
  ).action(
    async (
      flags: CommonFlags & { name: string; version: string; stage: string; force?: boolean; reason?: string },
    ) => {
      const result = await withRegistry(flags, (r) =>
        r.promote({
          name: flags.name,
          version: flags.version,
          stage: flags.stage,
          ...(flags.force !== undefined && { force: flags.force }),
          ...(flags.reason !== undefined && { reason: flags.reason }),
        }),
      );
      if (flags.json) return printJson(result);
      if (!result.changed)
        out(`${result.name} version ${result.version} is already in ${result.to}; nothing changed.`);
      else
        out(
          `${result.name} version ${result.version}: ${result.from} → ${result.to} (event #${result.event?.seq}).`,
        );
      for (const e of result.effects) out(`  #${e.seq} ${describeEffect(e)}`);
    },
  );

  common(
    withName(
      registry
        .command('rollback')
        .description('archive the Production version and bring back the previous one from the history')
        .requiredOption('--reason <text>', 'why; kept in the history and on the archived version')
        .option('--to-version <n>', 'the version to bring back instead of the previous Production version'),
    ),
  ).action(async (flags: CommonFlags & { name: string; reason: string; toVersion?: string }) => {
    const result = await withRegistry(flags, (r) =>
      r.rollback({
        name: flags.name,
        reason: flags.reason,
        ...(flags.toVersion !== undefined && { toVersion: flags.toVersion }),
      }),
    );
    if (flags.json) return printJson(result);
    out(
      `Rolled back ${result.name}: version ${result.to} is Production again, version ${result.from} archived (event #${result.event.seq}).`,
    );
    for (const e of result.effects) out(`  #${e.seq} ${describeEffect(e)}`);
  });

  common(
    withName(
      registry
        .command('history')
        .description(
          'the audit history of a model: registrations, evaluations, transitions, aliases, rollbacks',
        ),
    ),
  ).action(async (flags: CommonFlags & { name: string }) => {
    const events = await withRegistry(flags, (r) => r.history(flags.name));
    if (flags.json) return printJson(events);
    if (events.length === 0) {
      out(`No history for ${flags.name} yet.`);
      return;
    }
    out(
      await table(
        ['seq', 'time', 'actor', 'action', 'version', 'from', 'to', 'reason'],
        events.map((e) => [
          e.seq,
          e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          e.actor,
          e.action,
          e.version,
          e.from,
          e.to,
          e.reason,
        ]),
      ),
    );
  });

  common(
    withName(
      registry
        .command('reconcile')
        .description(
          'repair stages and aliases to match the history (after a crash or changes by another tool)',
        ),
    ),
  ).action(async (flags: CommonFlags & { name: string }) => {
    const effects = await withRegistry(flags, (r) => r.reconcile(flags.name));
    if (flags.json) return printJson(effects);
    if (effects.length === 0) out(`${flags.name} already matches its history; nothing changed.`);
    for (const e of effects) out(`#${e.seq} ${describeEffect(e)}`);
  });
}

function describeEffect(e: import('../../registry/index.js').HistoryEvent): string {
  if (e.action === 'set_alias') return `alias @${e.to} → v${e.version}${e.from ? ` (was v${e.from})` : ''}`;
  if (e.action === 'delete_alias') return `alias @${e.to} removed (was v${e.from})`;
  if (e.action === 'outcome')
    return `decision #${e.decision ?? '?'} ${e.to === 'superseded' ? 'superseded' : 'carried out'}${e.reason ? ` — ${e.reason}` : ''}`;
  return `v${e.version}: ${e.from} → ${e.to}${e.reason ? ` — ${e.reason}` : ''}`;
}
