/**
 * Converters between MLflow's snake_case wire objects and propflow's camelCase entities.
 * Encoding follows protobuf JSON as MLflow emits it: empty lists and unset optional fields
 * are left out, non-finite doubles become `"NaN"`/`"Infinity"`/`"-Infinity"`.
 */
import type { z } from 'zod';
import type {
  DatasetInput,
  Experiment,
  FileInfo,
  LoggedModel,
  LoggedModelMetric,
  Metric,
  ModelOutput,
  ModelStage,
  ModelVersion,
  Param,
  RegisteredModel,
  Run,
  RunInfo,
  Tag,
} from '../entities.js';
import type {
  wireDatasetInput,
  wireExperiment,
  wireFileInfo,
  wireLoggedModel,
  wireMetric,
  wireModelVersion,
  wireOrderBy,
  wireRegisteredModel,
  wireRun,
  wireRunInfo,
} from './schemas.js';

type Out<T extends z.ZodType> = z.output<T>;

/** A JSON object as MLflow sends it. */
export type Json = Record<string, unknown>;

// ── search requests ─────────────────────────────────────────────────────────

/** The filter, ordering and paging fields every search shares, as the store interface names them. */
export interface SearchFields {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/** Search fields as MLflow's search requests carry them (unset ones left out by the request builder). */
export function searchFieldsToWire(o: SearchFields): Json {
  return { filter: o.filter, max_results: o.maxResults, order_by: o.orderBy, page_token: o.pageToken };
}

/** The search fields of a decoded search request (absent fields stay absent). */
export function searchFieldsFromWire(req: {
  filter?: string | undefined;
  order_by?: string[] | undefined;
  max_results?: number | undefined;
  page_token?: string | undefined;
}): SearchFields {
  const out: SearchFields = {};
  if (req.filter !== undefined) out.filter = req.filter;
  if (req.order_by !== undefined) out.orderBy = req.order_by;
  if (req.max_results !== undefined) out.maxResults = req.max_results;
  if (req.page_token !== undefined) out.pageToken = req.page_token;
  return out;
}

/** `name ASC` → the `{field_name, ascending}` entry a logged-model search sends. */
export function loggedModelOrderByToWire(clause: string): { field_name: string; ascending: boolean } {
  const m = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause);
  return { field_name: m?.[1] ?? clause, ascending: (m?.[2] ?? 'ASC').toUpperCase() === 'ASC' };
}

/** A logged-model search's order-by entry (an object, or a `name ASC` string) as a clause. */
export function loggedModelOrderByFromWire(entry: string | Out<typeof wireOrderBy>): string {
  if (typeof entry === 'string') return entry;
  return `${entry.field_name} ${entry.ascending === false ? 'DESC' : 'ASC'}`;
}

// ── decoding (wire → entity) ────────────────────────────────────────────────

export function tagsFromWire(tags: ReadonlyArray<{ key: string; value: string }> | undefined): Tag[] {
  return (tags ?? []).map((t) => ({ key: t.key, value: t.value }));
}

export function metricFromWire(m: Out<typeof wireMetric>): Metric {
  return {
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
    step: m.step ?? 0,
    ...(m.model_id !== undefined ? { modelId: m.model_id } : {}),
  };
}

export function loggedModelMetricFromWire(m: Out<typeof wireMetric>): LoggedModelMetric {
  return {
    ...metricFromWire(m),
    ...(m.run_id !== undefined ? { runId: m.run_id } : {}),
    ...(m.dataset_name !== undefined ? { datasetName: m.dataset_name } : {}),
    ...(m.dataset_digest !== undefined ? { datasetDigest: m.dataset_digest } : {}),
  };
}

export function loggedModelFromWire(m: Out<typeof wireLoggedModel>): LoggedModel {
  const i = m.info;
  return {
    modelId: i.model_id,
    experimentId: i.experiment_id,
    name: i.name,
    artifactUri: i.artifact_uri ?? '',
    status: i.status ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
    ...(i.status_message !== undefined ? { statusMessage: i.status_message } : {}),
    modelType: i.model_type ?? '',
    sourceRunId: i.source_run_id ?? '',
    creationTimestampMs: i.creation_timestamp_ms ?? 0,
    lastUpdatedTimestampMs: i.last_updated_timestamp_ms ?? 0,
    tags: tagsFromWire(i.tags),
    params: (m.data?.params ?? []).map((p): Param => ({ key: p.key, value: p.value })),
    metrics: (m.data?.metrics ?? []).map(loggedModelMetricFromWire),
  };
}

