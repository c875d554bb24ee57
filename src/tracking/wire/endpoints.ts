/**
 * MLflow REST API 2.0, one entry per endpoint: method, path, where the fields travel and
 * the request/response schemas in MLflow's snake_case. The REST store builds its requests
 * from these entries and decodes the answers with them; the server routes and validates
 * with the same entries, so client and server cannot drift apart.
 *
 * Transport follows the official Python client: GET sends its fields in the query string,
 * every other method (DELETE included) sends a JSON body. The server also accepts query
 * fields on DELETE.
 */
import { z } from 'zod';
import {
  bool,
  double,
  idString,
  int64,
  repeated,
  runStatus,
  wireDatasetInput,
  wireExperiment,
  wireFileInfo,
  wireLoggedModel,
  wireMetric,
  wireModelVersion,
  wireOrderBy,
  wireParam,
  wireRegisteredModel,
  wireRun,
  wireRunInfo,
  wireTag,
} from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface Endpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  /** MLflow's RPC name (`createExperiment`, …). */
  name: string;
  method: HttpMethod;
  /** Path below `/api/2.0/`; `:model_id` style segments are path parameters. */
  path: string;
  /** Where the request fields travel. */
  transport: 'query' | 'body';
  request: Req;
  response: Res;
}

function endpoint<Req extends z.ZodType, Res extends z.ZodType>(
  name: string,
  method: HttpMethod,
  path: string,
  request: Req,
  response: Res,
): Endpoint<Req, Res> {
  return { name, method, path, transport: method === 'GET' ? 'query' : 'body', request, response };
}

const empty = z.object({});
const pageToken = z.string().optional();
const maxResults = int64.optional();
const orderBy = repeated(z.string()).optional();
const viewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).optional();
/** A search answer: a list under `key` (absent when empty) and an optional next page token. */
function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  const list = { [key]: z.array(item).optional() } as { [P in K]: z.ZodOptional<z.ZodArray<T>> };
  return z.object({ ...list, next_page_token: z.string().optional() });
}

/** Registered-model and model-version searches take the same fields. */
const searchModelsRequest = z.object({
  filter: z.string().optional(),
  max_results: maxResults,
  order_by: orderBy,
  page_token: pageToken,
});

/** Artifact listings (run-based and logged-model-based). */
const artifactListing = z.object({
  root_uri: z.string().optional(),
  files: z.array(wireFileInfo).optional(),
  next_page_token: z.string().optional(),
});

/** Run-scoped requests: the Python client sends both `run_id` and the older `run_uuid`. */
const runRef = { run_id: z.string().optional(), run_uuid: z.string().optional() };

