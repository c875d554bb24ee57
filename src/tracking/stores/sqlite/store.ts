/**
 * The embedded store: one SQLite file (better-sqlite3, WAL, one transaction per write call)
 * plus a local artifact folder laid out as MLflow's `--artifacts-destination` proxy does:
 * `<artifactRoot>/<experimentId>/<runId>/artifacts/<path>`.
 *
 * `SqliteStore` composes one class per group of tables — experiments, runs, metrics, run
 * artifacts, the registry, logged models — over one shared connection (`db.ts`), and hands
 * each `TrackingStore` call to the class that owns it.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidParameterError, NotFoundError, PropflowError } from '../../../errors.js';
import type {
  DatasetInput,
  Experiment,
  FileInfo,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  ModelStage,
  ModelVersion,
  Page,
  Param,
  RegisteredModel,
  Run,
  RunInfo,
  Tag,
} from '../../entities.js';
import type {
  CreateLoggedModelOptions,
  CreateModelVersionOptions,
  CreateRunOptions,
  LogBatchOptions,
  LoggedModelStore,
  SearchExperimentsOptions,
  SearchLoggedModelsOptions,
  SearchModelsOptions,
  SearchRunsOptions,
  TrackingStore,
  UpdateRunOptions,
} from '../../store.js';
import { RunArtifacts } from './artifacts.js';
import { SqliteDb } from './db.js';
import { ExperimentTables } from './experiments.js';
import { ArtifactLocations } from './locations.js';
import { LoggedModelTables } from './logged-models.js';
import { MetricTables } from './metrics.js';
import { RegistryTables } from './registry.js';
import { RunTables } from './runs.js';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** The SQLite file (created with its folder on first use). */
  dbPath: string;
  /** The local folder artifacts are written to (created on first use). */
  artifactRoot: string;
  /**
   * How artifact locations are written: `'mlflow-artifacts:'` gives `mlflow-artifacts:/<exp>`
   * (a server proxying artifacts); otherwise `file://` URIs of the local folder.
   */
  artifactUriBase?: string;
  /** The URI reported as `store.uri` (default: `sqlite:///<dbPath>`). */
  uri?: string;
  /** Milliseconds a writer waits for a lock held by another process (default 10000). */
  busyTimeoutMs?: number;
  /**
   * For commands that only read: the database must exist (a clear error naming the path
   * and the command that creates one otherwise), and no folder, database or default
   * experiment is created.
   */
  readOnly?: boolean;
}

export class SqliteStore implements TrackingStore, LoggedModelStore {
  readonly uri: string;
  readonly dbPath: string;
  readonly artifactRoot: string;
  readonly artifactUriBase: string | undefined;
  /** Opened for a command that only reads: every write is refused. */
  readonly readOnly: boolean;
  private readonly db: SqliteDb;
  private readonly experiments: ExperimentTables;
  private readonly runs: RunTables;
  private readonly artifacts: RunArtifacts;
  private readonly registry: RegistryTables;
  private readonly loggedModels: LoggedModelTables;

