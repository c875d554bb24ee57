/**
 * `experiments migrate`: move runs from flat legacy experiments into the hierarchy by rules.
 * MLflow's REST API cannot move a run between experiments, so a run is COPIED — params,
 * tags, every metric's full history (steps and timestamps), dataset inputs, artifacts,
 * status and times — then the original is tagged `migrated_to=<new id>` and the copy
 * `migrated_from=<old id>`.
 *
 * Safe to repeat and to interrupt: an original tagged `migrated_to` is skipped; a copy is
 * created carrying `migrated_from` and the marker tag `propflow.migration.partial`, which is
 * removed once everything is copied. A later migrate that finds a partial copy deletes it and
 * copies again; one that finds a complete copy only tags the original. So no run is copied
 * twice, and a dry run (the plan) changes nothing.
 *
 * Rules file (YAML or JSON):
 * ```yaml
 * rules:
 *   - match: { experiment: Phase1_Foundation, name: "*baseline*", tags: { model_type: gbdt } }
 *     target: NBA_Props_Model/Phase1_Baseline
 *     rename: "{date}_p1_{tags.feature_set}_wf7d_v{n}"   # optional; {n} = next free version
 * ```
 * `match` fields: `experiment` and `name` (globs with `*` and `?`, or `/regex/`), `tags` and
 * `params` (key → glob). The first rule that matches a run wins; runs no rule matches stay.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidParameterError, NotFoundError } from '../errors.js';
import type { Metric, Run, Tag, TrackingStore } from '../tracking/index.js';
import { getOrCreateExperiment } from '../tracking/index.js';
import { listArtifactsDeep } from './list.js';
import { allPages, allRuns, listExperiments, mapLimit, metricHistory } from './load.js';

export const MIGRATED_TO = 'migrated_to';
export const MIGRATED_FROM = 'migrated_from';
export const PARTIAL = 'propflow.migration.partial';

const Pattern = z.string().min(1);
const RuleSchema = z
  .object({
    match: z
      .object({
        experiment: Pattern.optional(),
        name: Pattern.optional(),
        tags: z.record(z.string(), Pattern).optional(),
        params: z.record(z.string(), Pattern).optional(),
      })
      .strict(),
    target: z.string().min(1),
    rename: z.string().min(1).optional(),
  })
  .strict();
const RulesSchema = z.object({ rules: z.array(RuleSchema).min(1) }).strict();

export type MigrationRule = z.infer<typeof RuleSchema>;

/** Parse a rules file's text (YAML or JSON); errors name the file and the field. */
export function parseRules(text: string, source = 'rules file'): MigrationRule[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new InvalidParameterError(`${source} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  const parsed = RulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
      .join('; ');
    throw new InvalidParameterError(
      `${source}: ${issues}. Expected 'rules:' with items {match: {experiment, name, tags, params}, target, rename}.`,
    );
  }
  for (const [i, r] of parsed.data.rules.entries()) {
    if (Object.keys(r.match).length === 0)
      throw new InvalidParameterError(
        `${source}: rules.${i}.match is empty; give experiment, name, tags or params.`,
      );
    for (const p of [r.match.experiment, r.match.name, ...Object.values(r.match.tags ?? {})])
      if (p) compilePattern(p);
  }
  return parsed.data.rules;
}

/** `*`/`?` glob or `/regex/flags` → RegExp (whole-string match for globs). */
export function compilePattern(p: string): RegExp {
  const re = /^\/(.+)\/([a-z]*)$/.exec(p);
  try {
    if (re) return new RegExp(re[1]!, re[2]);
  } catch (err) {
    throw new InvalidParameterError(
      `Invalid regular expression ${p} in the rules: ${(err as Error).message}`,
    );
  }
  const body = p
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const get = (xs: ReadonlyArray<{ key: string; value: string }>, k: string) =>
  xs.find((x) => x.key === k)?.value;

function matches(rule: MigrationRule, run: Run, experimentName: string): boolean {
  const m = rule.match;
  if (m.experiment && !compilePattern(m.experiment).test(experimentName)) return false;
  if (m.name && !compilePattern(m.name).test(run.info.runName)) return false;
  for (const [k, p] of Object.entries(m.tags ?? {})) {
    const v = get(run.data.tags, k);
    if (v === undefined || !compilePattern(p).test(v)) return false;
  }
  for (const [k, p] of Object.entries(m.params ?? {})) {
    const v = get(run.data.params, k);
    if (v === undefined || !compilePattern(p).test(v)) return false;
  }
  return true;
}

function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Fill `{run_name}`, `{date}`, `{tags.k}`, `{params.k}`; `{n}` is left for numbering. */
function fillName(template: string, run: Run): string {
  return template.replace(/\{([^}]+)\}/g, (whole, key: string) => {
    if (key === 'n') return whole;
    if (key === 'run_name') return run.info.runName;
    if (key === 'date') return yyyymmdd(run.info.startTime);
    const t = /^tags\.(.+)$/.exec(key);
    if (t) {
      const v = get(run.data.tags, t[1]!);
      if (v === undefined)
        throw new InvalidParameterError(`rename '${template}': run ${run.info.runId} has no tag '${t[1]}'.`);
      return v;
    }
    const p = /^params\.(.+)$/.exec(key);
    if (p) {
      const v = get(run.data.params, p[1]!);
      if (v === undefined)
        throw new InvalidParameterError(
          `rename '${template}': run ${run.info.runId} has no param '${p[1]}'.`,
        );
      return v;
    }
    throw new InvalidParameterError(
      `rename '${template}': unknown placeholder {${key}}; use {run_name}, {date}, {tags.KEY}, {params.KEY} or {n}.`,
    );
  });
}

export type MigrationAction =
  | 'copy'
  | 'recopy_partial'
  | 'tag_original'
  | 'already_migrated'
  | 'skip_running';

export interface PlannedMove {
  run_id: string;
  run_name: string;
  from_experiment: string;
  target: string;
  new_name: string;
  action: MigrationAction;
  /** An existing copy (complete or partial) found in the target. */
  copy_id: string | null;
  rule: number;
}

export interface MigrationPlan {
  moves: PlannedMove[];
  /** Runs no rule matched. */
  unmatched: number;
}

async function copiesIn(store: TrackingStore, experimentId: string | undefined): Promise<Map<string, Run>> {
  const out = new Map<string, Run>();
  if (!experimentId) return out;
  const runs = await allPages((pageToken) =>
    store.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.${MIGRATED_FROM} LIKE '%'`,
      maxResults: 1000,
      ...(pageToken ? { pageToken } : {}),
    }),
  );
  for (const r of runs) {
    const from = get(r.data.tags, MIGRATED_FROM);
    if (from) out.set(from, r);
  }
  return out;
}

