/**
 * The REST store: `TrackingStore` (and MLflow 3 logged models) over MLflow's REST API, for a
 * real MLflow tracking server or `propflow server`. Requests are built from the shared wire
 * module; artifacts go through the mlflow-artifacts proxy API.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { InvalidParameterError, NotFoundError, PropflowError } from '../../../errors.js';
import { normalizeArtifactPath } from '../../artifacts/local.js';
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
import {
  ARTIFACTS_PREFIX,
  buildRequest,
  datasetInputToWire,
  type EndpointName,
  endpoints,
  experimentFromWire,
  fileInfoFromWire,
  listArtifactsResponse,
  loggedModelFromWire,
  loggedModelOrderByToWire,
  metricFromWire,
  metricToWire,
  mlflowArtifactsPath,
  modelVersionFromWire,
  type ResponseOf,
  registeredModelFromWire,
  runFromWire,
  runInfoFromWire,
  searchFieldsToWire,
  tagToWire,
} from '../../wire/index.js';
import { HttpClient, parseJsonAnswer, type RestStoreOptions } from './client.js';

/** MLflow's per-request limits for `runs/log-batch`. */
export const LOG_BATCH_LIMITS = {
  params: 100,
  tags: 100,
  metrics: 1000,
  total: 1000,
  /** Stay under the server's 1 MB body limit with room for the envelope. */
  bytes: 900_000,
} as const;

type BatchItem =
  | { kind: 'params'; wire: Record<string, unknown> }
  | { kind: 'tags'; wire: Record<string, unknown> }
  | { kind: 'metrics'; wire: Record<string, unknown> };

/**
 * Split a batch into requests within MLflow's limits (100 params, 100 tags, 1000 metrics,
 * 1000 entities, and under 1 MB of JSON), keeping the order within each kind.
 */
export function chunkBatch(batch: LogBatchOptions): Array<{
  params: Array<Record<string, unknown>>;
  tags: Array<Record<string, unknown>>;
  metrics: Array<Record<string, unknown>>;
}> {
  const items: BatchItem[] = [
    ...(batch.params ?? []).map((p): BatchItem => ({ kind: 'params', wire: tagToWire(p) })),
    ...(batch.tags ?? []).map((t): BatchItem => ({ kind: 'tags', wire: tagToWire(t) })),
    ...(batch.metrics ?? []).map((m): BatchItem => ({ kind: 'metrics', wire: metricToWire(m) })),
  ];
  const chunks: ReturnType<typeof chunkBatch> = [];
  let current = { params: [], tags: [], metrics: [] } as ReturnType<typeof chunkBatch>[number];
  let count = 0;
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(item.wire).length + 1;
    const full =
      count >= LOG_BATCH_LIMITS.total ||
      current[item.kind].length >= LOG_BATCH_LIMITS[item.kind] ||
      (count > 0 && bytes + size > LOG_BATCH_LIMITS.bytes);
    if (full) {
      chunks.push(current);
      current = { params: [], tags: [], metrics: [] };
      count = 0;
      bytes = 0;
    }
    current[item.kind].push(item.wire);
    count++;
    bytes += size;
  }
  if (count > 0) chunks.push(current);
  return chunks;
}

/** Path of an artifact below the mlflow-artifacts root, from an `mlflow-artifacts:` URI. */
function artifactsBase(artifactUri: string, what: string): string {
  const base = mlflowArtifactsPath(artifactUri);
  if (base === null) {
    throw new PropflowError(
      `${what} stores its artifacts at '${artifactUri}', which this client cannot reach through the tracking server. ` +
        'Start the MLflow server with --serve-artifacts (or use propflow server) so artifacts use mlflow-artifacts:/ URIs.',
      'NOT_IMPLEMENTED',
    );
  }
  return base;
}

