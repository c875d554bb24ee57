/**
 * The REST store: `TrackingStore` (and MLflow 3 logged models) over MLflow's REST API, for a
 * real MLflow tracking server or `propflow server`. Requests are built from the shared wire
 * module; artifacts go through the mlflow-artifacts proxy API.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { InvalidParameterError, NotFoundError, PropflowError } from '../../../errors.js';
import { LocalArtifactRepository, normalizeArtifactPath } from '../../artifacts/local.js';
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
import {
  type Grammar,
  MODEL_VERSION_GRAMMAR,
  PROMPT_TAG,
  parseRegistryFilter,
  REGISTERED_MODEL_GRAMMAR,
} from '../../search/index.js';
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
import { HttpClient, parseJsonAnswer, type RawResponse, type RestStoreOptions } from './client.js';

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
  private info: Promise<ServerInfo> | undefined;

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
    const fetchAll = async (): Promise<Metric[]> => {
      const items: Metric[] = [];
      let token: string | undefined;
      do {
        const p = await fetchPage(token, 25_000);
        items.push(...p.items);
        token = p.nextPageToken;
      } while (token);
      return items;
    };
    if (options.maxResults === undefined && options.pageToken === undefined)
      return { items: await fetchAll() };
    const max = options.maxResults ?? 25_000;
    const local = decodeLocalToken(options.pageToken);
    if (local !== undefined) return slicePage(await fetchAll(), local, max);
    const first = await fetchPage(options.pageToken, max);
    // MLflow 2.12 ignores max_results on metrics/get-history and answers the whole history
    // with no token: page it here, with a token of our own (the offset).
    if (first.items.length > max) return slicePage(first.items, 0, max);
    return first;
  }

  // ── artifacts ──────────────────────────────────────────────────────────────

  /**
   * Where a run's artifacts are: below the server's mlflow-artifacts root, or, when its
   * location is a `file://` folder that exists on this machine (a run logged into an embedded
   * store that a server now fronts), that folder, read and written directly as MLflow's own
   * client does with file locations.
   */
  private async runArtifacts(runId: string): Promise<{ local: LocalArtifactRepository } | { base: string }> {
    const uri = this.artifactUris.get(runId) ?? (await this.getRun(runId)).info.artifactUri;
    if (uri.startsWith('file:')) {
      const dir = fileURLToPath(uri);
      if (existsSync(dir)) return { local: new LocalArtifactRepository(dir) };
    }
    return { base: artifactsBase(uri, `Run '${runId}'`) };
  }

  async logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void> {
    const rel = normalizeArtifactPath(artifactPath);
    if (rel === '')
      throw new InvalidParameterError(`logArtifact: the artifact path for run '${runId}' is empty.`);
    const at = await this.runArtifacts(runId);
    if ('local' in at) return at.local.write(rel, content);
    await this.putArtifact(joinArtifactPath(at.base, rel), content);
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
    const at = await this.runArtifacts(runId);
    artifactPath = normalizeArtifactPath(artifactPath);
    if ('local' in at) {
      // a folder's contents go under artifactPath, a file keeps its name there
      const to = info.isFile() ? joinArtifactPath(artifactPath, path.basename(localPath)) : artifactPath;
      return at.local.copyFrom(localPath, to);
    }
    const { base } = at;
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
    const at = await this.runArtifacts(runId);
    if ('local' in at) return at.local.list(normalizeArtifactPath(dir));
    return this.listArtifactsAt(at.base, normalizeArtifactPath(dir));
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
    const at = await this.runArtifacts(runId);
    if ('local' in at) return at.local.read(normalizeArtifactPath(artifactPath));
    return this.downloadAt(joinArtifactPath(at.base, normalizeArtifactPath(artifactPath)));
  }

  private async downloadAt(fullPath: string): Promise<Uint8Array> {
    const url = this.http.url(`api/2.0/${ARTIFACTS_PREFIX}/${encodePath(fullPath)}`);
    const res = await this.http.send('GET', url, undefined, undefined, 'downloadArtifact', {
      retryUnless: isMissingFileAnswer,
    });
    if (isMissingFileAnswer(res)) {
      // MLflow 2.12's artifact proxy answers a missing file with a 500 whose message is the
      // OS error ("[Errno 2] No such file or directory: …"); 3.x and propflow answer 404.
      throw new NotFoundError(
        `Artifact '${fullPath}' not found on the tracking server. List the run's artifacts to see what exists.`,
      );
    }
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
    const { filter, hidePrompts } = await this.promptFilter(options.filter, REGISTERED_MODEL_GRAMMAR);
    const res = await this.call(
      'searchRegisteredModels',
      searchFieldsToWire({ ...options, filter: filter ?? '', maxResults: options.maxResults ?? 100 }),
    );
    const models = (res.registered_models ?? []).map(registeredModelFromWire);
    return page(hidePrompts ? models.filter((m) => !isPromptTagged(m.tags)) : models, res.next_page_token);
  }

  /** GET a path below the server root (`version`, `health`, an API route), auth included: for diagnostics. */
  async probe(pathAndQuery: string): Promise<{ status: number; contentType: string; text: string }> {
    const res = await this.http.send(
      'GET',
      `${this.http.baseUrl}/${pathAndQuery.replace(/^\/+/, '')}`,
      undefined,
      undefined,
      pathAndQuery,
    );
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      text: new TextDecoder().decode(res.body),
    };
  }

  /** Whether requests carry credentials (basic auth or a bearer token). */
  get sendsCredentials(): boolean {
    return this.http.hasCredentials;
  }

  /**
   * What the tracking server is, learnt once: its MLflow version (`GET /version`, answered
   * by every MLflow server since 1.x) and whether it has MLflow's prompt registry (2.21+).
   */
  async serverInfo(): Promise<ServerInfo> {
    this.info ??= this.detectServer().catch((err: unknown) => {
      this.info = undefined;
      throw err;
    });
    return this.info;
  }

  private async detectServer(): Promise<ServerInfo> {
    const res = await this.http.send('GET', this.http.url('version'), undefined, undefined, 'version');
    const text = new TextDecoder().decode(res.body).trim();
    const ok = res.status >= 200 && res.status < 300;
    const m = /^(\d+)\.(\d+)(?:\.\S*)?$/.exec(text);
    const version = ok && m ? text : null;
    const major = m ? Number(m[1]) : 0;
    const minor = m ? Number(m[2]) : 0;
    // Prompts arrived in MLflow 2.21 (mlflow/prompt/registry_utils.py `add_prompt_filter_string`).
    // A server whose /version is not an MLflow 1.x/2.x version (propflow's own server, a
    // future MLflow) is taken to hide prompts as MLflow 3 does.
    const hasPrompts = version === null || major === 0 || major > 2 || (major === 2 && minor >= 21);
    return { version, hasPrompts };
  }

  /**
   * A registry filter fit for this server. MLflow 3 clients append
   * ``tag.`mlflow.prompt.is_prompt` != 'true'`` to hide prompts; a server without prompts
   * (MLflow before 2.21) reads that as "has the tag and it is not 'true'" and finds nothing.
   * There the clause is dropped and prompt-tagged entities are left out here instead, so the
   * answer is the same on every server. A filter that asks for prompts goes as it is.
   */
  private async promptFilter(
    filter: string | undefined,
    grammar: Grammar,
  ): Promise<{ filter: string | undefined; hidePrompts: boolean }> {
    if (!filter?.includes(PROMPT_TAG)) return { filter, hidePrompts: false };
    if ((await this.serverInfo()).hasPrompts) return { filter, hidePrompts: false };
    const { excludePrompts } = parseRegistryFilter(filter, grammar);
    if (!excludePrompts) return { filter, hidePrompts: false };
    const kept = splitAndClauses(filter).filter((c) => !c.includes(PROMPT_TAG));
    return { filter: kept.length > 0 ? kept.join(' AND ') : undefined, hidePrompts: true };
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
    const { filter, hidePrompts } = await this.promptFilter(options.filter, MODEL_VERSION_GRAMMAR);
    const res = await this.call(
      'searchModelVersions',
      searchFieldsToWire({ ...options, filter: filter ?? '', maxResults: options.maxResults ?? 10_000 }),
    );
    const versions = (res.model_versions ?? []).map(modelVersionFromWire);
    if (!hidePrompts) return page(versions, res.next_page_token);
    // As MLflow: a version is hidden when its registered model is a prompt.
    const promptModels = new Set<string>();
    for (const name of new Set(versions.map((v) => v.name))) {
      const model = await this.getRegisteredModel(name).catch(() => null);
      if (model && isPromptTagged(model.tags)) promptModels.add(name);
    }
    return page(
      versions.filter((v) => !promptModels.has(v.name) && !isPromptTagged(v.tags)),
      res.next_page_token,
    );
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
    // MLflow 3 inserts every param it is sent (`SqlAlchemyStore.log_logged_model_params`:
    // `session.add_all(...)`), so a key the model already has fails on the primary key
    // (`UNIQUE constraint failed: logged_model_params…`). Send each param once: leave out the
    // ones already logged with the same value, refuse a changed value as MLflow does for run
    // params.
    const existing = new Map((await this.getLoggedModel(modelId)).params.map((p) => [p.key, p.value]));
    const fresh: Param[] = [];
    for (const p of params) {
      const had = existing.get(p.key);
      if (had === undefined) {
        existing.set(p.key, p.value);
        fresh.push(p);
      } else if (had !== p.value) {
        throw new InvalidParameterError(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${had}' for logged model ID='${modelId}'. Attempted logging new value '${p.value}'.`,
        );
      }
    }
    // As the Python client: batches of 100 (MLflow's per-request param limit).
    for (let i = 0; i < fresh.length; i += LOG_BATCH_LIMITS.params) {
      const batch = fresh.slice(i, i + LOG_BATCH_LIMITS.params);
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

/** What `RestStore.serverInfo()` learns about the server. */
export interface ServerInfo {
  /** The MLflow version `/version` answered, or null when it is not one. */
  version: string | null;
  /** Does the server hide MLflow 3 prompts from registry searches? */
  hasPrompts: boolean;
}

const LOCAL_TOKEN = 'propflow-offset:';

/** The offset of a page token this store made up itself (for a server that does not page). */
function decodeLocalToken(token: string | undefined): number | undefined {
  if (!token?.startsWith(LOCAL_TOKEN)) return undefined;
  const offset = Number(token.slice(LOCAL_TOKEN.length));
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidParameterError(`Invalid page token '${token}': start again without a token.`);
  }
  return offset;
}

function slicePage<T>(all: T[], offset: number, max: number): Page<T> {
  const end = offset + max;
  return page(all.slice(offset, end), end < all.length ? `${LOCAL_TOKEN}${end}` : undefined);
}

/** A 500 from MLflow 2.12's artifact proxy for a file that does not exist. */
function isMissingFileAnswer(res: RawResponse): boolean {
  return res.status === 500 && new TextDecoder().decode(res.body).includes('No such file or directory');
}

function isPromptTagged(tags: readonly Tag[]): boolean {
  return tags.some((t) => t.key === PROMPT_TAG && t.value === 'true');
}

/** The clauses of a search filter joined by top-level AND (quotes and backticks respected). */
export function splitAndClauses(filter: string): string[] {
  const clauses: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      continue;
    }
    if (/\s/.test(ch) && /^\s+and\s/i.test(filter.slice(i))) {
      const m = /^\s+and\s+/i.exec(filter.slice(i))!;
      clauses.push(filter.slice(start, i).trim());
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  clauses.push(filter.slice(start).trim());
  return clauses.filter((c) => c !== '');
}

function page<T>(items: T[], token: string | undefined): Page<T> {
  return token ? { items, nextPageToken: token } : { items };
}
