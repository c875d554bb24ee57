/**
 * The fluent API for scripts: start a run in an experiment (created when missing), log
 * params, metrics (buffered and sent in batches), tags and artifacts, and end it.
 * `withRun` never leaves a run RUNNING: it ends FINISHED, or FAILED and rethrows. While any
 * run is active, SIGINT and SIGTERM end every active run KILLED (as MLflow does) and then
 * exit with 130 / 143; `endActiveRuns('FAILED')` is what a command line calls on an error.
 *
 * ```ts
 * await withRun({ experimentName: 'nba-props', runName: 'gbdt-v2' }, async (run) => {
 *   await run.logParams({ learning_rate: 0.05, max_depth: 6 });
 *   for (const [fold, mae] of foldMaes.entries()) run.logMetric('fold_mae', mae, fold); // buffered
 *   await run.logDict('config.yaml', config);
 * });
 * ```
 */
import { userInfo } from 'node:os';
import path from 'node:path';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { stringify as stringifyYaml } from 'yaml';
import { InvalidParameterError, PropflowError } from '../errors.js';
import type { Dataset, Metric, Run, RunInfo, RunStatus, Tag } from './entities.js';
import { MLFLOW_TAGS } from './entities.js';
import type { TrackingStore } from './store.js';
import { openStore } from './uri.js';
import { LIMITS } from './validation.js';

export type TagInput = Record<string, string | number | boolean> | Tag[];

export interface StartRunOptions {
  /** The store to log to (default: `openStore(trackingUri)`, closed again when the run ends). */
  store?: TrackingStore;
  /** Used when no `store` is given: explicit > `MLFLOW_TRACKING_URI` > the embedded default. */
  trackingUri?: string;
  /** Experiment to log to, created when missing (default `MLFLOW_EXPERIMENT_NAME`, else `Default`). */
  experimentName?: string;
  /** Experiment id, instead of a name (default `MLFLOW_EXPERIMENT_ID`). */
  experimentId?: string;
  runName?: string;
  tags?: TagInput;
  /** Default: the OS user. */
  userId?: string;
  /** Metrics buffered before a batch is sent (default and maximum 1000, MLflow's batch limit). */
  metricBatchSize?: number;
  /** Environment for the defaults above (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

function toTagList(tags: TagInput | undefined): Tag[] {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ key: t.key, value: String(t.value) }));
  return Object.entries(tags).map(([key, value]) => ({ key, value: String(value) }));
}

function currentUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The experiment id for a name, creating the experiment when it does not exist. */
export async function getOrCreateExperiment(store: TrackingStore, name: string): Promise<string> {
  const existing = await store.getExperimentByName(name);
  if (existing) {
    if (existing.lifecycleStage === 'deleted') {
      throw new InvalidParameterError(
        `Experiment '${name}' (id ${existing.experimentId}) is deleted. Restore it (restoreExperiment) or choose another name.`,
      );
    }
    return existing.experimentId;
  }
  try {
    return await store.createExperiment(name);
  } catch (err) {
    // Another process created it between our lookup and create (an AlreadyExistsError, or
    // the same code from a server).
    if (err instanceof PropflowError && err.code === 'RESOURCE_ALREADY_EXISTS') {
      const again = await store.getExperimentByName(name);
      if (again) return again.experimentId;
    }
    throw err;
  }
}

// ── runs are never left RUNNING ──────────────────────────────────────────────

/** The runs started in this process and not ended yet. */
const activeRuns = new Set<ActiveRun>();

/** How long the signal handler waits for the runs to be ended before exiting anyway. */
const SIGNAL_END_TIMEOUT_MS = 10_000;

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

let signalling = false;
const handlers = new Map<HandledSignal, () => void>();

function onSignal(signal: HandledSignal): void {
  const code = SIGNAL_EXIT_CODES[signal];
  // A second Ctrl-C while the runs are being ended: leave at once.
  if (signalling) process.exit(code);
  signalling = true;
  const n = activeRuns.size;
  process.stderr.write(`\n${signal}: ending ${n} active run${n === 1 ? '' : 's'} as KILLED…\n`);
  const timer = setTimeout(() => process.exit(code), SIGNAL_END_TIMEOUT_MS);
  timer.unref();
  endActiveRuns('KILLED').finally(() => process.exit(code));
}

/** Listen for SIGINT/SIGTERM only while a run is active: otherwise the default (exit) applies. */
function watchSignals(): void {
  if (handlers.size > 0) return;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]) {
    const handler = () => onSignal(signal);
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
}

function unwatchSignals(): void {
  if (activeRuns.size > 0 || signalling) return;
  for (const [signal, handler] of handlers) process.off(signal, handler);
  handlers.clear();
}

/**
 * End every run this process started and has not ended, with `status` (a command line
 * calls it with 'FAILED' when a command fails; the signal handler with 'KILLED'). Errors
 * while ending one run do not stop the others. Returns the ids of the runs it ended.
 */
export async function endActiveRuns(status: 'FAILED' | 'KILLED'): Promise<string[]> {
  const runs = [...activeRuns];
  await Promise.allSettled(runs.map((r) => r.end(status)));
  return runs.map((r) => r.runId);
}

