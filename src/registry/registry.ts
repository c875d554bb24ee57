/**
 * The model registry workflow over any `TrackingStore`: gated registration, evaluation
 * against production criteria, promotion with exactly one Production version, rollback from
 * the history, and the audit history itself.
 *
 * Concurrency without locks. The store may be a real MLflow server that offers no lock, so:
 *  1. every decision (promote, rollback) is claimed in the history at exactly "last seq + 1"
 *     (an atomic create-if-absent, see `history.ts`); on conflict it is recomputed from the
 *     newer history, so decisions are totally ordered;
 *  2. the decision is then carried out (`transition … archive_existing_versions`);
 *  3. `reconcile` reads the versions, then the history, and repairs the registry until it
 *     matches the latest decision: one Production version (the latest decision's), at most
 *     one Staging version, aliases `production`/`staging` on them. Every repair is an event.
 * Whatever interleaving two writers take, both converge on the state the last decision in
 * the history names, and the history shows every step either of them took.
 */
import { userInfo } from 'node:os';
import { InvalidParameterError, NotFoundError, PropflowError } from '../errors.js';
import {
  MODEL_STAGES,
  type ModelStage,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type TrackingStore,
} from '../tracking/index.js';
import {
  type Criteria,
  type Criterion,
  type CriterionResult,
  checkBeat,
  checkMax,
  checkMin,
  tagSafe,
} from './criteria.js';
import { type Gate, parseGate, passesGate } from './gate.js';
import {
  type DecisionOutcome,
  type HistoryEvent,
  LEDGER_POINTER_TAG,
  Ledger,
  MAX_REASON_LENGTH,
  type NewEvent,
  type ReplayedState,
  replay,
  SeqConflictError,
} from './history.js';
import { backoff, isNotFound } from './util.js';

export const DEFAULT_MODEL_NAME = 'NBAPropsModel';
export const DEFAULT_MODEL_ARTIFACT_PATH = 'model';
/** Version tag with the overall evaluation result (`PASSED`/`FAILED`). */
export const EVALUATION_TAG = 'production_evaluation';
/** Run tag saying whether (and why not) the run's model was registered. */
export const REGISTRATION_RUN_TAG = 'propflow.registration';
export const FORCED_PROMOTION_TAG = 'propflow.forced_promotion';
export const ROLLBACK_REASON_TAG = 'propflow.rollback_reason';
export const PRODUCTION_ALIAS = 'production';
export const STAGING_ALIAS = 'staging';
const MAX_ROUNDS = 10;
/** Lost claims before a promote or rollback gives up. */
const MAX_CLAIM_ATTEMPTS = 50;

/** Who acts: explicit option > `PROPFLOW_ACTOR` > `USER` > `USERNAME` > the OS account > `unknown`. */
export function resolveActor(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const v of [explicit, env['PROPFLOW_ACTOR'], env['USER'], env['USERNAME']]) {
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown'; // no passwd entry (some containers)
  }
}

/** `production` → `Production`; anything not a stage is an error that lists the stages. */
export function parseStage(text: string): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === text.trim().toLowerCase());
  if (!found) throw new InvalidParameterError(`Stage '${text}' is not one of ${MODEL_STAGES.join(', ')}.`);
  return found;
}

export interface RegistryOptions {
  /** Recorded in every event; default from `resolveActor`. */
  actor?: string;
}

export interface RegisterOptions {
  runId: string;
  /** Registered model name (created if missing); default `NBAPropsModel`. */
  name?: string;
  /** Threshold on a run metric, e.g. `val_mae<6.0`; without it the model is registered unconditionally. */
  gate?: string | Gate;
  /** Artifact folder holding the model; default `model` (so the source is `runs:/<id>/model`). */
  artifactPath?: string;
  description?: string;
}

export type RegisterResult =
  | {
      registered: true;
      name: string;
      version: string;
      runId: string;
      source: string;
      gate: string | null;
      event: HistoryEvent;
    }
  | { registered: false; name: string; runId: string; gate: string; reason: string };

export interface EvaluationReport {
  model: string;
  version: string;
  runId: string;
  evaluatedAt: string;
  actor: string;
  criteriaSource: string;
  result: 'PASSED' | 'FAILED';
  passed: boolean;
  /** The Production version compared against, if any. */
  production: { version: string; runId: string } | null;
  results: CriterionResult[];
  /** Where the JSON report was written (`runs:/<run>/evaluation/…`). */
  reportUri: string;
}

export interface PromoteOptions {
  name?: string;
  version: string | number;
  stage: ModelStage | string;
  /** Promote to Production even without a PASSED evaluation; needs `reason`. */
  force?: boolean;
  reason?: string;
}

export interface TransitionResult {
  name: string;
  version: string;
  from: ModelStage;
  to: ModelStage;
  changed: boolean;
  /** The decision event (absent when nothing changed). */
  event: HistoryEvent | null;
  /** Events recorded while carrying the decision out (archiving, alias moves, repairs). */
  effects: HistoryEvent[];
}

export interface RollbackOptions {
  name?: string;
  reason: string;
  /** Roll back to this version instead of the previous Production version from the history. */
  toVersion?: string | number;
}

export interface RollbackResult {
  name: string;
  /** The version that was Production and is now Archived. */
  from: string;
  /** The version that is Production again. */
  to: string;
  reason: string;
  event: HistoryEvent;
  effects: HistoryEvent[];
}

export interface ModelSummary {
  name: string;
  description: string;
  production: string | null;
  staging: string | null;
  aliases: Record<string, string>;
  versions: Array<{
    version: string;
    stage: ModelStage;
    aliases: string[];
    runId: string;
    source: string;
    evaluation: string | null;
    created: string;
  }>;
}

export interface ModelListing {
  name: string;
  versions: number;
  production: string | null;
  staging: string | null;
  latest: string | null;
  updated: string;
}