export function experimentFromWire(e: Out<typeof wireExperiment>): Experiment {
  return {
    experimentId: e.experiment_id,
    name: e.name,
    artifactLocation: e.artifact_location ?? '',
    lifecycleStage: e.lifecycle_stage ?? 'active',
    creationTime: e.creation_time ?? 0,
    lastUpdateTime: e.last_update_time ?? 0,
    tags: tagsFromWire(e.tags),
  };
}

export function runInfoFromWire(i: Out<typeof wireRunInfo>): RunInfo {
  return {
    runId: i.run_id ?? i.run_uuid ?? '',
    runName: i.run_name ?? '',
    experimentId: i.experiment_id,
    userId: i.user_id ?? '',
    status: i.status ?? 'RUNNING',
    startTime: i.start_time ?? 0,
    endTime: i.end_time ?? null,
    artifactUri: i.artifact_uri ?? '',
    lifecycleStage: i.lifecycle_stage ?? 'active',
  };
}

export function datasetInputFromWire(d: Out<typeof wireDatasetInput>): DatasetInput {
  const ds = d.dataset;
  return {
    tags: tagsFromWire(d.tags),
    dataset: {
      name: ds.name,
      digest: ds.digest,
      sourceType: ds.source_type,
      source: ds.source,
      ...(ds.schema !== undefined ? { schema: ds.schema } : {}),
      ...(ds.profile !== undefined ? { profile: ds.profile } : {}),
    },
  };
}

export function runFromWire(r: Out<typeof wireRun>): Run {
  return {
    info: runInfoFromWire(r.info),
    data: {
      metrics: (r.data?.metrics ?? []).map(metricFromWire),
      params: (r.data?.params ?? []).map((p): Param => ({ key: p.key, value: p.value })),
      tags: tagsFromWire(r.data?.tags),
    },
    inputs: { datasetInputs: (r.inputs?.dataset_inputs ?? []).map(datasetInputFromWire) },
    ...(r.outputs !== undefined
      ? {
          outputs: {
            modelOutputs: (r.outputs.model_outputs ?? []).map(
              (o): ModelOutput => ({ modelId: o.model_id, step: o.step ?? 0 }),
            ),
          },
        }
      : {}),
  };
}

export function modelVersionFromWire(v: Out<typeof wireModelVersion>): ModelVersion {
  return {
    name: v.name,
    version: v.version,
    creationTimestamp: v.creation_timestamp ?? 0,
    lastUpdatedTimestamp: v.last_updated_timestamp ?? 0,
    userId: v.user_id ?? '',
    currentStage: (v.current_stage ?? 'None') as ModelStage,
    description: v.description ?? '',
    source: v.source ?? '',
    runId: v.run_id ?? '',
    status: v.status ?? 'READY',
    statusMessage: v.status_message ?? '',
    runLink: v.run_link ?? '',
    tags: tagsFromWire(v.tags),
    aliases: [...(v.aliases ?? [])],
  };
}

export function registeredModelFromWire(m: Out<typeof wireRegisteredModel>): RegisteredModel {
  return {
    name: m.name,
    creationTimestamp: m.creation_timestamp ?? 0,
    lastUpdatedTimestamp: m.last_updated_timestamp ?? 0,
    userId: m.user_id ?? '',
    description: m.description ?? '',
    latestVersions: (m.latest_versions ?? []).map(modelVersionFromWire),
    tags: tagsFromWire(m.tags),
    aliases: (m.aliases ?? []).map((a) => ({ alias: a.alias, version: a.version })),
  };
}

export function fileInfoFromWire(f: Out<typeof wireFileInfo>): FileInfo {
  return {
    path: f.path,
    isDir: f.is_dir ?? false,
    ...(f.file_size !== undefined ? { fileSize: f.file_size } : {}),
  };
}

