/**
 * The one interface every tracking backend implements: the embedded SQLite store and the
 * MLflow REST store. Everything above `tracking/` (registry workflow, tracker, server)
 * uses only this interface, so it runs unchanged on a real MLflow server.
 *
 * Errors are `PropflowError`s with MLflow's error codes (see `src/errors.ts`).
 */
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
  RunStatus,
  Tag,
  ViewType,
} from './entities.js';

export interface SearchExperimentsOptions {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  /** MLflow filter grammar: `metrics.x < 6 and params.y = 'z' and attributes.status = 'FINISHED'`. */
  filter?: string;
  /** e.g. `metrics.val_mae ASC`, `attributes.start_time DESC`. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

export interface CreateRunOptions {
  experimentId: string;
  runName?: string;
  startTime?: number;
  userId?: string;
  tags?: Tag[];
}

export interface UpdateRunOptions {
  status?: RunStatus;
  endTime?: number;
  runName?: string;
}

export interface LogBatchOptions {
  metrics?: Metric[];
  params?: Param[];
  tags?: Tag[];
}

export interface SearchModelsOptions {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

export interface CreateModelVersionOptions {
  source: string;
  runId?: string;
  tags?: Tag[];
  runLink?: string;
  description?: string;
  /** MLflow 3: the logged model this version was registered from. */
  modelId?: string;
}

export interface TrackingStore {
  /** The URI this store was opened from (`sqlite:///…`, `http://…`). */
  readonly uri: string;

  // ── experiments ────────────────────────────────────────────────────────────
  createExperiment(name: string, options?: { artifactLocation?: string; tags?: Tag[] }): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** `null` when no experiment has that name (active or deleted). */
  getExperimentByName(name: string): Promise<Experiment | null>;
  searchExperiments(options?: SearchExperimentsOptions): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  /** Remove a tag of an active experiment; a tag that is not set is RESOURCE_DOES_NOT_EXIST (MLflow 3). */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  // ── runs ───────────────────────────────────────────────────────────────────
  createRun(options: CreateRunOptions): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  searchRuns(options: SearchRunsOptions): Promise<Page<Run>>;
  logMetric(runId: string, metric: Metric): Promise<void>;
  logParam(runId: string, param: Param): Promise<void>;
  setTag(runId: string, tag: Tag): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** Params, metrics and tags in one call; the REST store splits it into chunks within MLflow's limits. */
  logBatch(runId: string, batch: LogBatchOptions): Promise<void>;
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void>;
  getMetricHistory(
    runId: string,
    metricKey: string,
    options?: { maxResults?: number; pageToken?: string },
  ): Promise<Page<Metric>>;

  // ── artifacts (relative to the run's artifact root) ─────────────────────────
  logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void>;
  /** Upload a local file or a whole folder under `artifactPath` (default: the root). */
  logArtifactsFrom(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  listArtifacts(runId: string, path?: string): Promise<FileInfo[]>;
  downloadArtifact(runId: string, artifactPath: string): Promise<Uint8Array>;

  // ── registered models ──────────────────────────────────────────────────────
  createRegisteredModel(
    name: string,
    options?: { tags?: Tag[]; description?: string },
  ): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string): Promise<RegisteredModel>;
  deleteRegisteredModel(name: string): Promise<void>;
  searchRegisteredModels(options?: SearchModelsOptions): Promise<Page<RegisteredModel>>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  /** An alias that is not set is INVALID_PARAMETER_VALUE `Registered model alias <alias> not found.` (MLflow). */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  /** Latest version per stage (all stages when `stages` is empty or absent). */
  getLatestVersions(name: string, stages?: ModelStage[]): Promise<ModelVersion[]>;

  // ── model versions ─────────────────────────────────────────────────────────
  createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion>;
  deleteModelVersion(name: string, version: string): Promise<void>;
  searchModelVersions(options?: SearchModelsOptions): Promise<Page<ModelVersion>>;
  transitionModelVersionStage(
    name: string,
    version: string,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;

  /** Release files and connections. */
  close(): Promise<void>;
}

export interface CreateLoggedModelOptions {
  experimentId: string;
  name?: string;
  sourceRunId?: string;
  modelType?: string;
  tags?: Tag[];
  params?: Param[];
}

export interface SearchLoggedModelsOptions {
  experimentIds: string[];
  /** `name = 'model'`, `source_run_id = '…'`, `status = 'LOGGED_MODEL_READY'`, `tags.k = 'v'`, `params.k = 'v'`, `metrics.x < 1`. */
  filter?: string;
  /** e.g. `creation_timestamp DESC`, `name ASC`. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/**
 * MLflow 3 "logged models" (`/api/2.0/mlflow/logged-models`, `runs/outputs`). Optional: a
 * store offers it when `isLoggedModelStore(store)` is true (MLflow 2 servers do not).
 */
export interface LoggedModelStore {
  createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel>;
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  /** Set the final status (`LOGGED_MODEL_READY` or `LOGGED_MODEL_UPLOAD_FAILED`). */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>>;
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
  /** Add params after creation; a param logged again must keep its value (as run params). */
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  deleteLoggedModel(modelId: string): Promise<void>;
  /** Record logged models as outputs of a run (`runs/outputs`). */
  logOutputs(runId: string, models: ModelOutput[]): Promise<void>;
}

/** True when the store also implements MLflow 3 logged models. */
export function isLoggedModelStore<T extends TrackingStore>(store: T): store is T & LoggedModelStore {
  const s = store as Partial<LoggedModelStore>;
  return typeof s.createLoggedModel === 'function' && typeof s.logOutputs === 'function';
}
