/**
 * `runs reproduce`: rerun a logged pipeline run and report every metric's difference.
 *
 * 1. Reads the run's `pipeline_config.json` (the fully resolved config, with the seed),
 *    `training_info.json` (the dataset version and where it came from) and
 *    `feature_lineage.json` (every feature definition with its version).
 * 2. Data: the folder given (`dataDir`), else the folder the run read, else the same
 *    synthetic league; its content hash must equal the run's, or the reproduction is refused
 *    naming both hashes and sources (unless `allowDataChange`).
 * 3. Features: every logged definition must equal today's (same version, inputs, transform
 *    and params), or it is refused naming the feature.
 * 4. Reruns the pipeline with `runPipeline` and the logged config (registration off: a
 *    reproduction does not register a model), as a new run tagged `reproduces=<RUN>`.
 * 5. Compares every metric (latest values) and every per-fold history step by step.
 */
import { existsSync } from 'node:fs';
import { type Dataset, readDataset, synthesizeLeague, versionOf } from '../data/index.js';
import { DataError, InvalidParameterError, NotFoundError } from '../errors.js';
import { FEATURE_SETS } from '../features/index.js';
import { PIPELINE_KINDS, type PipelineKind, runPipeline } from '../pipelines/index.js';
import type { Run, TrackingStore } from '../tracking/index.js';
import { mapLimit, metricHistory, resolveRun, tagOf } from './load.js';

export const REPRODUCES_TAG = 'reproduces';