// ── encoding (entity → wire) ────────────────────────────────────────────────

/** protobuf JSON for a double: non-finite values as strings. */
export function doubleToWire(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

function listField<T>(key: string, items: readonly T[] | undefined, map: (item: T) => unknown): Json {
  return items && items.length > 0 ? { [key]: items.map(map) } : {};
}

export function tagToWire(t: Tag): Json {
  return { key: t.key, value: t.value };
}

export function metricToWire(m: Metric | LoggedModelMetric): Json {
  const lm = m as LoggedModelMetric;
  return {
    key: m.key,
    value: doubleToWire(m.value),
    timestamp: m.timestamp,
    step: m.step,
    ...(m.modelId !== undefined ? { model_id: m.modelId } : {}),
    ...(lm.runId !== undefined ? { run_id: lm.runId } : {}),
    ...(lm.datasetName !== undefined ? { dataset_name: lm.datasetName } : {}),
    ...(lm.datasetDigest !== undefined ? { dataset_digest: lm.datasetDigest } : {}),
  };
}

export function loggedModelToWire(m: LoggedModel): Json {
  return {
    info: {
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: m.creationTimestampMs,
      last_updated_timestamp_ms: m.lastUpdatedTimestampMs,
      artifact_uri: m.artifactUri,
      status: m.status,
      ...(m.statusMessage ? { status_message: m.statusMessage } : {}),
      model_type: m.modelType,
      ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
      ...listField('tags', m.tags, tagToWire),
    },
    data: {
      ...listField('params', m.params, tagToWire),
      ...listField('metrics', m.metrics, metricToWire),
    },
  };
}

export function experimentToWire(e: Experiment): Json {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    ...listField('tags', e.tags, tagToWire),
  };
}

export function runInfoToWire(i: RunInfo): Json {
  return {
    run_uuid: i.runId,
    experiment_id: i.experimentId,
    run_name: i.runName,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    ...(i.endTime !== null ? { end_time: i.endTime } : {}),
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
    run_id: i.runId,
  };
}

export function datasetInputToWire(d: DatasetInput): Json {
  const ds = d.dataset;
  return {
    ...listField('tags', d.tags, tagToWire),
    dataset: {
      name: ds.name,
      digest: ds.digest,
      source_type: ds.sourceType,
      source: ds.source,
      ...(ds.schema !== undefined ? { schema: ds.schema } : {}),
      ...(ds.profile !== undefined ? { profile: ds.profile } : {}),
    },
  };
}

export function runToWire(r: Run): Json {
  const outputs = r.outputs?.modelOutputs;
  return {
    info: runInfoToWire(r.info),
    data: {
      ...listField('metrics', r.data.metrics, metricToWire),
      ...listField('params', r.data.params, tagToWire),
      ...listField('tags', r.data.tags, tagToWire),
    },
    inputs: { ...listField('dataset_inputs', r.inputs.datasetInputs, datasetInputToWire) },
    outputs: { ...listField('model_outputs', outputs, (o) => ({ model_id: o.modelId, step: o.step })) },
  };
}

export function modelVersionToWire(v: ModelVersion): Json {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    ...(v.userId ? { user_id: v.userId } : {}),
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    run_id: v.runId,
    status: v.status,
    ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
    ...listField('tags', v.tags, tagToWire),
    run_link: v.runLink,
    ...listField('aliases', v.aliases, (a) => a),
  };
}

export function registeredModelToWire(m: RegisteredModel): Json {
  return {
    name: m.name,
    creation_timestamp: m.creationTimestamp,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    ...(m.userId ? { user_id: m.userId } : {}),
    ...(m.description ? { description: m.description } : {}),
    ...listField('latest_versions', m.latestVersions, modelVersionToWire),
    ...listField('tags', m.tags, tagToWire),
    ...listField('aliases', m.aliases, (a) => ({ alias: a.alias, version: a.version })),
  };
}

export function fileInfoToWire(f: FileInfo): Json {
  return {
    path: f.path,
    is_dir: f.isDir,
    ...(f.fileSize !== undefined && !f.isDir ? { file_size: f.fileSize } : {}),
  };
}