  constructor(options: SqliteStoreOptions) {
    this.dbPath = path.resolve(options.dbPath);
    this.artifactRoot = path.resolve(options.artifactRoot);
    this.artifactUriBase = options.artifactUriBase;
    this.uri = options.uri ?? `sqlite:///${this.dbPath}`;
    const readOnly = options.readOnly === true;
    this.readOnly = readOnly;
    prepareDbPath(this.dbPath, this.uri, readOnly);
    this.db = new SqliteDb(this.dbPath, this.uri, options.busyTimeoutMs ?? 10_000, !readOnly);
    if (!readOnly) {
      try {
        makeFolder(this.artifactRoot, 'artifact folder');
      } catch (err) {
        this.db.close();
        throw err;
      }
    }
    const locations = new ArtifactLocations(this.artifactRoot, this.artifactUriBase);
    this.experiments = new ExperimentTables(this.db, locations);
    this.runs = new RunTables(this.db, this.experiments, new MetricTables(this.db));
    this.artifacts = new RunArtifacts(locations, this.runs);
    this.registry = new RegistryTables(this.db);
    this.loggedModels = new LoggedModelTables(this.db, this.experiments, this.runs);
    try {
      if (!readOnly) this.experiments.ensureDefaultExperiment();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  // ── experiments ────────────────────────────────────────────────────────────

  createExperiment(name: string, options?: { artifactLocation?: string; tags?: Tag[] }): Promise<string> {
    return this.experiments.createExperiment(name, options);
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.experiments.getExperiment(experimentId);
  }

  getExperimentByName(name: string): Promise<Experiment | null> {
    return this.experiments.getExperimentByName(name);
  }

  searchExperiments(options?: SearchExperimentsOptions): Promise<Page<Experiment>> {
    return this.experiments.searchExperiments(options);
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.experiments.renameExperiment(experimentId, newName);
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return this.experiments.deleteExperiment(experimentId);
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return this.experiments.restoreExperiment(experimentId);
  }

  setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    return this.experiments.setExperimentTag(experimentId, key, value);
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.experiments.deleteExperimentTag(experimentId, key);
  }

  // ── runs ───────────────────────────────────────────────────────────────────

  createRun(options: CreateRunOptions): Promise<Run> {
    return this.runs.createRun(options);
  }

  getRun(runId: string): Promise<Run> {
    return this.runs.getRun(runId);
  }

  updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    return this.runs.updateRun(runId, update);
  }

  deleteRun(runId: string): Promise<void> {
    return this.runs.deleteRun(runId);
  }

  restoreRun(runId: string): Promise<void> {
    return this.runs.restoreRun(runId);
  }

  searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    return this.runs.searchRuns(options);
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.runs.logMetric(runId, metric);
  }

  logParam(runId: string, param: Param): Promise<void> {
    return this.runs.logParam(runId, param);
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return this.runs.setTag(runId, tag);
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return this.runs.deleteTag(runId, key);
  }

  logBatch(runId: string, batch: LogBatchOptions): Promise<void> {
    return this.runs.logBatch(runId, batch);
  }

  logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    return this.runs.logInputs(runId, datasets);
  }

  getMetricHistory(
    runId: string,
    metricKey: string,
    options?: { maxResults?: number; pageToken?: string },
  ): Promise<Page<Metric>> {
    return this.runs.getMetricHistory(runId, metricKey, options);
  }

  // ── run artifacts ──────────────────────────────────────────────────────────

  async logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void> {
    this.assertWritable();
    return this.artifacts.logArtifact(runId, artifactPath, content);
  }

  async logArtifactsFrom(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    this.assertWritable();
    return this.artifacts.logArtifactsFrom(runId, localPath, artifactPath);
  }

  private assertWritable(): void {
    if (this.readOnly) {
      throw new PropflowError(
        `The tracking store ${this.uri} was opened read-only (for a command that only reads); it cannot write.`,
        'INVALID_STATE',
      );
    }
  }

  listArtifacts(runId: string, artifactPath?: string): Promise<FileInfo[]> {
    return this.artifacts.listArtifacts(runId, artifactPath);
  }

  downloadArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    return this.artifacts.downloadArtifact(runId, artifactPath);
  }

  // ── registered models ──────────────────────────────────────────────────────

  createRegisteredModel(
    name: string,
    options?: { tags?: Tag[]; description?: string },
  ): Promise<RegisteredModel> {
    return this.registry.createRegisteredModel(name, options);
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.registry.getRegisteredModel(name);
  }

  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.registry.renameRegisteredModel(name, newName);
  }

  updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    return this.registry.updateRegisteredModel(name, description);
  }

  deleteRegisteredModel(name: string): Promise<void> {
    return this.registry.deleteRegisteredModel(name);
  }

  searchRegisteredModels(options?: SearchModelsOptions): Promise<Page<RegisteredModel>> {
    return this.registry.searchRegisteredModels(options);
  }

  setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    return this.registry.setRegisteredModelTag(name, key, value);
  }

  deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.registry.deleteRegisteredModelTag(name, key);
  }

  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    return this.registry.setRegisteredModelAlias(name, alias, version);
  }

  deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return this.registry.deleteRegisteredModelAlias(name, alias);
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.registry.getModelVersionByAlias(name, alias);
  }

  getLatestVersions(name: string, stages?: ModelStage[]): Promise<ModelVersion[]> {
    return this.registry.getLatestVersions(name, stages);
  }

  // ── model versions ─────────────────────────────────────────────────────────

  createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    return this.registry.createModelVersion(name, options);
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.registry.getModelVersion(name, version);
  }

  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return this.registry.updateModelVersion(name, version, description);
  }

  deleteModelVersion(name: string, version: string): Promise<void> {
    return this.registry.deleteModelVersion(name, version);
  }

  searchModelVersions(options?: SearchModelsOptions): Promise<Page<ModelVersion>> {
    return this.registry.searchModelVersions(options);
  }

  transitionModelVersionStage(
    name: string,
    version: string,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    return this.registry.transitionModelVersionStage(name, version, stage, archiveExistingVersions);
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return this.registry.setModelVersionTag(name, version, key, value);
  }

  deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    return this.registry.deleteModelVersionTag(name, version, key);
  }

  getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return this.registry.getModelVersionDownloadUri(name, version);
  }

  // ── logged models (MLflow 3) ───────────────────────────────────────────────

  createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel> {
    return this.loggedModels.createLoggedModel(options);
  }

  getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.loggedModels.getLoggedModel(modelId);
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.loggedModels.finalizeLoggedModel(modelId, status);
  }

  searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>> {
    return this.loggedModels.searchLoggedModels(options);
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return this.loggedModels.setLoggedModelTags(modelId, tags);
  }

  logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    return this.loggedModels.logLoggedModelParams(modelId, params);
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return this.loggedModels.deleteLoggedModelTag(modelId, key);
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return this.loggedModels.deleteLoggedModel(modelId);
  }

  logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    return this.loggedModels.logOutputs(runId, models);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** `stat`, or undefined when nothing is there (also when a parent is a file: ENOTDIR). */
