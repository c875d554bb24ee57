/**
 * The steps of the team's training workflow (`templates/github/propflow-train.yml`), one
 * function each, so `propflow ci …` runs the same step in GitHub Actions and on a laptop:
 * train → gate (register if the gate holds, evaluate against the criteria, Staging when
 * PASSED) → summary (the comparison with the Production version) → promote (manual).
 */
import type { Criteria, ModelRegistry } from '../registry/index.js';

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