type Step =
  | {
      kind: 'transition';
      version: string;
      from: ModelStage;
      to: ModelStage;
      reason: string;
      decision?: number;
    }
  | {
      kind: 'alias';
      alias: string;
      version: string | null;
      previous: string | null;
      reason: string;
      decision?: number;
    };

/** What `observe` saw: the history (up to `sinceSeq`), then the versions and the model. */
interface Observed {
  events: HistoryEvent[];
  sinceSeq: number;
  versions: ModelVersion[];
  model: RegisteredModel;
}

const MODEL_DESCRIPTION =
  'Registered by the propflow registry; stages, aliases and history are managed by `propflow registry`.';

function fmt(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function byVersionNumber(a: ModelVersion, b: ModelVersion): number {
  return Number(a.version) - Number(b.version);
}

/** The highest-numbered version in `stage`, if any. */
function highestIn(versions: readonly ModelVersion[], stage: ModelStage): ModelVersion | null {
  return (
    versions
      .filter((v) => v.currentStage === stage)
      .sort(byVersionNumber)
      .at(-1) ?? null
  );
}

function describeDecision(e: HistoryEvent): string {
  const why = e.reason ? `: ${e.reason}` : '';
  return e.action === 'rollback'
    ? `rolled back (#${e.seq})${why}`
    : `superseded by v${e.version} (#${e.seq} ${e.action}${why})`;
}

/** The registry workflow on one store. Cheap to create; holds no state besides the store and the actor. */
export class ModelRegistry {
  readonly actor: string;

  constructor(
    readonly store: TrackingStore,
    options: RegistryOptions = {},
  ) {
    this.actor = resolveActor(options.actor);
  }

  // ── registration ─────────────────────────────────────────────────────────────────────

  /**
   * Register `runs:/<runId>/model` as a new version of `name` if the run passes the gate.
   * When it does not, the run gets a `propflow.registration` tag saying why and nothing is
   * registered (the result has `registered: false`).
   */
  async register(options: RegisterOptions): Promise<RegisterResult> {
    const name = options.name ?? DEFAULT_MODEL_NAME;
    const artifactPath = trimSlashes(options.artifactPath ?? DEFAULT_MODEL_ARTIFACT_PATH);
    const gate = typeof options.gate === 'string' ? parseGate(options.gate) : options.gate;
    const run = await this.getRun(options.runId);
    const runId = run.info.runId;
    let gateNote: string | null = null;
    if (gate) {
      const metric = run.data.metrics.find((m) => m.key === gate.metric);
      if (!metric) {
        throw new InvalidParameterError(
          `Run ${runId} has no metric '${gate.metric}' to gate on (its metrics: ${metricList(run)}). Log it, or gate on one of those.`,
        );
      }
      const ok = passesGate(gate, metric.value);
      gateNote = `gate ${gate.expression}: ${gate.metric}=${fmt(metric.value)} ${ok ? 'passed' : 'failed'}`;
      if (!ok) {
        const reason = `${gate.metric}=${fmt(metric.value)} does not pass the gate ${gate.expression}`;
        await this.store.setTag(runId, {
          key: REGISTRATION_RUN_TAG,
          value: `rejected for ${name}: ${reason} (${new Date().toISOString()}, ${this.actor})`,
        });
        return { registered: false, name, runId, gate: gate.expression, reason };
      }
    }
    if (!(await artifactExists(this.store, runId, artifactPath))) {
      throw new InvalidParameterError(
        `Run ${runId} has no '${artifactPath}/' artifact to register. Log the model there first (an MLmodel file under '${artifactPath}/'), or pass the folder that holds it (--artifact-path).`,
      );
    }
    const ledger = await Ledger.forWriting(this.store, name, this.actor, { description: MODEL_DESCRIPTION });
    const source = `runs:/${runId}/${artifactPath}`;
    const mv = await this.store.createModelVersion(name, {
      source,
      runId,
      ...(gateNote !== null && { tags: [{ key: 'propflow.gate', value: gateNote }] }),
      ...(options.description !== undefined && { description: options.description }),
    });
    const event = await ledger.append({
      action: 'register',
      version: mv.version,
      from: null,
      to: 'None',
      reason: gateNote ?? `registered ${source} (no gate)`,
    });
    await this.store.setTag(runId, {
      key: REGISTRATION_RUN_TAG,
      value: `registered as ${name} version ${mv.version}${gateNote ? ` (${gateNote})` : ''}`,
    });
    return { registered: true, name, version: mv.version, runId, source, gate: gateNote, event };
  }

  // ── evaluation ───────────────────────────────────────────────────────────────────────

  /**
   * Evaluate a version's run against production criteria. Metric names the run did not log
   * are an error (nothing is written). The report goes to version tags
   * (`production_evaluation` = PASSED/FAILED, one `production_evaluation.*` tag per
   * criterion), to `evaluation/production_evaluation_v<N>.json` on the run, and to the history.
   */
  async evaluate(options: {
    name?: string;
    version: string | number;
    criteria: Criteria;
  }): Promise<EvaluationReport> {
    const name = options.name ?? DEFAULT_MODEL_NAME;
    const version = String(options.version);
    const { criteria, source } = options.criteria;
    const { mv, run, metrics } = await this.loadEvaluatedRun(name, version, criteria, source);
    const { production, productionMetrics } = await this.loadProductionToBeat(
      name,
      version,
      criteria,
      source,
    );

    const tags = new EvaluationTags();
    const results: CriterionResult[] = [];
    for (const c of criteria) {
      if (c.kind === 'bounds') {
        results.push(...boundsResults(c, metrics.get(c.metric)!, tags));
      } else if (c.kind === 'beat_production') {
        results.push(
          beatProductionResult(c, metrics.get(c.metric)!, tags, version, production, productionMetrics),
        );
      } else {
        const present = await artifactExists(this.store, run.info.runId, c.artifact);
        results.push({
          criterion: `artifact ${c.artifact}`,
          kind: 'artifact',
          tag: tags.next(`artifact.${c.artifact}`),
          required: 'present',
          actual: present ? 'present' : 'missing',
          pass: present,
        });
      }
    }

    const passed = results.every((r) => r.pass);
    const artifactPath = `evaluation/production_evaluation_v${version}.json`;
    const report: EvaluationReport = {
      model: name,
      version,
      runId: run.info.runId,
      evaluatedAt: new Date().toISOString(),
      actor: this.actor,
      criteriaSource: source,
      result: passed ? 'PASSED' : 'FAILED',
      passed,
      production: production ? { version: production.version, runId: production.runId } : null,
      results,
      reportUri: `runs:/${run.info.runId}/${artifactPath}`,
    };
    await this.store.logArtifact(run.info.runId, artifactPath, `${JSON.stringify(report, null, 2)}\n`);
    await this.writeEvaluationTags(mv, tags, report);
    await this.recordEvaluation(report);
    return report;
  }

  /** The version and its run; criteria naming metrics the run did not log are an error. */
  private async loadEvaluatedRun(
    name: string,
    version: string,
    criteria: readonly Criterion[],
    source: string,
  ): Promise<{ mv: ModelVersion; run: Run; metrics: Map<string, number> }> {
    const mv = await this.getVersion(name, version);
    if (!mv.runId) {
      throw new InvalidParameterError(
        `Version ${version} of '${name}' has no run (source ${mv.source}); only versions registered from a run can be evaluated.`,
      );
    }
    const run = await this.getRun(mv.runId);
    const metrics = new Map(run.data.metrics.map((m) => [m.key, m.value]));
    const unknown = [
      ...new Set(criteria.flatMap((c) => (c.kind === 'artifact' || metrics.has(c.metric) ? [] : [c.metric]))),
    ];
    if (unknown.length > 0) {
      throw new InvalidParameterError(
        `${source}: ${unknown.map((m) => `'${m}'`).join(', ')} ${unknown.length > 1 ? 'are not metrics' : 'is not a metric'} of run ${run.info.runId} (version ${version}); its metrics are: ${metricList(run)}. Fix the name in the criteria file or log the metric. Nothing was written.`,
      );
    }
    return { mv, run, metrics };
  }

  /**
   * The Production version to beat (when a criterion asks for one) and, unless it is the
   * evaluated version itself, its run's metrics; a metric to beat that it lacks is an error.
   */
  private async loadProductionToBeat(
    name: string,
    version: string,
    criteria: readonly Criterion[],
    source: string,
  ): Promise<{ production: ModelVersion | null; productionMetrics: Map<string, number> }> {
    const productionMetrics = new Map<string, number>();
    if (!criteria.some((c) => c.kind === 'beat_production')) return { production: null, productionMetrics };
    const production = highestIn(await this.listVersions(name), 'Production');
    if (!production || production.version === version) return { production, productionMetrics };
    if (!production.runId) {
      throw new InvalidParameterError(
        `The Production version ${production.version} of '${name}' has no run to compare metrics with; remove the beat_production_by criteria or promote a version registered from a run.`,
      );
    }
    const prodRun = await this.getRun(production.runId);
    for (const m of prodRun.data.metrics) productionMetrics.set(m.key, m.value);
    const missing = criteria.flatMap((c) =>
      c.kind === 'beat_production' && !productionMetrics.has(c.metric) ? [c.metric] : [],
    );
    if (missing.length > 0) {
      throw new InvalidParameterError(
        `${source}: the Production version ${production.version} (run ${production.runId}) has no metric ${missing.map((m) => `'${m}'`).join(', ')} to beat; its metrics are: ${metricList(prodRun)}. Nothing was written.`,
      );
    }
    return { production, productionMetrics };
  }

  /** Drop criterion tags of an earlier evaluation, write this one's, the verdict last. */
  private async writeEvaluationTags(
    mv: ModelVersion,
    tags: EvaluationTags,
    report: EvaluationReport,
  ): Promise<void> {
    const { model: name, version } = report;
    for (const tag of mv.tags) {
      if (
        tag.key.startsWith(`${EVALUATION_TAG}.`) &&
        !tags.has(tag.key) &&
        tag.key !== `${EVALUATION_TAG}.report`
      ) {
        await this.store.deleteModelVersionTag(name, version, tag.key);
      }
    }
    for (const r of report.results) {
      const note = r.note ? ` (${r.note})` : '';
      const actual = typeof r.actual === 'number' ? fmt(r.actual) : String(r.actual);
      await this.store.setModelVersionTag(
        name,
        version,
        r.tag,
        `${r.pass ? 'PASS' : 'FAIL'}: actual ${actual}, required ${r.required}${note}`,
      );
    }
    await this.store.setModelVersionTag(name, version, `${EVALUATION_TAG}.report`, report.reportUri);
    await this.store.setModelVersionTag(name, version, EVALUATION_TAG, report.result);
  }

  /** The evaluation's event in the history: how many criteria passed, which failed. */
  private async recordEvaluation(report: EvaluationReport): Promise<void> {
    const { results } = report;
    const failed = results.filter((r) => !r.pass);
    const ledger = await Ledger.forWriting(this.store, report.model, this.actor);
    await ledger.append({
      action: 'evaluate',
      version: report.version,
      from: null,
      to: report.result,
      reason:
        `${results.length - failed.length}/${results.length} criteria passed (${report.criteriaSource})${
          failed.length > 0 ? `; failed: ${failed.map((r) => r.criterion).join(', ')}` : ''
        }`.slice(0, MAX_REASON_LENGTH),
    });
  }

  // ── promotion ────────────────────────────────────────────────────────────────────────

  /**
   * Move a version to a stage. Production: the previous Production version is archived and
   * the `production` alias moves; only a version whose evaluation PASSED may go there unless
   * `force` with a `reason`. Staging holds one version too (the previous one is archived).
   * The Production version itself cannot be moved out of Production: promote another version
   * or roll back.
   */
  async promote(options: PromoteOptions): Promise<TransitionResult> {
    const name = options.name ?? DEFAULT_MODEL_NAME;
    const version = String(options.version);
    const to = parseStage(options.stage);
    const reason = options.reason?.trim() || null;
    if (options.force && !reason) {
      throw new InvalidParameterError(
        'A forced promotion needs a reason (--reason "…"); it is kept in the history.',
      );
    }
    await this.getVersion(name, version);
    const ledger = await Ledger.forWriting(this.store, name, this.actor);

    let decision: HistoryEvent | null = null;
    let from: ModelStage = 'None';
    for (let attempt = 0; decision === null; attempt++) {
      const mv = await this.getVersion(name, version);
      from = mv.currentStage;
      const events = await ledger.read();
      const state = replay(events);
      const versions = await this.listVersions(name);
      const current = currentProduction(state, versions);
      if (to === 'Production' && current === version) {
        if (from !== 'Production') break; // decided already, not carried out yet: reconcile does it
        return {
          name,
          version,
          from,
          to,
          changed: false,
          event: null,
          effects: await this.reconcile(name, ledger),
        };
      }
      if (to !== 'Production' && from === to) {
        return { name, version, from, to, changed: false, event: null, effects: [] };
      }
      if (current === version) {
        throw new InvalidParameterError(
          `Version ${version} is the Production version of '${name}'; it leaves Production only when another version is promoted there or by 'propflow registry rollback --name ${name} --reason "…"'.`,
        );
      }
      if (to === 'Production' && !options.force) {
        const verdict = mv.tags.find((t) => t.key === EVALUATION_TAG)?.value;
        if (verdict !== 'PASSED') {
          throw new InvalidParameterError(
            verdict === undefined
              ? `Version ${version} of '${name}' was never evaluated; run 'propflow registry evaluate --name ${name} --version ${version} --criteria <file>' first, or promote with --force --reason "…".`
              : `Version ${version} of '${name}' failed its production evaluation (${EVALUATION_TAG}=${verdict}); see its ${EVALUATION_TAG}.* tags. Fix and re-evaluate, or promote with --force --reason "…".`,
          );
        }
      }
      const forced = to === 'Production' && options.force;
      decision = await claim(
        ledger,
        { action: 'promote', version, from, to, reason: forced ? `forced: ${reason}` : reason },
        events,
        attempt,
      );
    }
    if (decision && options.force && to === 'Production') {
      await this.store.setModelVersionTag(
        name,
        version,
        FORCED_PROMOTION_TAG,
        `${decision.time} ${this.actor}: ${reason}`,
      );
    }
    const effects = decision ? await this.carryOut(name, ledger, decision) : [];
    effects.push(...(await this.reconcile(name, ledger)));
    return { name, version, from, to, changed: decision !== null, event: decision, effects };
  }

  // ── rollback ─────────────────────────────────────────────────────────────────────────

  /**
   * Archive the current Production version (recording `reason`) and bring back the version
   * that was Production before it, as the history says — or `toVersion`. With no earlier
   * Production version in the history this is an error and nothing changes.
   */
  async rollback(options: RollbackOptions): Promise<RollbackResult> {
    const name = options.name ?? DEFAULT_MODEL_NAME;
    const reason = options.reason?.trim();
    if (!reason)
      throw new InvalidParameterError('A rollback needs a reason (--reason "…"); it is kept in the history.');
    const toVersion = options.toVersion === undefined ? undefined : String(options.toVersion);
    await this.getModel(name);
    const ledger = await Ledger.forWriting(this.store, name, this.actor);

    let decision: HistoryEvent | null = null;
    let firstCurrent: string | null | undefined;
    let current: string | null = null;
    for (let attempt = 0; decision === null; attempt++) {
      const events = await ledger.read();
      const state = replay(events);
      const versions = await this.listVersions(name);
      current = currentProduction(state, versions);
      if (firstCurrent === undefined) firstCurrent = current;
      else if (current !== firstCurrent) {
        throw new PropflowError(
          `The Production version of '${name}' changed from v${firstCurrent} to v${current ?? '(none)'} while rolling back (see 'propflow registry history --name ${name}'); nothing was changed by this rollback. Run it again if v${current} should be rolled back too.`,
          'ABORTED',
        );
      }
      if (current === null) {
        throw new InvalidParameterError(`'${name}' has no Production version to roll back; nothing changed.`);
      }
      let target: string;
      if (toVersion !== undefined) {
        if (toVersion === current) {
          throw new InvalidParameterError(
            `Version ${toVersion} is already the Production version of '${name}'; nothing changed.`,
          );
        }
        await this.getVersion(name, toVersion);
        target = toVersion;
      } else {
        const stack = state.productionStack;
        const previous = stack[stack.length - 1] === current ? stack[stack.length - 2] : undefined;
        if (previous === undefined) {
          throw new InvalidParameterError(
            `No earlier Production version of '${name}' in its history to return to (Production so far: ${
              stack.length > 0
                ? stack.map((v) => `v${v}`).join(' → ')
                : `v${current}, set outside the propflow registry`
            }); nothing changed. Choose one with --to-version N.`,
          );
        }
        if (!versions.some((v) => v.version === previous)) {
          throw new NotFoundError(
            `The previous Production version ${previous} of '${name}' no longer exists; nothing changed. Choose one with --to-version N.`,
          );
        }
        target = previous;
      }
      const targetStage = versions.find((v) => v.version === target)?.currentStage ?? 'None';
      decision = await claim(
        ledger,
        { action: 'rollback', version: target, from: targetStage, to: 'Production', reason },
        events,
        attempt,
      );
    }
    const from = current!;
    await this.store
      .setModelVersionTag(
        name,
        from,
        ROLLBACK_REASON_TAG,
        `${decision.time} ${this.actor} (#${decision.seq}): ${reason}`,
      )
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    const effects = await this.carryOut(name, ledger, decision);
    effects.push(...(await this.reconcile(name, ledger)));
    return { name, from, to: decision.version!, reason, event: decision, effects };
  }

  // ── history and views ────────────────────────────────────────────────────────────────

  /** Every event of the model, oldest first. */
  async history(name: string = DEFAULT_MODEL_NAME): Promise<HistoryEvent[]> {
    const model = await this.getModel(name);
    return (await Ledger.forReading(this.store, model, this.actor)).read();
  }

  /** A model with its versions, stages, aliases and evaluation verdicts. */
  async show(name: string = DEFAULT_MODEL_NAME): Promise<ModelSummary> {
    const model = await this.getModel(name);
    const versions = (await this.listVersions(name)).sort(byVersionNumber);
    const aliases = Object.fromEntries(model.aliases.map((a) => [a.alias, a.version]));
    return {
      name: model.name,
      description: model.description,
      production: highestIn(versions, 'Production')?.version ?? null,
      staging: highestIn(versions, 'Staging')?.version ?? null,
      aliases,
      versions: versions.map((v) => ({
        version: v.version,
        stage: v.currentStage,
        aliases: model.aliases.filter((a) => a.version === v.version).map((a) => a.alias),
        runId: v.runId,
        source: v.source,
        evaluation: v.tags.find((t) => t.key === EVALUATION_TAG)?.value ?? null,
        created: new Date(v.creationTimestamp).toISOString(),
      })),
    };
  }

  /** All registered models with their Production and Staging versions. */
  async list(): Promise<ModelListing[]> {
    const out: ModelListing[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.store.searchRegisteredModels({
        maxResults: 100,
        ...(pageToken && { pageToken }),
      });
      for (const m of page.items) {
        if (m.tags.some((t) => t.key === LEDGER_POINTER_TAG)) continue; // a ledger pointer, not a model
        const versions = await this.listVersions(m.name);
        out.push({
          name: m.name,
          versions: versions.length,
          production: highestIn(m.latestVersions, 'Production')?.version ?? null,
          staging: highestIn(m.latestVersions, 'Staging')?.version ?? null,
          latest: versions.sort(byVersionNumber).at(-1)?.version ?? null,
          updated: new Date(m.lastUpdatedTimestamp).toISOString(),
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Bring stages and aliases in line with the latest decisions in the history (one
   * Production version, at most one Staging version, aliases on them), recording every
   * change. Promote and rollback call it; call it yourself after a crash or after stages
   * were changed by another tool. Returns the events it recorded.
   */
  async reconcile(name: string = DEFAULT_MODEL_NAME, ledger?: Ledger): Promise<HistoryEvent[]> {
    const book = ledger ?? (await Ledger.forWriting(this.store, name, this.actor));
    const effects: HistoryEvent[] = [];
    const keep = (e: HistoryEvent | null) => {
      if (e) effects.push(e);
    };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const seen = await this.observe(name, book);
      const state = replay(seen.events);
      for (const [decision, by] of overtaken(seen.events))
        keep(await closeDecision(book, decision, 'superseded', by));
      for (const e of await this.recordDrift(name, book, seen)) keep(e);
      const steps = plan(state, seen.versions, seen.model);
      if (steps.length === 0) {
        const later = await book.read();
        if (lastDecisionSeq(later) !== lastDecisionSeq(seen.events)) continue;
        const latest = latestDecision(later);
        if (latest && !hasOutcome(later, latest.seq) && decisionHolds(latest, state, seen.versions)) {
          keep(await closeDecision(book, latest, 'carried_out'));
        }
        return effects;
      }
      for (const step of steps) effects.push(...(await this.applyStep(name, book, step, seen)));
    }
    throw new PropflowError(
      `The stages of '${name}' did not settle after ${MAX_ROUNDS} rounds: something keeps changing them. Check 'propflow registry history --name ${name}' and run the command again.`,
      'ABORTED',
    );
  }

  // ── internals ────────────────────────────────────────────────────────────────────────

  /**
   * Changes nobody recorded (made by another tool, or by a writer that stopped before
   * recording): where a version's stage or an alias differs from what the history says,
   * record the change as found, so the history stays a true account before it is repaired.
   */
  private async recordDrift(name: string, ledger: Ledger, seen: Observed): Promise<HistoryEvent[]> {
    const out: HistoryEvent[] = [];
    const { stages, aliases } = historyView(seen.events);
    const found = 'found changed: not recorded by whoever changed it';
    for (const v of seen.versions) {
      const recorded = stages.get(v.version);
      if (recorded === undefined || recorded === v.currentStage) continue;
      const e = await this.recordStage(
        name,
        ledger,
        v.version,
        recorded as ModelStage,
        seen.sinceSeq,
        () => found,
        undefined,
      );
      if (e) out.push(e);
    }
    for (const alias of [PRODUCTION_ALIAS, STAGING_ALIAS]) {
      if (!aliases.has(alias)) continue;
      const now = seen.model.aliases.find((a) => a.alias === alias)?.version ?? null;
      const recorded = aliases.get(alias) ?? null;
      if (recorded === now) continue;
      const e = await this.recordAlias(name, ledger, alias, recorded, seen.sinceSeq, found, undefined);
      if (e) out.push(e);
    }
    return out;
  }

  /** The history, then the versions and the model as they are now (in that order: see `recordStage`). */
  private async observe(name: string, ledger: Ledger): Promise<Observed> {
    const events = await ledger.read();
    const versions = await this.listVersions(name);
    const model = await this.store.getRegisteredModel(name);
    return { events, sinceSeq: Ledger.lastSeq(events), versions, model };
  }

  /**
   * Carry out a decision: the alias first (serving reads `@production`), then the stage
   * with the stage's other versions archived in the same call, each change recorded once;
   * or, when a later decision overtook it, record that it was superseded.
   */
  private async carryOut(name: string, ledger: Ledger, decision: HistoryEvent): Promise<HistoryEvent[]> {
    const events = await ledger.read();
    const latest = latestDecision(events);
    if (latest && latest.seq !== decision.seq) {
      const closed = await closeDecision(ledger, decision, 'superseded', latest);
      return closed ? [closed] : [];
    }
    const to = decision.to as ModelStage;
    const version = decision.version!;
    const reason = `carries out #${decision.seq} (${decision.action}${decision.reason ? `: ${decision.reason}` : ''})`;
    const effects: HistoryEvent[] = [];
    const alias = to === 'Production' ? PRODUCTION_ALIAS : to === 'Staging' ? STAGING_ALIAS : null;
    if (alias) {
      effects.push(
        ...(await this.applyStep(
          name,
          ledger,
          { kind: 'alias', alias, version, previous: null, reason, decision: decision.seq },
          await this.observe(name, ledger),
        )),
      );
    }
    effects.push(
      ...(await this.applyStep(
        name,
        ledger,
        { kind: 'transition', version, from: 'None', to, reason, decision: decision.seq },
        await this.observe(name, ledger),
      )),
    );
    const closed = await closeDecision(ledger, decision, 'carried_out');
    if (closed) effects.push(closed);
    return effects;
  }

  /**
   * Make one change and record what actually changed (each change once, `from` as the
   * history had it). A move into Production or Staging archives the stage's other versions
   * in the same MLflow call, which keeps two versions from holding the stage at once for
   * longer than two racing calls can make them.
   */
  private async applyStep(name: string, ledger: Ledger, step: Step, seen: Observed): Promise<HistoryEvent[]> {
    const out: HistoryEvent[] = [];
    if (step.kind === 'transition') {
      const before = new Map(seen.versions.map((v) => [v.version, v.currentStage]));
      const now = before.get(step.version);
      if (now === undefined || now === step.to) return out;
      const exclusive = step.to === 'Production' || step.to === 'Staging';
      await this.store.transitionModelVersionStage(name, step.version, step.to, exclusive);
      // Any other version may have moved: archived by this call (also ones that reached the
      // stage after we looked), so each is checked against the history.
      const touched = [
        step.version,
        ...(exclusive ? [...before.keys()].filter((v) => v !== step.version) : []),
      ];
      for (const v of touched) {
        // The reason says why only when the change is the one this step made.
        const reason = (now: ModelStage) =>
          v === step.version && now === step.to
            ? step.reason
            : v !== step.version && now === 'Archived'
              ? `archived: v${step.version} moved to ${step.to} (${step.reason})`
              : `changed by a concurrent writer (seen while moving v${step.version} to ${step.to})`;
        const e = await this.recordStage(
          name,
          ledger,
          v,
          before.get(v)!,
          seen.sinceSeq,
          reason,
          step.decision,
        );
        if (e) out.push(e);
      }
      return out;
    }
    const holder = seen.model.aliases.find((a) => a.alias === step.alias)?.version ?? null;
    if (holder === step.version) return out;
    if (step.version === null) await this.store.deleteRegisteredModelAlias(name, step.alias);
    else await this.store.setRegisteredModelAlias(name, step.alias, step.version);
    const e = await this.recordAlias(
      name,
      ledger,
      step.alias,
      holder,
      seen.sinceSeq,
      step.reason,
      step.decision,
    );
    if (e) out.push(e);
    return out;
  }

  /**
   * Record the stage of `version` if it differs from what the history says: the last stage
   * recorded after `sinceSeq`, else `observed` (read after the history up to `sinceSeq`).
   */
  private recordStage(
    name: string,
    ledger: Ledger,
    version: string,
    observed: ModelStage,
    sinceSeq: number,
    reason: (now: ModelStage) => string,
    decision: number | undefined,
  ): Promise<HistoryEvent | null> {
    return ledger.recordIfChanged(async (events) => {
      const now = (await this.store.getModelVersion(name, version)).currentStage;
      // As the history has it; what was observed only for a version the history does not follow.
      const from =
        historyView(events).stages.get(version) ?? lastTransitionSince(events, version, sinceSeq) ?? observed;
      if (from === now) return null;
      return {
        action: 'transition',
        version,
        from,
        to: now,
        reason: reason(now),
        ...(decision !== undefined && { decision }),
      };
    });
  }

  /** Record the holder of `alias` if it differs from what the history says (as `recordStage`). */
  private recordAlias(
    name: string,
    ledger: Ledger,
    alias: string,
    observed: string | null,
    sinceSeq: number,
    reason: string,
    decision: number | undefined,
  ): Promise<HistoryEvent | null> {
    return ledger.recordIfChanged(async (events) => {
      const model = await this.store.getRegisteredModel(name);
      const now = model.aliases.find((a) => a.alias === alias)?.version ?? null;
      // As the history has it; what was observed only when the history never moved the alias.
      const view = historyView(events).aliases;
      let from = view.has(alias) ? (view.get(alias) ?? null) : observed;
      for (const e of events) {
        if (view.has(alias) || e.seq <= sinceSeq || e.to !== alias) continue;
        if (e.action === 'set_alias') from = e.version;
        else if (e.action === 'delete_alias') from = null;
      }
      if (from === now) return null;
      const ref = decision !== undefined ? { decision } : {};
      return now === null
        ? { action: 'delete_alias', version: from, from, to: alias, reason, ...ref }
        : { action: 'set_alias', version: now, from, to: alias, reason, ...ref };
    });
  }

  private async getModel(name: string): Promise<RegisteredModel> {
    try {
      return await this.store.getRegisteredModel(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new NotFoundError(
        `Registered model '${name}' does not exist on ${this.store.uri}. Register a run first ('propflow registry register --run-id <id> --name ${name}') or check --name / --tracking-uri.`,
        { cause: err },
      );
    }
  }

  private async getVersion(name: string, version: string): Promise<ModelVersion> {
    if (!/^[1-9]\d*$/.test(version)) {
      throw new InvalidParameterError(`Version '${version}' is not a version number (1, 2, 3, …).`);
    }
    try {
      return await this.store.getModelVersion(name, version);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.getModel(name);
      const known = (await this.listVersions(name)).sort(byVersionNumber).map((v) => v.version);
      throw new NotFoundError(
        `Registered model '${name}' has no version ${version} (versions: ${known.join(', ') || 'none'}); see 'propflow registry show --name ${name}'.`,
        { cause: err },
      );
    }
  }

  private async getRun(runId: string): Promise<Run> {
    try {
      const run = await this.store.getRun(runId);
      if (run.info.lifecycleStage === 'deleted') {
        throw new InvalidParameterError(`Run ${runId} is deleted; restore it or choose another run.`);
      }
      return run;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new NotFoundError(
        `Run '${runId}' does not exist on ${this.store.uri}; check the run id and --tracking-uri / MLFLOW_TRACKING_URI.`,
        { cause: err },
      );
    }
  }

  /** Every version of a model (all pages). */
  async listVersions(name: string): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    const filter = `name = '${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    let pageToken: string | undefined;
    do {
      const page = await this.store.searchModelVersions({
        filter,
        maxResults: 1000,
        ...(pageToken && { pageToken }),
      });
      out.push(...page.items.filter((v) => v.name === name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }
}

/**
 * Claim a decision at "last seq + 1" of the `events` it was computed from. Null when another
 * writer claimed that seq first (after a back-off): recompute from the newer history and retry.
 */
async function claim(
  ledger: Ledger,
  event: NewEvent,
  events: readonly HistoryEvent[],
  attempt: number,
): Promise<HistoryEvent | null> {
  try {
    return await ledger.append(event, { expectSeq: Ledger.lastSeq(events) + 1 });
  } catch (err) {
    if (!(err instanceof SeqConflictError) || attempt >= MAX_CLAIM_ATTEMPTS) throw err;
    await backoff(attempt);
    return null;
  }
}

/** Unique `production_evaluation.*` tag keys for one evaluation's criteria. */
class EvaluationTags {
  private readonly used = new Set<string>();

  next(base: string): string {
    let key = `${EVALUATION_TAG}.${tagSafe(base)}`;
    for (let i = 2; this.used.has(key); i++) key = `${EVALUATION_TAG}.${tagSafe(base)}.${i}`;
    this.used.add(key);
    return key;
  }

  has(key: string): boolean {
    return this.used.has(key);
  }
}

function boundsResults(
  c: Extract<Criterion, { kind: 'bounds' }>,
  actual: number,
  tags: EvaluationTags,
): CriterionResult[] {
  const results: CriterionResult[] = [];
  if (c.min !== undefined) {
    results.push({
      criterion: `${c.metric} >= ${fmt(c.min)}`,
      kind: 'min',
      tag: tags.next(`${c.metric}.min`),
      required: `>= ${fmt(c.min)}`,
      actual,
      pass: checkMin(actual, c.min),
    });
  }
  if (c.max !== undefined) {
    results.push({
      criterion: `${c.metric} <= ${fmt(c.max)}`,
      kind: 'max',
      tag: tags.next(`${c.metric}.max`),
      required: `<= ${fmt(c.max)}`,
      actual,
      pass: checkMax(actual, c.max),
    });
  }
  return results;
}

function beatProductionResult(
  c: Extract<Criterion, { kind: 'beat_production' }>,
  actual: number,
  tags: EvaluationTags,
  version: string,
  production: ModelVersion | null,
  productionMetrics: ReadonlyMap<string, number>,
): CriterionResult {
  const criterion = `${c.metric} beats Production by ${c.higherIsBetter ? '+' : '-'}${fmt(c.by)}`;
  const base = { criterion, kind: 'beat_production' as const, tag: tags.next(`${c.metric}.beat_production`) };
  if (!production) {
    return {
      ...base,
      required: 'no Production version',
      actual,
      pass: true,
      note: 'no Production version to beat',
    };
  }
  if (production.version === version) {
    return { ...base, required: 'n/a', actual, pass: true, note: 'this version is the Production version' };
  }
  const prodValue = productionMetrics.get(c.metric)!;
  const bound = c.higherIsBetter ? prodValue + c.by : prodValue - c.by;
  return {
    ...base,
    required: `${c.higherIsBetter ? '>=' : '<='} ${fmt(bound)} (Production v${production.version}: ${fmt(prodValue)} ${c.higherIsBetter ? '+' : '-'} ${fmt(c.by)})`,
    actual,
    pass: checkBeat(actual, prodValue, c.by, c.higherIsBetter),
  };
}

function metricList(run: Run): string {
  const keys = run.data.metrics.map((m) => m.key).sort();
  return keys.length > 0 ? keys.join(', ') : 'none';
}

function lastDecisionSeq(events: readonly HistoryEvent[]): number {
  let seq = 0;
  for (const e of events) if (e.action === 'promote' || e.action === 'rollback') seq = Math.max(seq, e.seq);
  return seq;
}

/** The stage the last transition of `version` after `sinceSeq` recorded, if any. */
function lastTransitionSince(
  events: readonly HistoryEvent[],
  version: string,
  sinceSeq: number,
): string | undefined {
  let to: string | undefined;
  for (const e of events) {
    if (e.seq > sinceSeq && e.action === 'transition' && e.version === version && e.to !== null) to = e.to;
  }
  return to;
}

/** Stages and alias holders as the history tells them (versions registered through it, aliases it moved). */
function historyView(events: readonly HistoryEvent[]): {
  stages: Map<string, string>;
  aliases: Map<string, string | null>;
} {
  const stages = new Map<string, string>();
  const aliases = new Map<string, string | null>();
  for (const e of events) {
    if (e.version !== null && e.action === 'register') stages.set(e.version, 'None');
    else if (e.version !== null && e.action === 'transition' && e.to !== null && stages.has(e.version))
      stages.set(e.version, e.to);
    else if (e.to !== null && e.action === 'set_alias') aliases.set(e.to, e.version);
    else if (e.to !== null && e.action === 'delete_alias') aliases.set(e.to, null);
  }
  return { stages, aliases };
}

function isDecision(e: HistoryEvent): boolean {
  return e.action === 'promote' || e.action === 'rollback';
}

function latestDecision(events: readonly HistoryEvent[]): HistoryEvent | null {
  let last: HistoryEvent | null = null;
  for (const e of events) if (isDecision(e) && (last === null || e.seq > last.seq)) last = e;
  return last;
}

function hasOutcome(events: readonly HistoryEvent[], seq: number): boolean {
  return events.some((e) => e.action === 'outcome' && e.decision === seq);
}

/** Decisions with no outcome that a later decision overtook, each with the next decision after it. */
function overtaken(events: readonly HistoryEvent[]): Array<[HistoryEvent, HistoryEvent]> {
  const decisions = events.filter(isDecision).sort((a, b) => a.seq - b.seq);
  const out: Array<[HistoryEvent, HistoryEvent]> = [];
  decisions.forEach((d, i) => {
    const next = decisions[i + 1];
    if (next && !hasOutcome(events, d.seq)) out.push([d, next]);
  });
  return out;
}

/** Does the registry show the decision done (its version in its stage)? */
function decisionHolds(
  decision: HistoryEvent,
  state: ReplayedState,
  versions: readonly ModelVersion[],
): boolean {
  const stage = versions.find((v) => v.version === decision.version)?.currentStage;
  if (stage !== decision.to) return false;
  return decision.to !== 'Production' || state.production?.version === decision.version;
}

/** Record a decision's outcome once (nothing when it has one already). */
function closeDecision(
  ledger: Ledger,
  decision: HistoryEvent,
  outcome: DecisionOutcome,
  by?: HistoryEvent,
): Promise<HistoryEvent | null> {
  return ledger.recordIfChanged(async (events) => {
    if (hasOutcome(events, decision.seq)) return null;
    const what = `#${decision.seq} ${decision.action} v${decision.version} → ${decision.to}`;
    return {
      action: 'outcome',
      version: decision.version,
      from: null,
      to: outcome,
      decision: decision.seq,
      reason:
        outcome === 'superseded' && by
          ? `${what} superseded by #${by.seq} (${by.action} v${by.version} → ${by.to})`
          : `${what} carried out`,
    };
  });
}

/** The current Production version: by the history when it has decided one, else by the stages. */
function currentProduction(state: ReplayedState, versions: readonly ModelVersion[]): string | null {
  if (state.production && versions.some((v) => v.version === state.production!.version))
    return state.production.version;
  return highestIn(versions, 'Production')?.version ?? null;
}

/** The steps that make stages and aliases match the replayed decisions. */
function plan(state: ReplayedState, versions: readonly ModelVersion[], model: RegisteredModel): Step[] {
  const steps: Step[] = [];
  const stage = new Map(versions.map((v) => [v.version, v.currentStage]));
  const move = (version: string, to: ModelStage, reason: string) => {
    steps.push({ kind: 'transition', version, from: stage.get(version)!, to, reason });
    stage.set(version, to);
  };
  const p = state.production;
  if (p && stage.has(p.version)) {
    if (stage.get(p.version) !== 'Production') {
      move(
        p.version,
        'Production',
        `restored: v${p.version} holds Production by #${p.event.seq} (${p.event.action})`,
      );
    }
    for (const [v, s] of stage)
      if (s === 'Production' && v !== p.version) move(v, 'Archived', describeDecision(p.event));
  }
  const s = state.staging;
  if (s && stage.has(s.version) && s.version !== p?.version) {
    if (stage.get(s.version) !== 'Staging') {
      move(
        s.version,
        'Staging',
        `restored: v${s.version} holds Staging by #${s.event.seq} (${s.event.action})`,
      );
    }
    for (const [v, st] of stage) {
      if (st === 'Staging' && v !== s.version)
        move(v, 'Archived', `superseded in Staging by v${s.version} (#${s.event.seq})`);
    }
  }
  const highest = (want: ModelStage): string | null => {
    const vs = [...stage].filter(([, st]) => st === want).map(([v]) => Number(v));
    return vs.length > 0 ? String(Math.max(...vs)) : null;
  };
  for (const [alias, want] of [
    [PRODUCTION_ALIAS, 'Production'],
    [STAGING_ALIAS, 'Staging'],
  ] as const) {
    const holder = highest(want);
    const current = model.aliases.find((a) => a.alias === alias)?.version ?? null;
    if (holder !== current) {
      steps.push({
        kind: 'alias',
        alias,
        version: holder,
        previous: current,
        reason: holder ? `follows stage ${want}` : `no version in ${want}`,
      });
    }
  }
  return steps;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/** Whether a file or a non-empty folder exists at `path` in the run's artifacts. */
export async function artifactExists(store: TrackingStore, runId: string, path: string): Promise<boolean> {
  const clean = trimSlashes(path);
  if (clean === '') return false;
  const parent = clean.includes('/') ? clean.slice(0, clean.lastIndexOf('/')) : undefined;
  let entries: Awaited<ReturnType<TrackingStore['listArtifacts']>>;
  try {
    entries = await store.listArtifacts(runId, parent);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  const entry = entries.find((e) => trimSlashes(e.path) === clean);
  if (!entry) return false;
  if (!entry.isDir) return true;
  return (await store.listArtifacts(runId, clean)).length > 0;
}