export interface ReproduceOptions {
  /** Tracking URI of `store` (for the pipeline's progress lines). */
  trackingUri: string;
  /** Read the data from this dataset folder instead of the one the run read. */
  dataDir?: string;
  /** Rerun even when the data's hash differs from the run's. */
  allowDataChange?: boolean;
  out?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface MetricDifference {
  key: string;
  original: number | null;
  reproduced: number | null;
  /** reproduced − original (null when one side is missing). */
  difference: number | null;
  /** Wall-clock timings (`time_*_s`) are reported but not expected to match. */
  timing: boolean;
}

export interface ReproduceReport {
  run_id: string;
  run_name: string;
  reproduction_run_id: string;
  reproduction_run_name: string;
  pipeline: string;
  seed: number | null;
  data: {
    logged_hash: string;
    current_hash: string;
    matches: boolean;
    logged_source: string;
    current_source: string;
    dataset_dir: string | null;
    synthetic: { seed: number; seasons: number } | null;
  };
  features: { feature_set: string; version: string; n_features: number };
  metrics: MetricDifference[];
  /** Per-fold histories compared step by step: largest |difference| per key. */
  fold_histories: Array<{ key: string; steps: number; max_abs_difference: number | null }>;
  /** Largest |difference| over every non-timing metric and fold step. */
  max_abs_difference: number;
  identical: boolean;
}

interface LoggedLineage {
  feature_set: string;
  version: string;
  features: Array<{
    name: string;
    version: number;
    inputs: string[];
    transform: string;
    params: Record<string, number>;
  }>;
}

interface TrainingInfo {
  dataset?: { hash?: string; source?: string };
  dataset_dir?: string | null;
}

async function artifactJson<T>(store: TrackingStore, run: Run, file: string, why: string): Promise<T> {
  let bytes: Uint8Array;
  try {
    bytes = await store.downloadArtifact(run.info.runId, file);
  } catch {
    throw new InvalidParameterError(
      `Run ${run.info.runName} (${run.info.runId}) has no ${file}, so it cannot be reproduced: ${why}. Runs logged by 'propflow train' or 'propflow validate' carry it.`,
    );
  }
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (err) {
    throw new DataError(`${file} of run ${run.info.runId} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Today's definitions against the logged ones; throws naming the first feature that changed. */
export function checkLineage(lineage: LoggedLineage): void {
  const set = FEATURE_SETS[lineage.feature_set];
  if (!set) {
    throw new DataError(
      `The run's feature set '${lineage.feature_set}' no longer exists (known: ${Object.keys(FEATURE_SETS).join(', ')}); its features cannot be rebuilt.`,
    );
  }
  const now = new Map(set.features.map((f) => [f.name, f]));
  for (const f of lineage.features) {
    const cur = now.get(f.name);
    if (!cur) {
      throw new DataError(
        `Feature '${f.name}' (v${f.version}) of the run's set ${lineage.feature_set} is no longer in the set; the features cannot be rebuilt as logged.`,
      );
    }
    if (cur.version !== f.version) {
      throw new DataError(
        `Feature '${f.name}' changed: the run used definition version ${f.version}, propflow now has version ${cur.version}. Reproduce with the propflow version of the run (tag propflow.version / mlflow.source.git.commit).`,
      );
    }
    const same =
      cur.transform === f.transform &&
      JSON.stringify(cur.inputs) === JSON.stringify(f.inputs) &&
      JSON.stringify(cur.params) === JSON.stringify(f.params);
    if (!same) {
      throw new DataError(
        `Feature '${f.name}' v${f.version} is defined differently now (inputs, transform or params) than when the run was logged; the features cannot be rebuilt as logged.`,
      );
    }
  }
  const logged = new Set(lineage.features.map((f) => f.name));
  const added = set.features.filter((f) => !logged.has(f.name)).map((f) => f.name);
  if (added.length > 0) {
    throw new DataError(
      `Feature set ${lineage.feature_set} has features the run did not use: ${added.join(', ')}; the features cannot be rebuilt as logged.`,
    );
  }
}

function loadCurrentData(
  config: Record<string, unknown>,
  info: TrainingInfo,
  dataDir: string | undefined,
): { ds: Dataset; dir: string | null; synthetic: { seed: number; seasons: number } | null } {
  const data = (config['data'] ?? {}) as {
    dir?: string | null;
    synthetic?: { seed: number; seasons: number } | null;
  };
  const dir = dataDir ?? info.dataset_dir ?? data.dir ?? null;
  if (dir) {
    if (!existsSync(dir)) {
      throw new NotFoundError(
        `The run read the dataset folder ${dir}, which does not exist any more. Pass --data DIR with the same data (hash ${info.dataset?.hash ?? 'unknown'}).`,
      );
    }
    return { ds: readDataset(dir), dir, synthetic: null };
  }
  if (data.synthetic) return { ds: synthesizeLeague(data.synthetic), dir: null, synthetic: data.synthetic };
  throw new InvalidParameterError(
    'The run logged neither a dataset folder nor a synthetic league; pass --data DIR with the data it read.',
  );
}

const isTiming = (key: string) => /^time_.*_s$/.test(key) || key.endsWith('_seconds');

async function metricDiffs(store: TrackingStore, a: Run, b: Run) {
  const av = new Map(a.data.metrics.map((m) => [m.key, m.value]));
  const bv = new Map(b.data.metrics.map((m) => [m.key, m.value]));
  const keys = [...new Set([...av.keys(), ...bv.keys()])].sort();
  const metrics: MetricDifference[] = keys.map((key) => {
    const o = av.get(key) ?? null;
    const r = bv.get(key) ?? null;
    return {
      key,
      original: o,
      reproduced: r,
      difference: o === null || r === null ? null : r - o,
      timing: isTiming(key),
    };
  });
  const foldKeys = keys.filter((k) => k.startsWith('fold_') && !isTiming(k) && av.has(k) && bv.has(k));
  const fold_histories = await mapLimit(foldKeys, 8, async (key) => {
    const [ha, hb] = await Promise.all([
      metricHistory(store, a.info.runId, key),
      metricHistory(store, b.info.runId, key),
    ]);
    const sa = new Map(ha.map((m) => [m.step, m.value]));
    const sb = new Map(hb.map((m) => [m.step, m.value]));
    let max: number | null = 0;
    for (const s of new Set([...sa.keys(), ...sb.keys()])) {
      const x = sa.get(s);
      const y = sb.get(s);
      if (x === undefined || y === undefined) {
        max = null;
        break;
      }
      max = Math.max(max, Math.abs(y - x));
    }
    return { key, steps: Math.max(sa.size, sb.size), max_abs_difference: max };
  });
  return { metrics, fold_histories };
}

interface LoggedRun {
  run: Run;
  kind: PipelineKind;
  config: Record<string, unknown>;
  info: TrainingInfo;
  lineage: LoggedLineage;
  loggedHash: string;
  loggedSource: string;
}

/** What the run logged for a rerun: config, dataset, lineage; a clear refusal when something is missing. */
async function loggedRun(store: TrackingStore, ref: string): Promise<LoggedRun> {
  const run = await resolveRun(store, ref);
  const id = run.info.runId;
  const [config, info, lineage] = await Promise.all([
    artifactJson<Record<string, unknown>>(
      store,
      run,
      'pipeline_config.json',
      'it holds the config and seed to rerun',
    ),
    artifactJson<TrainingInfo>(store, run, 'training_info.json', 'it names the dataset and its hash'),
    artifactJson<LoggedLineage>(store, run, 'feature_lineage.json', 'it holds the feature definitions'),
  ]);
  const kind = (config['pipeline'] ?? tagOf(run, 'propflow.pipeline')) as string;
  if (!PIPELINE_KINDS.includes(kind as PipelineKind)) {
    throw new InvalidParameterError(
      `Run ${id}'s pipeline_config.json names pipeline '${kind}'; reproducible pipelines are ${PIPELINE_KINDS.join(', ')}.`,
    );
  }
  const loggedHash = info.dataset?.hash ?? tagOf(run, 'data_version');
  if (!loggedHash)
    throw new InvalidParameterError(`Run ${id} logged no dataset hash (training_info.json dataset.hash).`);
  const loggedSource = info.dataset?.source ?? '(unknown source)';
  return { run, kind: kind as PipelineKind, config, info, lineage, loggedHash, loggedSource };
}

/** Largest |difference| over non-timing metrics and fold steps; whether anything was missing on one side. */
function largestDifference(metrics: MetricDifference[], folds: ReproduceReport['fold_histories']) {
  let max = 0;
  let missing = false;
  for (const m of metrics) {
    if (m.timing) continue;
    if (m.difference === null) missing = true;
    else max = Math.max(max, Math.abs(m.difference));
  }
  for (const f of folds) {
    if (f.max_abs_difference === null) missing = true;
    else max = Math.max(max, f.max_abs_difference);
  }
  return { max, missing };
}

/** Reproduce a run (id or name) on `store`; see the module comment for the checks. */
export async function reproduceRun(
  store: TrackingStore,
  ref: string,
  options: ReproduceOptions,
): Promise<ReproduceReport> {
  const { run, kind, config, info, lineage, loggedHash, loggedSource } = await loggedRun(store, ref);
  const id = run.info.runId;
  const current = loadCurrentData(config, info, options.dataDir);
  const version = versionOf(current.ds);
  const matches = version.hash === loggedHash;
  if (!matches && !options.allowDataChange) {
    throw new DataError(
      `The data changed: run ${run.info.runName} (${id}) was trained on dataset ${loggedHash} (${loggedSource}${info.dataset_dir ? ` in ${info.dataset_dir}` : ''}), the data now has hash ${version.hash} (${version.source}${current.dir ? ` in ${current.dir}` : ''}). Pass --data DIR with the original data, or --allow-data-change to rerun on the new data anyway.`,
    );
  }
  checkLineage(lineage);
  options.out?.(
    `data ${version.hash.slice(0, 12)}${matches ? ' matches the run' : ` DIFFERS from the run's ${loggedHash.slice(0, 12)} (--allow-data-change)`}; features ${lineage.feature_set} ${lineage.version} (${lineage.features.length}) unchanged`,
  );
  // a reproduction does not register a model
  const rerunConfig = {
    ...config,
    registry: { ...((config['registry'] as object | undefined) ?? {}), register: false },
  };
  const result = await runPipeline(kind, rerunConfig, {
    store,
    trackingUri: options.trackingUri,
    ...(current.dir ? { dataDir: current.dir } : {}),
    ...(current.synthetic ? { synthetic: current.synthetic } : {}),
    extraTags: { [REPRODUCES_TAG]: id },
    ...(options.out ? { out: options.out } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const [a, b] = await Promise.all([store.getRun(id), store.getRun(result.runId)]);
  const { metrics, fold_histories } = await metricDiffs(store, a, b);
  const { max, missing } = largestDifference(metrics, fold_histories);
  return {
    run_id: id,
    run_name: run.info.runName,
    reproduction_run_id: result.runId,
    reproduction_run_name: result.runName,
    pipeline: kind,
    seed: typeof config['seed'] === 'number' ? config['seed'] : null,
    data: {
      logged_hash: loggedHash,
      current_hash: version.hash,
      matches,
      logged_source: loggedSource,
      current_source: version.source,
      dataset_dir: current.dir,
      synthetic: current.synthetic,
    },
    features: {
      feature_set: lineage.feature_set,
      version: lineage.version,
      n_features: lineage.features.length,
    },
    metrics,
    fold_histories,
    max_abs_difference: max,
    identical: max === 0 && !missing,
  };
}
