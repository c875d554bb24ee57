/**
 * `runs list` and `runs show` as data: a run search across experiments with MLflow's filter
 * grammar and ordering, and one run's params, metrics, tags, artifacts and fold summary.
 */
import { InvalidParameterError, NotFoundError } from '../errors.js';
import type { FileInfo, Run, TrackingStore } from '../tracking/index.js';
import { foldDateString } from './compare.js';
import { experimentNames, listExperiments, mapLimit, metricHistory, resolveRun } from './load.js';

export interface ListRunsOptions {
  /** Experiment name or id; several allowed. Default: every active experiment. */
  experiments?: string[];
  /** MLflow filter, e.g. `metrics.val_mae < 6 and tags.phase = 'p1'`. */
  filter?: string;
  /** MLflow order-by clauses (default `attributes.start_time DESC`). */
  orderBy?: string[];
  /** At most this many runs (default 100). */
  max?: number;
}

export interface RunSummary {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  start_time: string;
  val_mae: number | null;
  n_folds: number | null;
  phase: string | null;
  feature_set: string | null;
}

const metricOf = (r: Run, key: string) => r.data.metrics.find((m) => m.key === key)?.value ?? null;
const tag = (r: Run, key: string) => r.data.tags.find((t) => t.key === key)?.value ?? null;

/** The experiment ids for names or ids; an unknown one is an error naming it. */
export async function experimentIdsFor(store: TrackingStore, refs: readonly string[]): Promise<string[]> {
  return mapLimit(refs, 8, async (ref) => {
    const byName = await store.getExperimentByName(ref);
    if (byName) return byName.experimentId;
    try {
      return (await store.getExperiment(ref)).experimentId;
    } catch {
      throw new NotFoundError(
        `No experiment named '${ref}' (nor with that id) in ${store.uri}. See 'propflow experiments tree'.`,
      );
    }
  });
}

/** Runs matching the options, newest first by default. */
export async function listRuns(store: TrackingStore, options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const max = options.max ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 50_000) {
    throw new InvalidParameterError(`--max must be an integer from 1 to 50000, got ${options.max}.`);
  }
  const ids = options.experiments?.length
    ? await experimentIdsFor(store, options.experiments)
    : (await listExperiments(store)).map((e) => e.experimentId);
  if (ids.length === 0) return [];
  const runs: Run[] = [];
  let token: string | undefined;
  do {
    const page = await store.searchRuns({
      experimentIds: ids,
      ...(options.filter ? { filter: options.filter } : {}),
      orderBy: options.orderBy?.length ? options.orderBy : ['attributes.start_time DESC'],
      maxResults: Math.min(1000, max - runs.length),
      ...(token ? { pageToken: token } : {}),
    });
    runs.push(...page.items);
    token = page.nextPageToken;
  } while (token && runs.length < max);
  const names = await experimentNames(
    store,
    runs.map((r) => r.info.experimentId),
  );
  return runs.slice(0, max).map((r) => ({
    run_id: r.info.runId,
    run_name: r.info.runName,
    experiment_id: r.info.experimentId,
    experiment_name: names.get(r.info.experimentId) ?? r.info.experimentId,
    status: r.info.status,
    start_time: new Date(r.info.startTime).toISOString(),
    val_mae: metricOf(r, 'val_mae'),
    n_folds: metricOf(r, 'n_folds'),
    phase: tag(r, 'phase'),
    feature_set: tag(r, 'feature_set'),
  }));
}

export interface FoldSummary {
  metric: string;
  n: number;
  first_date: string | null;
  last_date: string | null;
  mean: number | null;
  min: { value: number; date: string | null } | null;
  max: { value: number; date: string | null } | null;
}

export interface RunDetails {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  user_id: string;
  start_time: string;
  end_time: string | null;
  artifact_uri: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  datasets: Array<{ name: string; digest: string; source: string; context: string | null }>;
  artifacts: Array<{ path: string; is_dir: boolean; size: number | null }>;
  folds: FoldSummary | null;
}

/** Every artifact path (folders listed and walked, up to `depth` levels). */
export async function listArtifactsDeep(store: TrackingStore, runId: string, depth = 3): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  const walk = async (dir: string | undefined, level: number): Promise<void> => {
    const entries = await store.listArtifacts(runId, dir);
    out.push(...entries);
    if (level >= depth) return;
    await Promise.all(entries.filter((e) => e.isDir).map((e) => walk(e.path, level + 1)));
  };
  await walk(undefined, 1);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** One run by id or name with its artifacts and fold summary. */
export async function showRun(
  store: TrackingStore,
  ref: string,
  foldMetric = 'fold_mae',
): Promise<RunDetails> {
  const run = await resolveRun(store, ref);
  const id = run.info.runId;
  const has = (k: string) => run.data.metrics.some((m) => m.key === k);
  const [exp, artifacts, values, dates] = await Promise.all([
    experimentNames(store, [run.info.experimentId]),
    listArtifactsDeep(store, id, 2),
    has(foldMetric) ? metricHistory(store, id, foldMetric) : Promise.resolve([]),
    has('fold_date') ? metricHistory(store, id, 'fold_date') : Promise.resolve([]),
  ]);
  const dateAt = new Map(dates.map((m) => [m.step, foldDateString(m.value)]));
  let folds: FoldSummary | null = null;
  if (values.length > 0) {
    const byStep = new Map(values.map((m) => [m.step, m.value]));
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    let min: FoldSummary['min'] = null;
    let max: FoldSummary['max'] = null;
    let sum = 0;
    for (const s of steps) {
      const v = byStep.get(s)!;
      sum += v;
      const date = dateAt.get(s) ?? null;
      if (!min || v < min.value) min = { value: v, date };
      if (!max || v > max.value) max = { value: v, date };
    }
    const known = steps.map((s) => dateAt.get(s)).filter((d): d is string => Boolean(d));
    folds = {
      metric: foldMetric,
      n: steps.length,
      first_date: known[0] ?? null,
      last_date: known.at(-1) ?? null,
      mean: sum / steps.length,
      min,
      max,
    };
  }
  const entries = <T extends { key: string }, V>(xs: T[], val: (x: T) => V) =>
    Object.fromEntries([...xs].sort((a, b) => a.key.localeCompare(b.key)).map((x) => [x.key, val(x)]));
  return {
    run_id: id,
    run_name: run.info.runName,
    experiment_id: run.info.experimentId,
    experiment_name: exp.get(run.info.experimentId) ?? run.info.experimentId,
    status: run.info.status,
    user_id: run.info.userId,
    start_time: new Date(run.info.startTime).toISOString(),
    end_time: run.info.endTime ? new Date(run.info.endTime).toISOString() : null,
    artifact_uri: run.info.artifactUri,
    params: entries(run.data.params, (p) => p.value),
    metrics: entries(run.data.metrics, (m) => m.value),
    tags: entries(run.data.tags, (t) => t.value),
    datasets: run.inputs.datasetInputs.map((d) => ({
      name: d.dataset.name,
      digest: d.dataset.digest,
      source: d.dataset.source,
      context: d.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null,
    })),
    artifacts: artifacts.map((a) => ({ path: a.path, is_dir: a.isDir, size: a.fileSize ?? null })),
    folds,
  };
}