function joinArtifactPath(...parts: Array<string | undefined>): string {
  return parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export class RestStore implements TrackingStore, LoggedModelStore {
  readonly uri: string;
  private readonly http: HttpClient;
  private readonly artifactUris = new Map<string, string>();

  constructor(uri: string, options: RestStoreOptions = {}) {
    this.uri = uri;
    this.http = new HttpClient(uri, options);
  }

  /** Call one endpoint and decode its answer with the endpoint's response schema. */
  private async call<N extends EndpointName>(
    name: N,
    fields: Record<string, unknown>,
    pathParams?: Record<string, string>,
  ): Promise<ResponseOf<N>> {
    const ep = endpoints[name];
    const json = await this.http.json(buildRequest(ep, fields, pathParams), name);
    const parsed = (ep.response as z.ZodType).safeParse(json);
    if (!parsed.success) {
      throw new PropflowError(
        `${name}: the server's answer does not have MLflow's shape (${parsed.error.issues[0]?.message ?? 'invalid'} at '${parsed.error.issues[0]?.path.join('.') ?? ''}').`,
        'INTERNAL_ERROR',
      );
    }
    return parsed.data as ResponseOf<N>;
  }

  // ── experiments ────────────────────────────────────────────────────────────

  async createExperiment(
    name: string,
    options: { artifactLocation?: string; tags?: Tag[] } = {},
  ): Promise<string> {
    const res = await this.call('createExperiment', {
      name,
      artifact_location: options.artifactLocation,
      tags: options.tags?.map(tagToWire),
    });
    return res.experiment_id;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.call('getExperiment', { experiment_id: experimentId });
    return experimentFromWire(res.experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const res = await this.call('getExperimentByName', { experiment_name: name });
      return experimentFromWire(res.experiment);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const res = await this.call('searchExperiments', {
      ...searchFieldsToWire({ ...options, maxResults: options.maxResults ?? 1000 }),
      view_type: options.viewType ?? 'ACTIVE_ONLY',
    });
    return page((res.experiments ?? []).map(experimentFromWire), res.next_page_token);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.call('updateExperiment', { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.call('deleteExperiment', { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.call('restoreExperiment', { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.call('setExperimentTag', { experiment_id: experimentId, key, value });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.call('deleteExperimentTag', { experiment_id: experimentId, key });
  }

  // ── runs ───────────────────────────────────────────────────────────────────

  async createRun(options: CreateRunOptions): Promise<Run> {
    const res = await this.call('createRun', {
      experiment_id: options.experimentId,
      user_id: options.userId,
      run_name: options.runName,
      start_time: options.startTime ?? Date.now(),
      tags: options.tags?.map(tagToWire),
    });
    return runFromWire(res.run);
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.call('getRun', { run_uuid: runId, run_id: runId });
    const run = runFromWire(res.run);
    this.artifactUris.set(runId, run.info.artifactUri);
    return run;
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    const res = await this.call('updateRun', {
      run_uuid: runId,
      status: update.status,
      end_time: update.endTime,
      run_name: update.runName,
      run_id: runId,
    });
    return runInfoFromWire(res.run_info);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.call('deleteRun', { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.call('restoreRun', { run_id: runId });
  }

  async searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    const res = await this.call('searchRuns', {
      experiment_ids: options.experimentIds,
      run_view_type: options.viewType ?? 'ACTIVE_ONLY',
      ...searchFieldsToWire({
        ...options,
        filter: options.filter ?? '',
        maxResults: options.maxResults ?? 1000,
      }),
    });
    return page((res.runs ?? []).map(runFromWire), res.next_page_token);
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    const wire = metricToWire(metric);
    await this.call('logMetric', { run_uuid: runId, ...wire, run_id: runId });
  }

  async logParam(runId: string, param: Param): Promise<void> {
    await this.call('logParam', { run_uuid: runId, key: param.key, value: param.value, run_id: runId });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    await this.call('setTag', { run_uuid: runId, key: tag.key, value: tag.value, run_id: runId });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.call('deleteTag', { run_id: runId, key });
  }

  async logBatch(runId: string, batch: LogBatchOptions): Promise<void> {
    for (const chunk of chunkBatch(batch)) {
      await this.call('logBatch', {
        run_id: runId,
        ...(chunk.metrics.length > 0 ? { metrics: chunk.metrics } : {}),
        ...(chunk.params.length > 0 ? { params: chunk.params } : {}),
        ...(chunk.tags.length > 0 ? { tags: chunk.tags } : {}),
      });
    }
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.call('logInputs', { run_id: runId, datasets: datasets.map(datasetInputToWire) });
  }

  async getMetricHistory(
    runId: string,
    metricKey: string,
    options: { maxResults?: number; pageToken?: string } = {},
  ): Promise<Page<Metric>> {
    const fetchPage = async (token: string | undefined, max: number) => {
      const res = await this.call('getMetricHistory', {
        run_uuid: runId,
        metric_key: metricKey,
        run_id: runId,
        max_results: max,
        page_token: token,
      });
      return page((res.metrics ?? []).map(metricFromWire), res.next_page_token);
    };
    if (options.maxResults !== undefined || options.pageToken !== undefined) {
      return fetchPage(options.pageToken, options.maxResults ?? 25_000);
    }
    const items: Metric[] = [];
    let token: string | undefined;
    do {
      const p = await fetchPage(token, 25_000);
      items.push(...p.items);
      token = p.nextPageToken;
    } while (token);
    return { items };
  }

  // ── artifacts ──────────────────────────────────────────────────────────────

  private async runArtifactsBase(runId: string): Promise<string> {
    const uri = this.artifactUris.get(runId) ?? (await this.getRun(runId)).info.artifactUri;
    return artifactsBase(uri, `Run '${runId}'`);
  }

  async logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void> {
    const rel = normalizeArtifactPath(artifactPath);
    if (rel === '')
      throw new InvalidParameterError(`logArtifact: the artifact path for run '${runId}' is empty.`);
    const base = await this.runArtifactsBase(runId);
    await this.putArtifact(joinArtifactPath(base, rel), content);
  }

  private async putArtifact(fullPath: string, content: Uint8Array | string): Promise<void> {
    const url = this.http.url(`api/2.0/${ARTIFACTS_PREFIX}/${encodePath(fullPath)}`);
    const res = await this.http.send('PUT', url, content, 'application/octet-stream', 'uploadArtifact');
    parseJsonAnswer(res, `uploadArtifact '${fullPath}'`);
  }

  async logArtifactsFrom(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const info = await stat(localPath).catch(() => {
      throw new NotFoundError(`logArtifactsFrom: no file or folder at '${localPath}'.`);
    });
    const base = await this.runArtifactsBase(runId);
    artifactPath = normalizeArtifactPath(artifactPath);
    if (info.isFile()) {
      await this.putArtifact(
        joinArtifactPath(base, artifactPath, path.basename(localPath)),
        await readFile(localPath),
      );
      return;
    }
    const entries = await readdir(localPath, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const rel = path.relative(localPath, full).split(path.sep).join('/');
      await this.putArtifact(joinArtifactPath(base, artifactPath, rel), await readFile(full));
    }
  }

  async listArtifacts(runId: string, dir?: string): Promise<FileInfo[]> {
    const base = await this.runArtifactsBase(runId);
    return this.listArtifactsAt(base, normalizeArtifactPath(dir));
  }

  private async listArtifactsAt(base: string, rel: string): Promise<FileInfo[]> {
    const url = this.http.url(`api/2.0/${ARTIFACTS_PREFIX}`, [['path', joinArtifactPath(base, rel)]]);
    const res = await this.http.send('GET', url, undefined, undefined, 'listArtifacts');
    const parsed = listArtifactsResponse.parse(parseJsonAnswer(res, `listArtifacts '${rel}'`));
    return (parsed.files ?? []).map((f) => {
      const info = fileInfoFromWire(f);
      return { ...info, path: joinArtifactPath(rel, path.posix.basename(info.path)) };
    });
  }

  async downloadArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    const base = await this.runArtifactsBase(runId);
    return this.downloadAt(joinArtifactPath(base, normalizeArtifactPath(artifactPath)));
  }

  private async downloadAt(fullPath: string): Promise<Uint8Array> {
    const url = this.http.url(`api/2.0/${ARTIFACTS_PREFIX}/${encodePath(fullPath)}`);
    const res = await this.http.send('GET', url, undefined, undefined, 'downloadArtifact');
    if (res.status < 200 || res.status >= 300) parseJsonAnswer(res, `downloadArtifact '${fullPath}'`);
    return res.body;
  }

  // ── registered models ──────────────────────────────────────────────────────

  async createRegisteredModel(
    name: string,
    options: { tags?: Tag[]; description?: string } = {},
  ): Promise<RegisteredModel> {
    const res = await this.call('createRegisteredModel', {
      name,
      tags: options.tags?.map(tagToWire),
      description: options.description,
    });
    return registeredModelFromWire(res.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const res = await this.call('getRegisteredModel', { name });
    return registeredModelFromWire(res.registered_model);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.call('renameRegisteredModel', { name, new_name: newName });
    return registeredModelFromWire(res.registered_model);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const res = await this.call('updateRegisteredModel', { name, description });
    return registeredModelFromWire(res.registered_model);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call('deleteRegisteredModel', { name });
  }

  async searchRegisteredModels(options: SearchModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const res = await this.call(
      'searchRegisteredModels',
      searchFieldsToWire({ ...options, maxResults: options.maxResults ?? 100 }),
    );
    return page((res.registered_models ?? []).map(registeredModelFromWire), res.next_page_token);
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.call('setRegisteredModelTag', { name, key, value });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.call('deleteRegisteredModelTag', { name, key });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('setRegisteredModelAlias', { name, alias, version });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call('deleteRegisteredModelAlias', { name, alias });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const res = await this.call('getModelVersionByAlias', { name, alias });
    return modelVersionFromWire(res.model_version);
  }

  async getLatestVersions(name: string, stages?: ModelStage[]): Promise<ModelVersion[]> {
    const res = await this.call('getLatestVersions', {
      name,
      ...(stages && stages.length > 0 ? { stages } : {}),
    });
    return (res.model_versions ?? []).map(modelVersionFromWire);
  }

  // ── model versions ─────────────────────────────────────────────────────────

  async createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    const res = await this.call('createModelVersion', {
      name,
      source: options.source,
      run_id: options.runId,
      tags: options.tags?.map(tagToWire),
      run_link: options.runLink,
      description: options.description,
      model_id: options.modelId,
    });
    return modelVersionFromWire(res.model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const res = await this.call('getModelVersion', { name, version });
    return modelVersionFromWire(res.model_version);
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    const res = await this.call('updateModelVersion', { name, version, description });
    return modelVersionFromWire(res.model_version);
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.call('deleteModelVersion', { name, version });
  }

  async searchModelVersions(options: SearchModelsOptions = {}): Promise<Page<ModelVersion>> {
    const res = await this.call(
      'searchModelVersions',
      searchFieldsToWire({ ...options, maxResults: options.maxResults ?? 10_000 }),
    );
    return page((res.model_versions ?? []).map(modelVersionFromWire), res.next_page_token);
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    const res = await this.call('transitionModelVersionStage', {
      name,
      version,
      stage,
      archive_existing_versions: archiveExistingVersions,
    });
    return modelVersionFromWire(res.model_version);
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.call('setModelVersionTag', { name, version, key, value });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.call('deleteModelVersionTag', { name, version, key });
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const res = await this.call('getModelVersionDownloadUri', { name, version });
    // MLflow hands `runs:/<id>/<path>` sources back for the client to resolve; resolve them
    // here so the answer names the files as the embedded store's does.
    const runs = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(res.artifact_uri);
    if (!runs?.[1]) return res.artifact_uri;
    const run = await this.getRun(runs[1]);
    return [run.info.artifactUri.replace(/\/+$/, ''), joinArtifactPath(runs[2])]
      .filter((p) => p !== '')
      .join('/');
  }

  // ── logged models (MLflow 3) ───────────────────────────────────────────────

  async createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel> {
    const res = await this.call('createLoggedModel', {
      experiment_id: options.experimentId,
      name: options.name,
      model_type: options.modelType,
      source_run_id: options.sourceRunId,
      params: options.params?.map(tagToWire),
      tags: options.tags?.map(tagToWire),
    });
    return loggedModelFromWire(res.model);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const res = await this.call('getLoggedModel', {}, { model_id: modelId });
    return loggedModelFromWire(res.model);
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const res = await this.call('finalizeLoggedModel', { model_id: modelId, status }, { model_id: modelId });
    return loggedModelFromWire(res.model);
  }

  async searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>> {
    const res = await this.call('searchLoggedModels', {
      experiment_ids: options.experimentIds,
      ...searchFieldsToWire(options),
      order_by: options.orderBy?.map(loggedModelOrderByToWire),
    });
    return page((res.models ?? []).map(loggedModelFromWire), res.next_page_token);
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    await this.call('setLoggedModelTags', { tags: tags.map(tagToWire) }, { model_id: modelId });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    // As the Python client: batches of 100 (MLflow's per-request param limit).
    for (let i = 0; i < params.length; i += LOG_BATCH_LIMITS.params) {
      const batch = params.slice(i, i + LOG_BATCH_LIMITS.params);
      await this.call(
        'logLoggedModelParams',
        { model_id: modelId, params: batch.map(tagToWire) },
        { model_id: modelId },
      );
    }
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.call('deleteLoggedModelTag', {}, { model_id: modelId, tag_key: key });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.call('deleteLoggedModel', {}, { model_id: modelId });
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    await this.call('logOutputs', {
      run_id: runId,
      models: models.map((m) => ({ model_id: m.modelId, step: m.step })),
    });
  }

  async close(): Promise<void> {
    this.artifactUris.clear();
  }
}

function page<T>(items: T[], token: string | undefined): Page<T> {
  return token ? { items, nextPageToken: token } : { items };
}