/** A run being logged to. Metrics are buffered; params, tags and artifacts are sent at once. */
export class ActiveRun {
  readonly store: TrackingStore;
  readonly runId: string;
  readonly experimentId: string;
  /** The run as created. */
  readonly info: RunInfo;
  private readonly ownsStore: boolean;
  private readonly batchSize: number;
  private buffer: Metric[] = [];
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private ended = false;

  constructor(store: TrackingStore, run: Run, options: { ownsStore: boolean; metricBatchSize?: number }) {
    this.store = store;
    this.info = run.info;
    this.runId = run.info.runId;
    this.experimentId = run.info.experimentId;
    this.ownsStore = options.ownsStore;
    const size = options.metricBatchSize ?? LIMITS.metricsPerBatch;
    if (!Number.isInteger(size) || size < 1 || size > LIMITS.metricsPerBatch) {
      throw new InvalidParameterError(
        `metricBatchSize must be an integer from 1 to ${LIMITS.metricsPerBatch} (MLflow's batch limit), got ${size}.`,
      );
    }
    this.batchSize = size;
    activeRuns.add(this);
    watchSignals();
  }

  /** True once `end` was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  private assertOpen(what: string): void {
    if (this.ended) {
      throw new PropflowError(
        `Cannot ${what}: run ${this.runId} has ended. Start a new run.`,
        'INVALID_STATE',
      );
    }
  }

  async logParam(key: string, value: string | number | boolean): Promise<void> {
    this.assertOpen(`log param '${key}'`);
    await this.store.logParam(this.runId, { key, value: String(value) });
  }

  /** Params in batches of at most 100 (MLflow's limit). */
  async logParams(params: Record<string, string | number | boolean>): Promise<void> {
    this.assertOpen('log params');
    const list = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }));
    for (let i = 0; i < list.length; i += LIMITS.paramsPerBatch) {
      await this.store.logBatch(this.runId, { params: list.slice(i, i + LIMITS.paramsPerBatch) });
    }
  }

  /**
   * Buffer one metric value. A full buffer is sent in the background; `flush` and `end`
   * wait for every batch and throw the first error any of them met.
   */
  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.assertOpen(`log metric '${key}'`);
    if (typeof value !== 'number') {
      throw new InvalidParameterError(
        `Metric '${key}' must be a number, got ${typeof value} '${String(value)}'.`,
      );
    }
    if (!Number.isInteger(step)) {
      throw new InvalidParameterError(`Step of metric '${key}' must be an integer, got ${step}.`);
    }
    this.buffer.push({ key, value, step, timestamp });
    if (this.buffer.length >= this.batchSize) this.sendBuffered();
  }

  /** Buffer several metrics at one step. */
  logMetrics(metrics: Record<string, number>, step = 0, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, step, timestamp);
  }

  private sendBuffered(): void {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      this.pending = this.pending
        .then(() => this.store.logBatch(this.runId, { metrics: batch }))
        .catch((err: unknown) => {
          if (this.failure === undefined) this.failure = err;
        });
    }
  }

  /** Send buffered metrics now and wait for every batch; throws the first failure. */
  async flush(): Promise<void> {
    this.sendBuffered();
    await this.pending;
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }

  async setTag(key: string, value: string | number | boolean): Promise<void> {
    this.assertOpen(`set tag '${key}'`);
    await this.store.setTag(this.runId, { key, value: String(value) });
  }

  async setTags(tags: TagInput): Promise<void> {
    this.assertOpen('set tags');
    const list = toTagList(tags);
    for (let i = 0; i < list.length; i += LIMITS.tagsPerBatch) {
      await this.store.logBatch(this.runId, { tags: list.slice(i, i + LIMITS.tagsPerBatch) });
    }
  }

  /**
   * Record a dataset the run used (`log-inputs`), with its context (`training`, `validation`…)
   * as the `mlflow.data.context` input tag, as MLflow's `log_input` does.
   */
  async logInput(dataset: Dataset, context?: string, tags: TagInput = []): Promise<void> {
    this.assertOpen(`log input '${dataset.name}'`);
    const inputTags = toTagList(tags);
    if (context !== undefined) inputTags.push({ key: 'mlflow.data.context', value: context });
    await this.store.logInputs(this.runId, [{ tags: inputTags, dataset }]);
  }

  /** Write bytes or text to `artifactPath` inside the run's artifacts. */
  async logArtifact(artifactPath: string, content: Uint8Array | string): Promise<void> {
    this.assertOpen(`log artifact '${artifactPath}'`);
    await this.store.logArtifact(this.runId, artifactPath, content);
  }

  /** Upload a local file or folder (its contents) under `artifactPath` (default: the root). */
  async logArtifacts(localPath: string, artifactPath?: string): Promise<void> {
    this.assertOpen(`log artifacts from '${localPath}'`);
    await this.store.logArtifactsFrom(this.runId, localPath, artifactPath);
  }

  /** A JSON (`.json`) or YAML (`.yaml`/`.yml`) file from an object. */
  async logDict(artifactPath: string, value: unknown): Promise<void> {
    const ext = path.posix.extname(artifactPath).toLowerCase();
    let text: string;
    if (ext === '.json') text = `${JSON.stringify(value, null, 2)}\n`;
    else if (ext === '.yaml' || ext === '.yml') text = stringifyYaml(value);
    else {
      throw new InvalidParameterError(
        `logDict('${artifactPath}'): the file name must end in .json, .yaml or .yml to choose the format.`,
      );
    }
    await this.logArtifact(artifactPath, text);
  }

  /**
   * A table from rows: `.csv` (header = the union of the rows' keys, in first-seen order) or
   * `.json` in MLflow's `log_table` layout `{"columns": [...], "data": [[...], ...]}`.
   */
  async logTable(artifactPath: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    const columns: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      for (const key of Object.keys(row)) {
        if (!seen.has(key)) {
          seen.add(key);
          columns.push(key);
        }
      }
    }
    const data = rows.map((row) => columns.map((c) => row[c] ?? null));
    const ext = path.posix.extname(artifactPath).toLowerCase();
    if (ext === '.csv') {
      const cells = data.map((r) =>
        r.map((v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))),
      );
      await this.logArtifact(artifactPath, stringifyCsv([columns, ...cells]));
    } else if (ext === '.json') {
      await this.logArtifact(artifactPath, `${JSON.stringify({ columns, data })}\n`);
    } else {
      throw new InvalidParameterError(
        `logTable('${artifactPath}'): the file name must end in .csv or .json to choose the format.`,
      );
    }
  }

  /** A PNG image (checked by its signature). */
  async logImage(artifactPath: string, png: Uint8Array): Promise<void> {
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    if (png.length < 8 || signature.some((b, i) => png[i] !== b)) {
      throw new InvalidParameterError(`logImage('${artifactPath}'): the bytes are not a PNG image.`);
    }
    await this.logArtifact(artifactPath, png);
  }

  /** A figure: PNG bytes, or SVG text for a `.svg` path. */
  async logFigure(artifactPath: string, figure: Uint8Array | string): Promise<void> {
    if (typeof figure === 'string') {
      if (!artifactPath.toLowerCase().endsWith('.svg') || !figure.includes('<svg')) {
        throw new InvalidParameterError(
          `logFigure('${artifactPath}'): text figures must be SVG saved under a .svg name; pass PNG bytes otherwise.`,
        );
      }
      await this.logArtifact(artifactPath, figure);
      return;
    }
    await this.logImage(artifactPath, figure);
  }

  /**
   * Flush buffered metrics and set the final status and end time. Calling it again does
   * nothing. When the flush fails, the run still ends (FAILED) and the error is rethrown.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    activeRuns.delete(this);
    let flushError: unknown;
    try {
      await this.flush();
    } catch (err) {
      flushError = err;
      this.buffer = [];
    }
    try {
      await this.store.updateRun(this.runId, {
        status: flushError === undefined ? status : 'FAILED',
        endTime: Date.now(),
      });
    } finally {
      if (this.ownsStore) await this.store.close();
      unwatchSignals();
    }
    if (flushError !== undefined) throw flushError;
  }
}

/** Start a run; the experiment is created when it does not exist. */
export async function startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
  const env = options.env ?? process.env;
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore(options.trackingUri, { env }));
  try {
    let experimentId =
      options.experimentId ?? (options.experimentName ? undefined : env.MLFLOW_EXPERIMENT_ID);
    if (!experimentId) {
      const name = options.experimentName ?? env.MLFLOW_EXPERIMENT_NAME;
      experimentId = name ? await getOrCreateExperiment(store, name) : '0';
    }
    const userId = options.userId ?? currentUser();
    const tags = toTagList(options.tags);
    const has = (key: string) => tags.some((t) => t.key === key);
    if (!has(MLFLOW_TAGS.user)) tags.push({ key: MLFLOW_TAGS.user, value: userId });
    if (!has(MLFLOW_TAGS.source) && process.argv[1])
      tags.push({ key: MLFLOW_TAGS.source, value: path.basename(process.argv[1]) });
    if (!has(MLFLOW_TAGS.sourceType)) tags.push({ key: MLFLOW_TAGS.sourceType, value: 'LOCAL' });
    const run = await store.createRun({
      experimentId,
      userId,
      startTime: Date.now(),
      tags,
      ...(options.runName ? { runName: options.runName } : {}),
    });
    const runOptions: { ownsStore: boolean; metricBatchSize?: number } = { ownsStore };
    if (options.metricBatchSize !== undefined) runOptions.metricBatchSize = options.metricBatchSize;
    return new ActiveRun(store, run, runOptions);
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}

/**
 * Run `body` inside a run: it ends FINISHED when the body resolves, and FAILED (then the
 * error is rethrown) when it throws — the run is never left RUNNING.
 */
export async function withRun<T>(options: StartRunOptions, body: (run: ActiveRun) => Promise<T>): Promise<T> {
  const run = await startRun(options);
  let result: T;
  try {
    result = await body(run);
  } catch (err) {
    await run.end('FAILED').catch(() => undefined);
    throw err;
  }
  await run.end('FINISHED');
  return result;
}