/** What a migrate would do: one entry per matched run. Reads only. */
export async function planMigration(
  store: TrackingStore,
  rules: readonly MigrationRule[],
): Promise<MigrationPlan> {
  const experiments = await listExperiments(store);
  const byName = new Map(experiments.map((e) => [e.name, e]));
  const targets = new Set(rules.map((r) => r.target));
  const sources = experiments.filter((e) => !targets.has(e.name));
  const runsBy = await mapLimit(sources, 8, (e) => allRuns(store, [e.experimentId]));
  const copies = new Map<string, Map<string, Run>>();
  const usedNames = new Map<string, Set<string>>();
  for (const t of targets) {
    const id = byName.get(t)?.experimentId;
    copies.set(t, await copiesIn(store, id));
    usedNames.set(t, new Set(id ? (await allRuns(store, [id])).map((r) => r.info.runName) : []));
  }
  const moves: PlannedMove[] = [];
  let unmatched = 0;
  for (const [i, e] of sources.entries()) {
    const runs = [...runsBy[i]!].sort(
      (a, b) => a.info.startTime - b.info.startTime || a.info.runId.localeCompare(b.info.runId),
    );
    for (const run of runs) {
      const ruleIndex = rules.findIndex((r) => matches(r, run, e.name));
      if (ruleIndex < 0) {
        unmatched++;
        continue;
      }
      const rule = rules[ruleIndex]!;
      const copy = copies.get(rule.target)?.get(run.info.runId) ?? null;
      const done = get(run.data.tags, MIGRATED_TO);
      let action: MigrationAction;
      if (done) action = 'already_migrated';
      else if (run.info.status === 'RUNNING') action = 'skip_running';
      else if (copy && get(copy.data.tags, PARTIAL) === undefined) action = 'tag_original';
      else if (copy) action = 'recopy_partial';
      else action = 'copy';
      let newName = copy && action !== 'recopy_partial' ? copy.info.runName : run.info.runName;
      if ((action === 'copy' || action === 'recopy_partial') && rule.rename) {
        const filled = fillName(rule.rename, run);
        const used = usedNames.get(rule.target)!;
        if (filled.includes('{n}')) {
          let n = 1;
          while (used.has(filled.replaceAll('{n}', String(n)))) n++;
          newName = filled.replaceAll('{n}', String(n));
        } else newName = filled;
        used.add(newName);
      }
      moves.push({
        run_id: run.info.runId,
        run_name: run.info.runName,
        from_experiment: e.name,
        target: rule.target,
        new_name: done ? (copy?.info.runName ?? newName) : newName,
        action,
        copy_id: done ?? copy?.info.runId ?? null,
        rule: ruleIndex,
      });
    }
  }
  return { moves, unmatched };
}

