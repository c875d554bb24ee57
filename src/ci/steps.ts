/**
 * The steps of the team's training workflow (`templates/github/propflow-train.yml`), one
 * function each, so `propflow ci …` runs the same step in GitHub Actions and on a laptop:
 * train → gate (register if the gate holds, evaluate against the criteria, Staging when
 * PASSED) → summary (the comparison with the Production version) → promote (manual).
 */
import { InvalidParameterError, NotFoundError } from '../errors.js';
import {
  loadPipelineConfig,
  PIPELINE_KINDS,
  type PipelineKind,
  readConfigFile,
  runPipeline,
} from '../pipelines/index.js';
import type { Criteria, ModelRegistry } from '../registry/index.js';
import { compareRuns, comparisonMarkdown } from '../runs/index.js';
import type { TrackingStore } from '../tracking/index.js';

/** What a step hands to the next (as GitHub step outputs) and whether the job goes on. */
export interface StepOutcome {
  /** false: the step's check failed (gate rejected, evaluation FAILED): exit code 3. */
  ok: boolean;
  outputs: Record<string, string>;
  /** One line per thing done, for the log. */
  lines: string[];
}

export interface GateOptions {
  runId: string;
  name: string;
  gate: string;
  criteria: Criteria;
}

/** Register the run's model if it passes the gate, evaluate it, promote it to Staging when it PASSED. */
export async function gateStep(registry: ModelRegistry, options: GateOptions): Promise<StepOutcome> {
  const { runId, name } = options;
  const reg = await registry.register({
    runId,
    name,
    gate: options.gate,
    description: `CI: run ${runId}`,
  });
  if (!reg.registered) {
    return {
      ok: false,
      outputs: { registered: 'false' },
      lines: [`not registered: ${reg.reason}`],
    };
  }
  const version = reg.version;
  const lines = [`registered ${name} version ${version} (${reg.gate})`];
  const report = await registry.evaluate({ name, version, criteria: options.criteria });
  const failed = report.results.filter((c) => !c.pass);
  lines.push(
    `evaluated version ${version}: ${report.result}` +
      (failed.length > 0
        ? ` — ${failed.map((c) => `${c.criterion}: actual ${c.actual ?? 'missing'}, required ${c.required}`).join('; ')}`
        : ''),
  );
  const outputs = { registered: 'true', version, evaluation: report.result };
  if (!report.passed) return { ok: false, outputs, lines };
  await registry.promote({ name, version, stage: 'Staging', reason: `CI: evaluation PASSED (run ${runId})` });
  lines.push(`promoted version ${version} to Staging`);
  return { ok: true, outputs: { ...outputs, stage: 'Staging' }, lines };
}

/** Promote a version to Production (the manual `workflow_dispatch` job). */
export async function promoteStep(
  registry: ModelRegistry,
  options: { name: string; version: string; reason: string; force?: boolean },
): Promise<StepOutcome> {
  const t = await registry.promote({
    name: options.name,
    version: options.version,
    stage: 'Production',
    reason: options.reason,
    ...(options.force ? { force: true } : {}),
  });
  const lines = [
    t.changed
      ? `${t.name} version ${t.version}: ${t.from} → ${t.to}`
      : `${t.name} version ${t.version} is already in ${t.to}; nothing changed`,
  ];
  return { ok: true, outputs: { version: t.version, stage: t.to }, lines };
}

/**
 * The job summary: the trained run against the run of the current Production version
 * (the params, metrics and tags that differ, fold MAE by date with the paired tests), as Markdown
 * from the same comparison as `propflow runs compare --format markdown`.
 */
export async function summaryStep(
  store: TrackingStore,
  registry: ModelRegistry,
  options: { runId: string; name: string },
): Promise<StepOutcome & { markdown: string }> {
  const run = await store.getRun(options.runId);
  const title = run.info.runName || run.info.runId;
  const summary = await registry.show(options.name).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null;
    throw err;
  });
  const mine = summary?.versions.find((v) => v.runId === run.info.runId) ?? null;
  const production = summary?.production
    ? (summary.versions.find((v) => v.version === summary.production) ?? null)
    : null;
  const md: string[] = [`# propflow: ${title}`, ''];
  md.push(
    mine
      ? `Registered as **${options.name} version ${mine.version}** — stage ${mine.stage}, evaluation ${mine.evaluation ?? 'not evaluated'}.`
      : `Not registered as a version of ${options.name} (see the run's \`propflow.registration\` tag).`,
    '',
  );
  if (!production || production.runId === run.info.runId) {
    md.push(
      production
        ? `This run's version is the Production version.`
        : `${options.name} has no Production version yet: nothing to compare with.`,
      '',
    );
    md.push(metricsMarkdown(run.data.metrics));
  } else {
    md.push(`Compared with the Production version ${production.version} (run \`${production.runId}\`).`, '');
    const comparison = await compareRuns(store, [production.runId, run.info.runId], {
      baseline: production.runId,
      onlyDiff: true,
    });
    md.push(comparisonMarkdown(comparison));
  }
  const markdown = md.join('\n');
  return {
    ok: true,
    outputs: production ? { production_version: production.version } : {},
    lines: [`summary of run ${run.info.runId}${production ? ` vs Production v${production.version}` : ''}`],
    markdown,
  };
}

/** The run's headline metrics (validation, baseline, betting) as a Markdown table. */
function metricsMarkdown(metrics: ReadonlyArray<{ key: string; value: number }>): string {
  const shown = metrics
    .filter((m) => /^(val_|baseline_|vs_baseline_|betting_|n_bets$|n_folds$)/.test(m.key))
    .sort((a, b) => a.key.localeCompare(b.key));
  const rows = shown.map((m) => `| ${m.key} | ${Number.isInteger(m.value) ? m.value : m.value.toFixed(4)} |`);
  return ['## Metrics', '', '| metric | value |', '|---|---|', ...rows].join('\n');
}

export interface TrainOptions {
  /** Pipeline config file; its `pipeline` key names the pipeline. */
  config: string;
  dataDir?: string;
  synthetic?: boolean;
  out?: (line: string) => void;
}

/**
 * Train with a pipeline config. Registration is left to the gate step (the config's
 * `registry.register` is turned off), so the workflow registers, evaluates and stages in one
 * place whatever the config says.
 */
export async function trainStep(
  store: TrackingStore,
  trackingUri: string,
  options: TrainOptions,
): Promise<StepOutcome> {
  const raw = readConfigFile(options.config);
  const kind = raw['pipeline'];
  if (typeof kind !== 'string' || !(PIPELINE_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidParameterError(
      `${options.config}: key 'pipeline' must be one of ${PIPELINE_KINDS.join(', ')} (got ${JSON.stringify(kind)}).`,
    );
  }
  const config = loadPipelineConfig(kind as PipelineKind, options.config, { 'registry.register': false });
  const result = await runPipeline(kind as PipelineKind, config, {
    store,
    trackingUri,
    ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
    ...(options.synthetic && { synthetic: { seed: config.seed, seasons: 2 } }),
    ...(options.out && { out: options.out }),
  });
  const mae = result.metrics['val_mae'];
  return {
    ok: true,
    outputs: {
      run_id: result.runId,
      run_name: result.runName,
      ...(mae !== undefined && { val_mae: String(mae) }),
    },
    lines: [
      `trained run ${result.runName} (${result.runId})${mae !== undefined ? `: val_mae ${mae.toFixed(4)}` : ''}`,
    ],
  };
}
