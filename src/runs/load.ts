/**
 * Reading runs through the `TrackingStore` interface only (so it works on a real MLflow
 * server): resolving run ids or names, fetching runs and metric histories in parallel with a
 * bounded number of requests in flight.
 */
import { InvalidParameterError, NotFoundError, PropflowError } from '../errors.js';
import type { Experiment, Metric, Run, TrackingStore } from '../tracking/index.js';

/** Requests in flight at once when fetching many runs or histories. */
export const FETCH_CONCURRENCY = 16;

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every page of a paged search. */
export async function allPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  return items;
}

/** Every active experiment (all pages). */
export async function listExperiments(store: TrackingStore): Promise<Experiment[]> {
  return allPages((pageToken) =>
    store.searchExperiments({ maxResults: 1000, ...(pageToken ? { pageToken } : {}) }),
  );
}

function isNotFound(err: unknown): boolean {
  return err instanceof PropflowError && err.code === 'RESOURCE_DOES_NOT_EXIST';
}

const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

/**
 * A run by id, or else by run name across all active experiments. A name that matches
 * several runs is an error listing their ids.
 */
export async function resolveRun(store: TrackingStore, ref: string): Promise<Run> {
  if (ref.trim() === '') throw new InvalidParameterError('A run id or name is empty; pass a run id or name.');
  try {
    return await store.getRun(ref);
  } catch (err) {
    if (!isNotFound(err) && !(err instanceof InvalidParameterError)) throw err;
  }
  const experiments = await listExperiments(store);
  const matches: Run[] = [];
  for (let i = 0; i < experiments.length; i += 100) {
    const ids = experiments.slice(i, i + 100).map((e) => e.experimentId);
    matches.push(
      ...(await allPages((pageToken) =>
        store.searchRuns({
          experimentIds: ids,
          filter: `attributes.run_name = ${quote(ref)}`,
          maxResults: 1000,
          ...(pageToken ? { pageToken } : {}),
        }),
      )),
    );
  }
  if (matches.length === 0 && /^[0-9a-f]{6,31}$/i.test(ref)) {
    // a short id as the tables print it (first 8 characters)
    const all = await allRuns(
      store,
      experiments.map((e) => e.experimentId),
    );
    matches.push(...all.filter((r) => r.info.runId.startsWith(ref.toLowerCase())));
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new NotFoundError(
      `No run with id or name '${ref}' in ${store.uri}. List runs with 'propflow runs list'.`,
    );
  }
  throw new InvalidParameterError(
    `'${ref}' is ambiguous: ${matches.length} runs have that name or id prefix (${matches.map((r) => r.info.runId).join(', ')}). Pass a run id.`,
  );
}

/** Several runs by id or name, fetched in parallel; a run named twice is an error. */
export async function resolveRuns(store: TrackingStore, refs: readonly string[]): Promise<Run[]> {
  // Full run ids are fetched in one search per 100 experiments (`attributes.run_id IN (…)`);
  // anything else (names, short ids, runs of deleted experiments) one by one, in parallel.
  const byId = new Map<string, Run>();
  const ids = [...new Set(refs.filter((r) => /^[0-9a-f]{32}$/.test(r)))];
  if (ids.length > 1) {
    const experiments = await listExperiments(store);
    const list = ids.map(quote).join(', ');
    for (let i = 0; i < experiments.length; i += 100) {
      const page = await allPages((pageToken) =>
        store.searchRuns({
          experimentIds: experiments.slice(i, i + 100).map((e) => e.experimentId),
          filter: `attributes.run_id IN (${list})`,
          maxResults: 1000,
          viewType: 'ALL',
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      for (const r of page) byId.set(r.info.runId, r);
    }
  }
  const runs = await mapLimit(
    refs,
    FETCH_CONCURRENCY,
    async (ref) => byId.get(ref) ?? resolveRun(store, ref),
  );
  const seen = new Map<string, string>();
  for (const [i, r] of runs.entries()) {
    const before = seen.get(r.info.runId);
    if (before !== undefined) {
      throw new InvalidParameterError(
        `Run ${r.info.runId} is named twice ('${before}' and '${refs[i]}'); name each run once.`,
      );
    }
    seen.set(r.info.runId, refs[i]!);
  }
  return runs;
}

/** A metric's full history sorted by step (then timestamp). */
export async function metricHistory(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  const page = await store.getMetricHistory(runId, key);
  return page.items.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

/**
 * Histories of several keys of several runs, in parallel. Only keys a run has logged are
 * fetched. Result: `histories[runIndex][key]`.
 */
export async function metricHistories(
  store: TrackingStore,
  runs: readonly Run[],
  keys: readonly string[],
): Promise<Array<Record<string, Metric[]>>> {
  const jobs: Array<{ run: number; key: string }> = [];
  for (const [i, r] of runs.entries()) {
    const logged = new Set(r.data.metrics.map((m) => m.key));
    for (const key of keys) if (logged.has(key)) jobs.push({ run: i, key });
  }
  const results = await mapLimit(jobs, FETCH_CONCURRENCY, (j) =>
    metricHistory(store, runs[j.run]!.info.runId, j.key),
  );
  const out: Array<Record<string, Metric[]>> = runs.map(() => ({}));
  for (const [i, j] of jobs.entries()) out[j.run]![j.key] = results[i]!;
  return out;
}

/** Names of the experiments with these ids (parallel; a missing one maps to its id). */
export async function experimentNames(
  store: TrackingStore,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const names = await mapLimit(unique, FETCH_CONCURRENCY, async (id) => {
    try {
      return (await store.getExperiment(id)).name;
    } catch {
      return id;
    }
  });
  return new Map(unique.map((id, i) => [id, names[i]!]));
}

/** The value of a tag of a run, if set. */
export function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags.find((t) => t.key === key)?.value;
}

/** Every run of the given experiments (all pages, active runs). */
export async function allRuns(store: TrackingStore, experimentIds: readonly string[]): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i < experimentIds.length; i += 100) {
    const ids = experimentIds.slice(i, i + 100);
    out.push(
      ...(await allPages((pageToken) =>
        store.searchRuns({ experimentIds: ids, maxResults: 1000, ...(pageToken ? { pageToken } : {}) }),
      )),
    );
  }
  return out;
}
