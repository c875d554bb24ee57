/**
 * Tracking and registry entities, exactly as MLflow has them (camelCase inside; the wire
 * module maps them to MLflow's snake_case JSON). Timestamps are milliseconds since the epoch.
 */

export type LifecycleStage = 'active' | 'deleted';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
/** Which lifecycle stages a search covers (MLflow's ViewType). */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';
export const MODEL_STAGES: readonly ModelStage[] = ['None', 'Staging', 'Production', 'Archived'];
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface Tag {
  key: string;
  value: string;
}

export interface Param {
  key: string;
  value: string;
}

export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
  /** MLflow 3: the logged model this value belongs to (also kept in the run's history). */
  modelId?: string;
}

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Tag[];
}

export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

export interface RunData {
  /** Latest value of each metric (highest step, then latest timestamp, then largest value). */
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: { datasetInputs: DatasetInput[] };
  /** MLflow 3: the logged models this run produced (`runs/outputs`). */
  outputs?: { modelOutputs: ModelOutput[] };
}

/** MLflow 3: a logged model recorded as an output of a run at a step. */
export interface ModelOutput {
  modelId: string;
  step: number;
}

export type LoggedModelStatus =
  | 'LOGGED_MODEL_STATUS_UNSPECIFIED'
  | 'LOGGED_MODEL_PENDING'
  | 'LOGGED_MODEL_READY'
  | 'LOGGED_MODEL_UPLOAD_FAILED';
export const LOGGED_MODEL_STATUSES: readonly LoggedModelStatus[] = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];

/** A metric of a logged model (MLflow 3 adds the run it was logged in). */
export interface LoggedModelMetric extends Metric {
  runId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

/**
 * MLflow 3 "logged model" (`/api/2.0/mlflow/logged-models`): a model artifact with its own
 * id (`m-<32 hex>`), stored under `<experiment artifact location>/models/<id>/artifacts`.
 */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  status: LoggedModelStatus;
  statusMessage?: string;
  modelType: string;
  /** Empty when the model was not logged from a run. */
  sourceRunId: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  tags: Tag[];
  params: Param[];
  metrics: LoggedModelMetric[];
}

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface ModelVersion {
  name: string;
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string;
  currentStage: ModelStage;
  description: string;
  source: string;
  runId: string;
  status: ModelVersionStatus;
  statusMessage: string;
  runLink: string;
  tags: Tag[];
  aliases: string[];
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string;
  description: string;
  /** The latest version in each stage. */
  latestVersions: ModelVersion[];
  tags: Tag[];
  aliases: RegisteredModelAlias[];
}

/** One page of search results; `nextPageToken` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** An entry of an artifact listing; paths are relative to the run's artifact root. */
export interface FileInfo {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

/** System tags MLflow sets and reads. */
export const MLFLOW_TAGS = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  source: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  parentRunId: 'mlflow.parentRunId',
  note: 'mlflow.note.content',
  loggedModels: 'mlflow.log-model.history',
} as const;
