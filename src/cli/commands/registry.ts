import type { Command } from 'commander';
import {
  checkFailed,
  EXIT,
  out,
  printJson,
  renderTable,
  type StoreFlags,
  TRACKING_URI_HELP,
  withStore,
} from '../output.js';

/** Exit code of `registry register` when the gate rejects the run (nothing registered). */
export const GATE_REJECTED_EXIT_CODE = EXIT.CHECK_FAILED;

interface CommonFlags extends StoreFlags {
  actor?: string;
}

type Registry = import('../../registry/index.js').ModelRegistry;
type HistoryEvent = import('../../registry/index.js').HistoryEvent;

/** The flags of a command that only reads: the store and --json. */
function reading(cmd: Command): Command {
  return cmd.option('--tracking-uri <uri>', TRACKING_URI_HELP).option('--json', 'print the result as JSON');
}

/** The flags of a command that changes the registry: also who is acting. */
function acting(cmd: Command): Command {
  return reading(cmd).option(
    '--actor <name>',
    'who is acting, recorded in the history (default: $PROPFLOW_ACTOR, else $USER)',
  );
}

function withName(cmd: Command): Command {
  return cmd.option('--name <model>', 'registered model name', 'NBAPropsModel');
}

/** Open the store the flags name (read-only for commands that only read), run `fn` with a registry on it. */
async function withRegistry<T>(
  flags: CommonFlags,
  readOnly: boolean,
  fn: (registry: Registry, uri: string) => Promise<T>,
): Promise<T> {
  const { ModelRegistry } = await import('../../registry/index.js');
  return withStore(flags, { readOnly }, (store, uri) =>
    fn(new ModelRegistry(store, flags.actor ? { actor: flags.actor } : {}), uri),
  );
}

const shortTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** `propflow registry …`: the model registry workflow. */
export function define(program: Command): void {
  // `--version <n>` belongs to the subcommands (as in the MLflow CLI); without positional
  // options the root program would take it as its own `--version` and print 0.1.0.
  program.enablePositionalOptions();
  const registry = program
    .command('registry')
    .description('model registry: gated registration, evaluation, promotion, rollback, audit history');
  listCommand(registry);
  showCommand(registry);
  registerCommand(registry);
  evaluateCommand(registry);
  promoteCommand(registry);
  rollbackCommand(registry);
  historyCommand(registry);
  reconcileCommand(registry);
}

function listCommand(registry: Command): void {
  reading(
    registry.command('list').description('list registered models with their Production and Staging versions'),
  ).action(async (flags: CommonFlags) => {
    await withRegistry(flags, true, async (r, store) => {
      const models = await r.list();
      if (flags.json) return printJson({ models }, { store });
      if (models.length === 0) {
        out(
          "No registered models yet. Register a run's model with: propflow registry register --run-id RUN_ID",
        );
        return;
      }
      out(
        renderTable(
          ['model', 'versions', 'production', 'staging', 'latest', 'updated'],
          models.map((m) => [m.name, m.versions, m.production, m.staging, m.latest, shortTime(m.updated)]),
        ),
      );
    });
  });
}

function showCommand(registry: Command): void {
  reading(
    withName(registry.command('show').description('show a model: versions, stages, aliases, evaluations')),
  ).action(async (flags: CommonFlags & { name: string }) => {
    await withRegistry(flags, true, async (r, store) => {
      const summary = await r.show(flags.name);
      if (flags.json) return printJson(summary, { store });
      out(
        `${summary.name}: Production ${summary.production ? `v${summary.production}` : '—'}, Staging ${summary.staging ? `v${summary.staging}` : '—'}`,
      );
      if (summary.production) {
        out(
          `models:/${summary.name}/Production and models:/${summary.name}@production → v${summary.production}`,
        );
      }
      out(
        renderTable(
          ['version', 'stage', 'aliases', 'evaluation', 'run', 'created'],
          summary.versions.map((v) => [
            Number(v.version),
            v.stage,
            v.aliases.map((a) => `@${a}`).join(', '),
            v.evaluation ?? 'not evaluated',
            v.runId,
            shortTime(v.created),
          ]),
        ),
      );
    });
  });
}

function registerCommand(registry: Command): void {
  acting(
    withName(
      registry
        .command('register')
        .description("register a run's model (runs:/RUN_ID/model) as a new version, if it passes the gate")
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
      await withRegistry(flags, false, async (r, store) => {
        const result = await r.register({
          runId: flags.runId,
          name: flags.name,
          artifactPath: flags.artifactPath,
          ...(flags.gate !== undefined && { gate: flags.gate }),
          ...(flags.description !== undefined && { description: flags.description }),
        });
        if (!result.registered) checkFailed();
        if (flags.json) return printJson(result, { store });
        if (result.registered) {
          out(
            `Registered ${result.source} as ${result.name} version ${result.version}${result.gate ? ` (${result.gate})` : ''}.`,
          );
          out(
            `Next: propflow registry evaluate --name ${result.name} --version ${result.version} --criteria configs/criteria.yaml`,
          );
        } else {
          out(`Not registered: ${result.reason}. The run is tagged 'propflow.registration' with the reason.`);
        }
      });
    },
  );
}