export const endpoints = {
  // ── experiments ────────────────────────────────────────────────────────────
  createExperiment: endpoint(
    'createExperiment',
    'POST',
    'mlflow/experiments/create',
    z.object({
      name: z.string(),
      artifact_location: z.string().optional(),
      tags: z.array(wireTag).optional(),
    }),
    z.object({ experiment_id: idString }),
  ),
  getExperiment: endpoint(
    'getExperiment',
    'GET',
    'mlflow/experiments/get',
    z.object({ experiment_id: idString }),
    z.object({ experiment: wireExperiment }),
  ),
  getExperimentByName: endpoint(
    'getExperimentByName',
    'GET',
    'mlflow/experiments/get-by-name',
    z.object({ experiment_name: z.string() }),
    z.object({ experiment: wireExperiment }),
  ),
  searchExperiments: endpoint(
    'searchExperiments',
    'POST',
    'mlflow/experiments/search',
    z.object({
      max_results: maxResults,
      page_token: pageToken,
      filter: z.string().optional(),
      order_by: orderBy,
      view_type: viewType,
    }),
    pageOf('experiments', wireExperiment),
  ),
  updateExperiment: endpoint(
    'updateExperiment',
    'POST',
    'mlflow/experiments/update',
    z.object({ experiment_id: idString, new_name: z.string() }),
    empty,
  ),
  deleteExperiment: endpoint(
    'deleteExperiment',
    'POST',
    'mlflow/experiments/delete',
    z.object({ experiment_id: idString }),
    empty,
  ),
  restoreExperiment: endpoint(
    'restoreExperiment',
    'POST',
    'mlflow/experiments/restore',
    z.object({ experiment_id: idString }),
    empty,
  ),
  setExperimentTag: endpoint(
    'setExperimentTag',
    'POST',
    'mlflow/experiments/set-experiment-tag',
    z.object({ experiment_id: idString, key: z.string(), value: z.string() }),
    empty,
  ),
  deleteExperimentTag: endpoint(
    'deleteExperimentTag',
    'POST',
    'mlflow/experiments/delete-experiment-tag',
    z.object({ experiment_id: idString, key: z.string() }),
    empty,
  ),

  // ── runs ───────────────────────────────────────────────────────────────────
  createRun: endpoint(
    'createRun',
    'POST',
    'mlflow/runs/create',
    z.object({
      experiment_id: idString,
      user_id: z.string().optional(),
      run_name: z.string().optional(),
      start_time: int64.optional(),
      tags: z.array(wireTag).optional(),
    }),
    z.object({ run: wireRun }),
  ),
  updateRun: endpoint(
    'updateRun',
    'POST',
    'mlflow/runs/update',
    z.object({
      ...runRef,
      status: runStatus.optional(),
      end_time: int64.optional(),
      run_name: z.string().optional(),
    }),
    z.object({ run_info: wireRunInfo }),
  ),
  deleteRun: endpoint('deleteRun', 'POST', 'mlflow/runs/delete', z.object({ run_id: z.string() }), empty),
  restoreRun: endpoint('restoreRun', 'POST', 'mlflow/runs/restore', z.object({ run_id: z.string() }), empty),
  logMetric: endpoint(
    'logMetric',
    'POST',
    'mlflow/runs/log-metric',
    z.object({
      ...runRef,
      key: z.string(),
      value: double,
      timestamp: int64,
      step: int64.optional(),
      model_id: z.string().optional(),
      dataset_name: z.string().optional(),
      dataset_digest: z.string().optional(),
    }),
    empty,
  ),
  logParam: endpoint(
    'logParam',
    'POST',
    'mlflow/runs/log-parameter',
    z.object({ ...runRef, key: z.string(), value: z.string() }),
    empty,
  ),
  setTag: endpoint(
    'setTag',
    'POST',
    'mlflow/runs/set-tag',
    z.object({ ...runRef, key: z.string(), value: z.string() }),
    empty,
  ),
  deleteTag: endpoint(
    'deleteTag',
    'POST',
    'mlflow/runs/delete-tag',
    z.object({ run_id: z.string(), key: z.string() }),
    empty,
  ),
  getRun: endpoint('getRun', 'GET', 'mlflow/runs/get', z.object(runRef), z.object({ run: wireRun })),
  searchRuns: endpoint(
    'searchRuns',
    'POST',
    'mlflow/runs/search',
    z.object({
      experiment_ids: repeated(idString).optional(),
      filter: z.string().optional(),
      run_view_type: viewType,
      max_results: maxResults,
      order_by: orderBy,
      page_token: pageToken,
    }),
    pageOf('runs', wireRun),
  ),
  listArtifacts: endpoint(
    'listArtifacts',
    'GET',
    'mlflow/artifacts/list',
    z.object({ ...runRef, path: z.string().optional(), page_token: pageToken }),
    artifactListing,
  ),
  getMetricHistory: endpoint(
    'getMetricHistory',
    'GET',
    'mlflow/metrics/get-history',
    z.object({ ...runRef, metric_key: z.string(), page_token: pageToken, max_results: maxResults }),
    pageOf('metrics', wireMetric),
  ),
  getMetricHistoryBulkInterval: endpoint(
    'getMetricHistoryBulkInterval',
    'GET',
    'mlflow/metrics/get-history-bulk-interval',
    z.object({
      run_ids: repeated(z.string()),
      metric_key: z.string(),
      start_step: int64.optional(),
      end_step: int64.optional(),
      max_results: maxResults,
    }),
    z.object({ metrics: z.array(wireMetric).optional() }),
  ),
  logBatch: endpoint(
    'logBatch',
    'POST',
    'mlflow/runs/log-batch',
    z.object({
      ...runRef,
      metrics: z.array(wireMetric).optional(),
      params: z.array(wireParam).optional(),
      tags: z.array(wireTag).optional(),
    }),
    empty,
  ),
  logModel: endpoint(
    'logModel',
    'POST',
    'mlflow/runs/log-model',
    z.object({ ...runRef, model_json: z.string() }),
    empty,
  ),
  logInputs: endpoint(
    'logInputs',
    'POST',
    'mlflow/runs/log-inputs',
    z.object({
      ...runRef,
      datasets: z.array(wireDatasetInput).optional(),
      models: z.array(z.object({ model_id: z.string() })).optional(),
    }),
    empty,
  ),
  logOutputs: endpoint(
    'logOutputs',
    'POST',
    'mlflow/runs/outputs',
    z.object({
      ...runRef,
      models: z.array(z.object({ model_id: z.string(), step: int64.optional() })).optional(),
    }),
    empty,
  ),

  // ── registered models ──────────────────────────────────────────────────────
  createRegisteredModel: endpoint(
    'createRegisteredModel',
    'POST',
    'mlflow/registered-models/create',
    z.object({
      name: z.string(),
      tags: z.array(wireTag).optional(),
      description: z.string().optional(),
    }),
    z.object({ registered_model: wireRegisteredModel }),
  ),
  renameRegisteredModel: endpoint(
    'renameRegisteredModel',
    'POST',
    'mlflow/registered-models/rename',
    z.object({ name: z.string(), new_name: z.string() }),
    z.object({ registered_model: wireRegisteredModel }),
  ),
  updateRegisteredModel: endpoint(
    'updateRegisteredModel',
    'PATCH',
    'mlflow/registered-models/update',
    z.object({ name: z.string(), description: z.string().optional() }),
    z.object({ registered_model: wireRegisteredModel }),
  ),
  deleteRegisteredModel: endpoint(
    'deleteRegisteredModel',
    'DELETE',
    'mlflow/registered-models/delete',
    z.object({ name: z.string() }),
    empty,
  ),
  getRegisteredModel: endpoint(
    'getRegisteredModel',
    'GET',
    'mlflow/registered-models/get',
    z.object({ name: z.string() }),
    z.object({ registered_model: wireRegisteredModel }),
  ),
  searchRegisteredModels: endpoint(
    'searchRegisteredModels',
    'GET',
    'mlflow/registered-models/search',
    searchModelsRequest,
    pageOf('registered_models', wireRegisteredModel),
  ),
  getLatestVersions: endpoint(
    'getLatestVersions',
    'POST',
    'mlflow/registered-models/get-latest-versions',
    z.object({ name: z.string(), stages: repeated(z.string()).optional() }),
    z.object({ model_versions: z.array(wireModelVersion).optional() }),
  ),
  setRegisteredModelTag: endpoint(
    'setRegisteredModelTag',
    'POST',
    'mlflow/registered-models/set-tag',
    z.object({ name: z.string(), key: z.string(), value: z.string() }),
    empty,
  ),
  deleteRegisteredModelTag: endpoint(
    'deleteRegisteredModelTag',
    'DELETE',
    'mlflow/registered-models/delete-tag',
    z.object({ name: z.string(), key: z.string() }),
    empty,
  ),
  setRegisteredModelAlias: endpoint(
    'setRegisteredModelAlias',
    'POST',
    'mlflow/registered-models/alias',
    z.object({ name: z.string(), alias: z.string(), version: idString }),
    empty,
  ),
  deleteRegisteredModelAlias: endpoint(
    'deleteRegisteredModelAlias',
    'DELETE',
    'mlflow/registered-models/alias',
    z.object({ name: z.string(), alias: z.string() }),
    empty,
  ),
  getModelVersionByAlias: endpoint(
    'getModelVersionByAlias',
    'GET',
    'mlflow/registered-models/alias',
    z.object({ name: z.string(), alias: z.string() }),
    z.object({ model_version: wireModelVersion }),
  ),

  // ── model versions ─────────────────────────────────────────────────────────
  createModelVersion: endpoint(
    'createModelVersion',
    'POST',
    'mlflow/model-versions/create',
    z.object({
      name: z.string(),
      source: z.string(),
      run_id: z.string().optional(),
      tags: z.array(wireTag).optional(),
      run_link: z.string().optional(),
      description: z.string().optional(),
      model_id: z.string().optional(),
    }),
    z.object({ model_version: wireModelVersion }),
  ),
  updateModelVersion: endpoint(
    'updateModelVersion',
    'PATCH',
    'mlflow/model-versions/update',
    z.object({ name: z.string(), version: idString, description: z.string().optional() }),
    z.object({ model_version: wireModelVersion }),
  ),
  transitionModelVersionStage: endpoint(
    'transitionModelVersionStage',
    'POST',
    'mlflow/model-versions/transition-stage',
    z.object({
      name: z.string(),
      version: idString,
      stage: z.string(),
      archive_existing_versions: bool.optional(),
    }),
    z.object({ model_version: wireModelVersion }),
  ),
  deleteModelVersion: endpoint(
    'deleteModelVersion',
    'DELETE',
    'mlflow/model-versions/delete',
    z.object({ name: z.string(), version: idString }),
    empty,
  ),
  getModelVersion: endpoint(
    'getModelVersion',
    'GET',
    'mlflow/model-versions/get',
    z.object({ name: z.string(), version: idString }),
    z.object({ model_version: wireModelVersion }),
  ),
  searchModelVersions: endpoint(
    'searchModelVersions',
    'GET',
    'mlflow/model-versions/search',
    searchModelsRequest,
    pageOf('model_versions', wireModelVersion),
  ),
  getModelVersionDownloadUri: endpoint(
    'getModelVersionDownloadUri',
    'GET',
    'mlflow/model-versions/get-download-uri',
    z.object({ name: z.string(), version: idString }),
    z.object({ artifact_uri: z.string() }),
  ),
  setModelVersionTag: endpoint(
    'setModelVersionTag',
    'POST',
    'mlflow/model-versions/set-tag',
    z.object({ name: z.string(), version: idString, key: z.string(), value: z.string() }),
    empty,
  ),
  deleteModelVersionTag: endpoint(
    'deleteModelVersionTag',
    'DELETE',
    'mlflow/model-versions/delete-tag',
    z.object({ name: z.string(), version: idString, key: z.string() }),
    empty,
  ),

  // ── logged models (MLflow 3) ───────────────────────────────────────────────
  createLoggedModel: endpoint(
    'createLoggedModel',
    'POST',
    'mlflow/logged-models',
    z.object({
      experiment_id: idString,
      name: z.string().optional(),
      model_type: z.string().optional(),
      source_run_id: z.string().optional(),
      params: z.array(wireParam).optional(),
      tags: z.array(wireTag).optional(),
    }),
    z.object({ model: wireLoggedModel }),
  ),
  getLoggedModel: endpoint(
    'getLoggedModel',
    'GET',
    'mlflow/logged-models/:model_id',
    z.object({ model_id: z.string() }),
    z.object({ model: wireLoggedModel }),
  ),
  finalizeLoggedModel: endpoint(
    'finalizeLoggedModel',
    'PATCH',
    'mlflow/logged-models/:model_id',
    z.object({
      model_id: z.string(),
      status: z.enum(['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED']),
    }),
    z.object({ model: wireLoggedModel }),
  ),
  deleteLoggedModel: endpoint(
    'deleteLoggedModel',
    'DELETE',
    'mlflow/logged-models/:model_id',
    z.object({ model_id: z.string() }),
    empty,
  ),
  searchLoggedModels: endpoint(
    'searchLoggedModels',
    'POST',
    'mlflow/logged-models/search',
    z.object({
      experiment_ids: repeated(idString).optional(),
      filter: z.string().optional(),
      max_results: maxResults,
      order_by: z.array(z.union([z.string(), wireOrderBy])).optional(),
      page_token: pageToken,
    }),
    pageOf('models', wireLoggedModel),
  ),
  setLoggedModelTags: endpoint(
    'setLoggedModelTags',
    'PATCH',
    'mlflow/logged-models/:model_id/tags',
    z.object({ model_id: z.string(), tags: z.array(wireTag).optional() }),
    empty,
  ),
  deleteLoggedModelTag: endpoint(
    'deleteLoggedModelTag',
    'DELETE',
    'mlflow/logged-models/:model_id/tags/:tag_key',
    z.object({ model_id: z.string(), tag_key: z.string() }),
    empty,
  ),
  logLoggedModelParams: endpoint(
    'LogLoggedModelParams',
    'POST',
    'mlflow/logged-models/:model_id/params',
    z.object({ model_id: z.string(), params: z.array(wireParam).optional() }),
    empty,
  ),
  listLoggedModelArtifacts: endpoint(
    'listLoggedModelArtifacts',
    'GET',
    'mlflow/logged-models/:model_id/artifacts/directories',
    z.object({ model_id: z.string(), artifact_directory_path: z.string().optional() }),
    artifactListing,
  ),
} as const;

