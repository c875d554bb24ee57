import type { Command } from 'commander';
import { checkFailed, out, printJson, type StoreFlags, TRACKING_URI_HELP, withStore } from '../output.js';

type StepOutcome = import('../../ci/index.js').StepOutcome;

interface CiFlags extends StoreFlags {
  actor?: string;
}

function common(cmd: Command): Command {
  return cmd.option('--tracking-uri <uri>', TRACKING_URI_HELP).option('--json', 'print the result as JSON');
}

/** Print a step's outcome, hand its outputs to the next step (GITHUB_OUTPUT) and set exit code 3 when its check failed. */
async function finish(outcome: StepOutcome, flags: CiFlags, uri: string): Promise<void> {
  const { writeStepOutputs } = await import('../../ci/index.js');
  writeStepOutputs(outcome.outputs, process.env);
  if (flags.json)
    printJson({ ok: outcome.ok, outputs: outcome.outputs, lines: outcome.lines }, { store: uri });
  else for (const line of outcome.lines) out(line);
  if (!outcome.ok) checkFailed();
}

async function registryOn(store: import('../../tracking/index.js').TrackingStore, actor?: string) {
  const { ModelRegistry } = await import('../../registry/index.js');
  return new ModelRegistry(store, actor ? { actor } : {});
}

/**
 * `propflow ci …`: the steps of the team's training workflow
 * (templates/github/propflow-train.yml). In GitHub Actions each step writes its outputs to
 * $GITHUB_OUTPUT and the summary to $GITHUB_STEP_SUMMARY; on a laptop the same commands print them.
 */
export function define(program: Command): void {
  const ci = program
    .command('ci')
    .description('the CI/CD workflow steps: train, gate (register, evaluate, Staging), summary, promote');
  trainCommand(ci);
  gateCommand(ci);
  summaryCommand(ci);
  promoteCommand(ci);
}

function trainCommand(ci: Command): void {
  common(
    ci
      .command('train')
      .description('train with a pipeline config and print the run id (step output run_id)')
      .requiredOption('--config <file>', 'pipeline config (YAML or JSON), e.g. configs/walk-forward.yaml')
      .option('--data <dir>', 'ingested dataset folder (default: the config, else a synthetic league)')
      .option('--synthetic', 'train on a seeded synthetic league'),
  ).action(async (flags: CiFlags & { config: string; data?: string; synthetic?: boolean }) => {
    const { trainStep } = await import('../../ci/index.js');
    await withStore(flags, { readOnly: false }, async (store, uri) => {
      const outcome = await trainStep(store, uri, {
        config: flags.config,
        ...(flags.data !== undefined && { dataDir: flags.data }),
        ...(flags.synthetic && { synthetic: true }),
        out: (line) => process.stderr.write(`${line}\n`),
      });
      await finish(outcome, flags, uri);
    });
  });
}

function gateCommand(ci: Command): void {
  common(
    ci
      .command('gate')
      .description(
        'register the run’s model if it passes the gate, evaluate it, promote it to Staging if PASSED',
      )
      .requiredOption('--run-id <id>', 'the trained run (step output of ci train)')
      .requiredOption('--gate <expr>', 'registration gate on a run metric, e.g. "val_mae<6.0"')
      .requiredOption('--criteria <file>', 'production criteria, e.g. configs/criteria.yaml')
      .option('--name <model>', 'registered model name', 'NBAPropsModel')
      .option('--actor <name>', 'who acts, recorded in the history (default: $PROPFLOW_ACTOR, else $USER)'),
  ).action(async (flags: CiFlags & { runId: string; gate: string; criteria: string; name: string }) => {
    const { gateStep } = await import('../../ci/index.js');
    const { loadCriteria } = await import('../../registry/index.js');
    const criteria = await loadCriteria(flags.criteria);
    await withStore(flags, { readOnly: false }, async (store, uri) => {
      const registry = await registryOn(store, flags.actor);
      const outcome = await gateStep(registry, {
        runId: flags.runId,
        name: flags.name,
        gate: flags.gate,
        criteria,
      });
      await finish(outcome, flags, uri);
    });
  });
}

function summaryCommand(ci: Command): void {
  common(
    ci
      .command('summary')
      .description(
        'the run compared with the Production version, as Markdown (appended to $GITHUB_STEP_SUMMARY)',
      )
      .requiredOption('--run-id <id>', 'the trained run')
      .option('--name <model>', 'registered model name', 'NBAPropsModel'),
  ).action(async (flags: CiFlags & { runId: string; name: string }) => {
    const { appendJobSummary, summaryStep } = await import('../../ci/index.js');
    await withStore(flags, { readOnly: true }, async (store, uri) => {
      const registry = await registryOn(store);
      const outcome = await summaryStep(store, registry, { runId: flags.runId, name: flags.name });
      appendJobSummary(outcome.markdown, process.env);
      if (flags.json) {
        printJson({ ok: true, outputs: outcome.outputs, markdown: outcome.markdown }, { store: uri });
      } else out(outcome.markdown);
    });
  });
}

function promoteCommand(ci: Command): void {
  common(
    ci
      .command('promote')
      .description('promote a version to Production with a reason (the manual workflow_dispatch job)')
      .requiredOption('--version <n>', 'model version')
      .requiredOption('--reason <text>', 'why (recorded in the registry history)')
      .option('--name <model>', 'registered model name', 'NBAPropsModel')
      .option('--force', 'promote even without a PASSED evaluation (the reason is recorded)')
      .option('--actor <name>', 'who acts, recorded in the history (default: $PROPFLOW_ACTOR, else $USER)'),
  ).action(async (flags: CiFlags & { version: string; reason: string; name: string; force?: boolean }) => {
    const { promoteStep } = await import('../../ci/index.js');
    await withStore(flags, { readOnly: false }, async (store, uri) => {
      const registry = await registryOn(store, flags.actor);
      const outcome = await promoteStep(registry, {
        name: flags.name,
        version: flags.version,
        reason: flags.reason,
        ...(flags.force && { force: true }),
      });
      await finish(outcome, flags, uri);
    });
  });
}