function evaluateCommand(registry: Command): void {
  acting(
    withName(
      registry
        .command('evaluate')
        .description(
          'evaluate a version against production criteria (JSON or YAML file); exits 3 when it FAILS',
        )
        .requiredOption('--version <n>', 'model version')
        .requiredOption(
          '--criteria <file>',
          'criteria file, e.g. configs/criteria.yaml (see README: Model registry)',
        ),
    ),
  ).action(async (flags: CommonFlags & { name: string; version: string; criteria: string }) => {
    const { loadCriteria } = await import('../../registry/index.js');
    const criteria = await loadCriteriaFile(loadCriteria, flags.criteria);
    await withRegistry(flags, false, async (r, store) => {
      const report = await r.evaluate({ name: flags.name, version: flags.version, criteria });
      if (!report.passed) checkFailed();
      if (flags.json) return printJson(report, { store });
      out(
        renderTable(
          ['criterion', 'required', 'actual', 'result'],
          report.results.map((c) => [
            c.criterion,
            c.required,
            c.actual,
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
  });
}

function promoteCommand(registry: Command): void {
  acting(
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
      await withRegistry(flags, false, async (r, store) => {
        const result = await r.promote({
          name: flags.name,
          version: flags.version,
          stage: flags.stage,
          ...(flags.force !== undefined && { force: flags.force }),
          ...(flags.reason !== undefined && { reason: flags.reason }),
        });
        if (flags.json) return printJson(result, { store });
        if (!result.changed)
          out(`${result.name} version ${result.version} is already in ${result.to}; nothing changed.`);
        else
          out(
            `${result.name} version ${result.version}: ${result.from} → ${result.to} (event #${result.event?.seq}).`,
          );
        for (const e of result.effects) out(`  #${e.seq} ${describeEvent(e, true)}`);
      });
    },
  );
}

function rollbackCommand(registry: Command): void {
  acting(
    withName(
      registry
        .command('rollback')
        .description('archive the Production version and bring back the previous one from the history')
        .requiredOption('--reason <text>', 'why; kept in the history and on the archived version')
        .option('--to-version <n>', 'the version to bring back instead of the previous Production version'),
    ),
  ).action(async (flags: CommonFlags & { name: string; reason: string; toVersion?: string }) => {
    await withRegistry(flags, false, async (r, store) => {
      const result = await r.rollback({
        name: flags.name,
        reason: flags.reason,
        ...(flags.toVersion !== undefined && { toVersion: flags.toVersion }),
      });
      if (flags.json) return printJson(result, { store });
      out(
        `Rolled back ${result.name}: version ${result.to} is Production again, version ${result.from} archived (event #${result.event.seq}).`,
      );
      for (const e of result.effects) out(`  #${e.seq} ${describeEvent(e, true)}`);
    });
  });
}

function historyCommand(registry: Command): void {
  reading(
    withName(
      registry
        .command('history')
        .description(
          'the audit history of a model: registrations, evaluations, transitions, aliases, rollbacks',
        ),
    ),
  ).action(async (flags: CommonFlags & { name: string }) => {
    await withRegistry(flags, true, async (r, store) => {
      const events = await r.history(flags.name);
      if (flags.json) return printJson({ name: flags.name, events }, { store });
      if (events.length === 0) {
        out(`No history for ${flags.name} yet.`);
        return;
      }
      out(
        renderTable(
          ['seq', 'time', 'actor', 'action', 'event', 'reason'],
          events.map((e) => [e.seq, shortTime(e.time), e.actor, e.action, describeEvent(e), e.reason]),
        ),
      );
    });
  });
}

function reconcileCommand(registry: Command): void {
  acting(
    withName(
      registry
        .command('reconcile')
        .description(
          'repair stages and aliases to match the history (after a crash or changes by another tool)',
        ),
    ),
  ).action(async (flags: CommonFlags & { name: string }) => {
    await withRegistry(flags, false, async (r, store) => {
      // show() first: an unknown model gets the same message as every other command.
      await r.show(flags.name);
      const effects = await r.reconcile(flags.name);
      if (flags.json) return printJson({ name: flags.name, effects }, { store });
      if (effects.length === 0) out(`${flags.name} already matches its history; nothing changed.`);
      for (const e of effects) out(`#${e.seq} ${describeEvent(e)}`);
    });
  });
}

/** `loadCriteria` with the file named when it is a folder or missing. */
async function loadCriteriaFile<T>(load: (file: string) => Promise<T>, file: string): Promise<T> {
  const { statSync } = await import('node:fs');
  const { InvalidParameterError } = await import('../../errors.js');
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined)
    throw new InvalidParameterError(
      `--criteria ${file}: no such file. Give a criteria YAML or JSON file, e.g. --criteria configs/criteria.yaml.`,
    );
  if (stat.isDirectory())
    throw new InvalidParameterError(
      `--criteria ${file} is a folder, not a file. Give a criteria YAML or JSON file, e.g. --criteria configs/criteria.yaml.`,
    );
  return load(file);
}

/** One history event as a line, the way promote and rollback print their effects. */
export function describeEvent(e: HistoryEvent, withReason = false): string {
  const why = withReason && e.reason && !e.action.endsWith('_alias') ? ` — ${e.reason}` : '';
  return describe(e) + why;
}

function describe(e: HistoryEvent): string {
  const v = e.version ? `v${e.version}` : '';
  switch (e.action) {
    case 'set_alias':
      return `alias @${e.to} → ${v}${e.from ? ` (was v${e.from})` : ''}`;
    case 'delete_alias':
      return `alias @${e.to} removed (was v${e.from})`;
    case 'register':
      return `${v} registered`;
    case 'evaluate':
      return `${v} evaluated: ${e.to}`;
    case 'rollback':
      return `${v}: ${e.from} → ${e.to} (rollback)`;
    default:
      return `${v}: ${e.from} → ${e.to}`;
  }
}