export type EndpointName = keyof typeof endpoints;

/**
 * Routes that MLflow declares under a second method with the same request (`GET
 * experiments/search`, `GET registered-models/get-latest-versions`).
 */
export const alternateMethods: ReadonlyArray<{ name: EndpointName; method: HttpMethod }> = [
  { name: 'searchExperiments', method: 'GET' },
  { name: 'getLatestVersions', method: 'GET' },
];

/** The mlflow-artifacts API (raw bodies, not protobuf JSON). */
export const ARTIFACTS_PREFIX = 'mlflow-artifacts/artifacts';

export const listArtifactsResponse = z.object({ files: z.array(wireFileInfo).optional() });

/** Prefixes MLflow serves its REST API under (the web UI uses `ajax-api`). */
export const API_PREFIXES = ['/api/2.0/', '/ajax-api/2.0/'] as const;

/** An endpoint's decoded request and response types, for the server and the client. */
export type RequestOf<N extends EndpointName> = z.output<(typeof endpoints)[N]['request']>;
export type ResponseOf<N extends EndpointName> = z.output<(typeof endpoints)[N]['response']>;

const ALL_ROUTES: ReadonlyArray<{ key: EndpointName; ep: Endpoint; method: HttpMethod; segments: string[] }> =
  [
    ...(Object.entries(endpoints) as Array<[EndpointName, Endpoint]>).map(([key, ep]) => ({
      key,
      ep,
      method: ep.method,
      segments: ep.path.split('/'),
    })),
    ...alternateMethods.map(({ name, method }) => {
      const ep: Endpoint = endpoints[name];
      return {
        key: name,
        ep: { ...ep, method, transport: 'query' as const },
        method,
        segments: ep.path.split('/'),
      };
    }),
  ];

export type RouteMatch =
  | {
      kind: 'found';
      /** The entry's key in `endpoints` (MLflow's RPC name, except `logLoggedModelParams`). */
      key: EndpointName;
      endpoint: Endpoint;
      pathParams: Record<string, string>;
    }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

/**
 * Find the endpoint for a method and a path below `/api/2.0/` (`mlflow/runs/get`). Path
 * parameters come back percent-decoded; an undecodable one makes the route not match.
 */
export function matchEndpoint(method: string, subpath: string): RouteMatch {
  const parts = subpath.replace(/\/+$/, '').split('/');
  const allowed: HttpMethod[] = [];
  for (const route of ALL_ROUTES) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i] as string;
      const part = parts[i] as string;
      if (seg.startsWith(':')) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          ok = false;
        }
        ok &&= part !== '';
      } else ok = seg === part;
    }
    if (!ok) continue;
    if (route.method === method)
      return { kind: 'found', key: route.key, endpoint: route.ep, pathParams: params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
}