export interface MigrationEvent {
  run_id: string;
  step: 'start' | 'created' | 'params' | 'metrics' | 'inputs' | 'artifacts' | 'finished' | 'tagged';
  copy_id?: string;
}

export interface MigrationResult extends MigrationPlan {
  copied: number;
  resumed: number;
  skipped: number;
}

const SYSTEM_SKIP = new Set(['mlflow.runName', MIGRATED_TO, MIGRATED_FROM, PARTIAL]);

/** Copy one run into `experimentId` as `name`; returns the copy's id. */
export async function copyRun(
  store: TrackingStore,
  run: Run,
  experimentId: string,
  name: string,
  onEvent: (e: MigrationEvent) => void = () => {},
): Promise<string> {
  const id = run.info.runId;
  const copy = await store.createRun({
    experimentId,
    runName: name,
    startTime: run.info.startTime,
    userId: run.info.userId,
    tags: [
      { key: MIGRATED_FROM, value: id },
      { key: PARTIAL, value: 'true' },
    ],
  });
  const cid = copy.info.runId;
  onEvent({ run_id: id, step: 'created', copy_id: cid });
  // MLflow's log-batch limits: 100 params, 100 tags, 1000 metrics per request
  const tags: Tag[] = run.data.tags.filter((t) => !SYSTEM_SKIP.has(t.key));
  for (let i = 0; i < tags.length; i += 100) await store.logBatch(cid, { tags: tags.slice(i, i + 100) });
  const params = run.data.params;
  for (let i = 0; i < params.length; i += 100)
    await store.logBatch(cid, { params: params.slice(i, i + 100) });
  onEvent({ run_id: id, step: 'params', copy_id: cid });
  const keys = [...new Set(run.data.metrics.map((m) => m.key))];
  const histories = await mapLimit(keys, 8, (k) => metricHistory(store, id, k));
  const all: Metric[] = histories
    .flat()
    .map((m) => ({ key: m.key, value: m.value, step: m.step, timestamp: m.timestamp }));
  for (let i = 0; i < all.length; i += 1000) await store.logBatch(cid, { metrics: all.slice(i, i + 1000) });
  onEvent({ run_id: id, step: 'metrics', copy_id: cid });
  if (run.inputs.datasetInputs.length > 0) await store.logInputs(cid, run.inputs.datasetInputs);
  onEvent({ run_id: id, step: 'inputs', copy_id: cid });
  const files = (await listArtifactsDeep(store, id, 32)).filter((f) => !f.isDir);
  await mapLimit(files, 4, async (f) =>
    store.logArtifact(cid, f.path, await store.downloadArtifact(id, f.path)),
  );
  onEvent({ run_id: id, step: 'artifacts', copy_id: cid });
  await store.updateRun(cid, {
    status: run.info.status,
    ...(run.info.endTime !== null ? { endTime: run.info.endTime } : {}),
  });
  await store.deleteTag(cid, PARTIAL);
  onEvent({ run_id: id, step: 'finished', copy_id: cid });
  return cid;
}

/**
 * Carry out a plan (see `planMigration`). `onEvent` sees every step; if it throws, the
 * migration stops there (as an interruption would) and a later call resumes.
 */
export async function migrate(
  store: TrackingStore,
  rules: readonly MigrationRule[],
  options: { onEvent?: (e: MigrationEvent) => void } = {},
): Promise<MigrationResult> {
  const plan = await planMigration(store, rules);
  const onEvent = options.onEvent ?? (() => {});
  let copied = 0;
  let resumed = 0;
  let skipped = 0;
  for (const m of plan.moves) {
    if (m.action === 'already_migrated' || m.action === 'skip_running') {
      skipped++;
      continue;
    }
    onEvent({ run_id: m.run_id, step: 'start' });
    let copyId = m.copy_id;
    if (m.action === 'recopy_partial' && copyId) {
      await store.deleteRun(copyId);
      resumed++;
    }
    if (m.action !== 'tag_original') {
      const run = await store.getRun(m.run_id);
      const target = await getOrCreateExperiment(store, m.target);
      copyId = await copyRun(store, run, target, m.new_name, onEvent);
      copied++;
    } else resumed++;
    if (!copyId) throw new NotFoundError(`migration of run ${m.run_id}: the copy's id is unknown`);
    await store.setTag(m.run_id, { key: MIGRATED_TO, value: copyId });
    m.copy_id = copyId;
    onEvent({ run_id: m.run_id, step: 'tagged', copy_id: copyId });
  }
  return { ...plan, copied, resumed, skipped };
}