function statOrUndefined(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The nearest existing ancestor of `p` (itself included) and what it is. */
function nearestExisting(p: string): { at: string; isDir: boolean } {
  for (let at = p; ; at = path.dirname(at)) {
    const st = statOrUndefined(at);
    if (st) return { at, isDir: st.isDirectory() };
    if (path.dirname(at) === at) return { at, isDir: true };
  }
}

/** `mkdir -p` with the folder named when it cannot be made (a file in the way, no permission). */
function makeFolder(dir: string, what: string): void {
  const existing = nearestExisting(dir);
  if (!existing.isDir) {
    throw new InvalidParameterError(
      `Cannot create the ${what} ${dir}: ${existing.at} is a file, not a folder. Choose another path (--tracking-uri / MLFLOW_TRACKING_URI).`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new PropflowError(
      `Cannot create the ${what} ${dir} (${e.code ?? e.message}). Check the path and its permissions.`,
      e.code === 'EACCES' || e.code === 'EROFS' ? 'PERMISSION_DENIED' : 'IO_ERROR',
      { cause: err },
    );
  }
}

/**
 * Check the database path before SQLite sees it: a folder or a path through a file is an
 * error naming it; a read-only open needs the file to exist; otherwise its folder is made.
 */
function prepareDbPath(dbPath: string, uri: string, readOnly: boolean): void {
  const st = statOrUndefined(dbPath);
  if (st?.isDirectory()) {
    throw new InvalidParameterError(
      `The tracking database ${dbPath} (from ${uri}) is a folder, not a file. Name the database file, e.g. sqlite:///${path.join(dbPath, 'tracking.db')}.`,
    );
  }
  if (st) return;
  const existing = nearestExisting(path.dirname(dbPath));
  if (!existing.isDir) {
    throw new InvalidParameterError(
      `The tracking database ${dbPath} (from ${uri}) cannot exist: ${existing.at} is a file, not a folder. Choose another path (--tracking-uri / MLFLOW_TRACKING_URI).`,
    );
  }
  if (readOnly) {
    throw new NotFoundError(
      `There is no tracking store at ${dbPath} (from ${uri}). Create one by running \`propflow demo\` (npm start) or any command that logs a run, or point --tracking-uri / MLFLOW_TRACKING_URI at an existing store.`,
    );
  }
  makeFolder(path.dirname(dbPath), 'folder of the tracking database');
}
