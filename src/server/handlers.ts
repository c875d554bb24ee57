/**
 * One handler per MLflow endpoint: validated snake_case request in, MLflow-shaped JSON out.
 * Each handler names the MLflow RPC it implements (its key); write calls answer `{}`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidParameterError, NotFoundError, PropflowError } from '../errors.js';
import {
  checkArtifactPath,
  type DatasetInput,
  datasetInputFromWire,
  type EndpointName,
  experimentToWire,
  fileInfoToWire,
  isLoggedModelStore,
  type Json,
  type LoggedModelStore,
  loggedModelOrderByFromWire,
  loggedModelToWire,
  type Metric,
  type ModelStage,
  type ModelVersion,
  metricFromWire,
  metricToWire,
  mlflowArtifactsPath,
  modelVersionToWire,
  type RegisteredModel,
  type RequestOf,
  type Run,
  registeredModelToWire,
  runInfoToWire,
  runToWire,
  searchFieldsFromWire,
  type Tag,
  type TrackingStore,
  tagsFromWire,
} from '../tracking/index.js';
import type { ArtifactService } from './artifacts.js';

/** What a handler knows about the caller besides its request. */
export interface HandlerContext {
  /**
   * Major version of the MLflow Python client that sent the request (from its
   * `User-Agent: mlflow-python-client/<version>`), or undefined for any other client.
   */
  clientMajor?: number | undefined;
}

export type Handlers = {
  [N in EndpointName]: (req: RequestOf<N>, ctx?: HandlerContext) => Promise<Json>;
};

/** The client's MLflow major version from its User-Agent (`mlflow-python-client/2.12.2`). */
export function clientMajorFromUserAgent(userAgent: string | undefined): number | undefined {
  const m = /(?:^|\s)mlflow-python-client\/(\d+)\./.exec(userAgent ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * A run as MLflow answers it: MLflow 2 servers have no `outputs` (MLflow 3 added
 * `RunOutputs`), so a 2.x client gets none; empty lists are left out as MLflow does.
 */
function runForClient(run: Run, ctx: HandlerContext | undefined): Json {
  const wire = runToWire(run) as Record<string, Json>;
  if (ctx?.clientMajor !== undefined && ctx.clientMajor < 3) delete wire['outputs'];
  return wire;
}

/**
 * A model version as MLflow's searches and `latest_versions` answer it: without aliases.
 * MLflow's `SqlModelVersion.to_mlflow_entity()` leaves them out; only `model-versions/get`
 * and `get-by-alias` fill them in (`_get_model_version_from_db` + aliases, in both 2.12 and 3.x).
 */
function versionWithoutAliases(v: ModelVersion): Json {
  return modelVersionToWire({ ...v, aliases: [] });
}

/** A registered model whose `latest_versions` carry no aliases (the model's own `aliases` stay). */
function registeredModelForWire(m: RegisteredModel): Json {
  return registeredModelToWire({
    ...m,
    latestVersions: m.latestVersions.map((v) => ({ ...v, aliases: [] })),
  });
}

const EMPTY: Json = {};

function runIdOf(req: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const id = req.run_id || req.run_uuid;
  if (!id) {
    throw new InvalidParameterError(
      "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    );
  }
  return id;
}

/** Tags or params of a request (both are key/value pairs on the wire); absent stays absent. */
function pairs(list: ReadonlyArray<{ key: string; value: string }> | undefined): Tag[] | undefined {
  return list === undefined ? undefined : tagsFromWire(list);
}

function optional<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

function paged<T>(key: string, items: T[], token: string | undefined, encode: (item: T) => Json): Json {
  return {
    ...(items.length > 0 ? { [key]: items.map(encode) } : {}),
    ...(token ? { next_page_token: token } : {}),
  };
}

/** `json.dumps` as Python writes it (", " and ": " separators, ASCII only), for values clients parse back. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return JSON.stringify(value) ?? 'null';
}

/** The JSON list a tag holds (empty when the tag is absent or not a JSON list). */
function jsonListTag(tags: readonly Tag[], key: string): unknown[] {
  const value = tags.find((t) => t.key === key)?.value;
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

const LOGGED_MODEL_SOURCE = /^models:\/(m-[0-9a-f]+)\/?$/;

export interface HandlerDeps {
  store: TrackingStore;
  artifacts: ArtifactService;
}

/** The store as a logged-model store, or a NOT_IMPLEMENTED error naming the endpoint `what`. */
function loggedModels(store: TrackingStore, what: string): LoggedModelStore {
  if (!isLoggedModelStore(store)) {
    throw new PropflowError(
      `${what}: this tracking store does not support MLflow 3 logged models.`,
      'NOT_IMPLEMENTED',
    );
  }
  return store;
}

/** Refuse locations that name the local file system outside the artifact root, or anything this server cannot serve. */
async function checkLocation(artifacts: ArtifactService, location: string, what: string): Promise<void> {
  if (location === '') return;
  if (location.includes('\0')) throw new InvalidParameterError(`${what} '${location}' contains a NUL byte.`);
  if (location.includes('\\') || /^[a-zA-Z]:/.test(location)) {
    throw new InvalidParameterError(
      `${what} '${location}' looks like a Windows path; use an mlflow-artifacts:/ location.`,
    );
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(location)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') {
    mlflowArtifactsPath(location);
    return;
  }
  if (scheme === 'runs' || scheme === 'models') {
    const rest = location.slice(scheme.length + 1).replace(/^\/+/, '');
    checkArtifactPath(rest.replace(/@/g, '_'), what);
    return;
  }
  if (scheme === undefined || scheme === 'file') {
    let local: string;
    try {
      local = scheme === 'file' ? fileURLToPath(location) : location;
    } catch {
      throw new InvalidParameterError(`${what} '${location}' is not a valid file URI.`);
    }
    const abs = path.resolve(artifacts.root, local);
    if (!(await artifacts.containsLocal(abs))) {
      throw new InvalidParameterError(
        `${what} '${location}' points at the server's file system outside its artifact root; ` +
          'use an mlflow-artifacts:/ location (or leave it empty for the default).',
      );
    }
    return;
  }
  throw new InvalidParameterError(
    `${what} '${location}' uses the '${scheme}' scheme, which this server does not serve; ` +
      'use an mlflow-artifacts:/ location (or leave it empty for the default).',
  );
}

/** MLflow experiments: create, read, search, rename, delete/restore, tags. */
function experimentHandlers({ store, artifacts }: HandlerDeps) {
  return {
    createExperiment: async (req) => {
      if (req.artifact_location !== undefined)
        await checkLocation(artifacts, req.artifact_location, 'Artifact location');
      const id = await store.createExperiment(
        req.name,
        optional({ artifactLocation: req.artifact_location || undefined, tags: pairs(req.tags) }),
      );
      return { experiment_id: id };
    },
    getExperiment: async (req) => ({
      experiment: experimentToWire(await store.getExperiment(req.experiment_id)),
    }),
    getExperimentByName: async (req) => {
      const exp = await store.getExperimentByName(req.experiment_name);
      if (!exp) throw new NotFoundError(`Could not find experiment with name '${req.experiment_name}'`);
      return { experiment: experimentToWire(exp) };
    },
    searchExperiments: async (req) => {
      const page = await store.searchExperiments({
        ...searchFieldsFromWire(req),
        ...optional({ viewType: req.view_type }),
      });
      return paged('experiments', page.items, page.nextPageToken, experimentToWire);
    },
    updateExperiment: async (req) => {
      await store.renameExperiment(req.experiment_id, req.new_name);
      return EMPTY;
    },
    deleteExperiment: async (req) => {
      await store.deleteExperiment(req.experiment_id);
      return EMPTY;
    },
    restoreExperiment: async (req) => {
      await store.restoreExperiment(req.experiment_id);
      return EMPTY;
    },
    setExperimentTag: async (req) => {
      await store.setExperimentTag(req.experiment_id, req.key, req.value);
      return EMPTY;
    },
    deleteExperimentTag: async (req) => {
      await store.deleteExperimentTag(req.experiment_id, req.key);
      return EMPTY;
    },
  } satisfies Partial<Handlers>;
}

/** Runs: create, update, delete/restore, single metric/param/tag writes, get and search. */
function runHandlers({ store }: HandlerDeps) {
  return {
    createRun: async (req, ctx) => {
      const run = await store.createRun(
        optional({
          experimentId: req.experiment_id,
          userId: req.user_id,
          runName: req.run_name,
          startTime: req.start_time,
          tags: pairs(req.tags),
        }),
      );
      // MLflow 3's `create_run` answers `run.to_mlflow_entity()` before any output exists and
      // sends no `outputs` (recorded in python-client-3.11.2.dev0.jsonl, runs/create).
      // MLflow 2.12's answer has no `inputs` either (only `info` and `data`, recorded in
      // python-client-2.12.2.jsonl).
      const wire = runForClient(run, ctx) as Record<string, Json>;
      delete wire['outputs'];
      if (ctx?.clientMajor !== undefined && ctx.clientMajor < 3) delete wire['inputs'];
      return { run: wire };
    },
    updateRun: async (req) => {
      const info = await store.updateRun(
        runIdOf(req),
        optional({ status: req.status, endTime: req.end_time, runName: req.run_name }),
      );
      return { run_info: runInfoToWire(info) };
    },
    deleteRun: async (req) => {
      await store.deleteRun(req.run_id);
      return EMPTY;
    },
    restoreRun: async (req) => {
      await store.restoreRun(req.run_id);
      return EMPTY;
    },
    logMetric: async (req) => {
      await store.logMetric(
        runIdOf(req),
        metricFromWire({
          key: req.key,
          value: req.value,
          timestamp: req.timestamp,
          step: req.step,
          model_id: req.model_id,
        }),
      );
      return EMPTY;
    },
    logParam: async (req) => {
      await store.logParam(runIdOf(req), { key: req.key, value: req.value });
      return EMPTY;
    },
    setTag: async (req) => {
      await store.setTag(runIdOf(req), { key: req.key, value: req.value });
      return EMPTY;
    },
    deleteTag: async (req) => {
      await store.deleteTag(req.run_id, req.key);
      return EMPTY;
    },
    getRun: async (req, ctx) => ({ run: runForClient(await store.getRun(runIdOf(req)), ctx) }),
    searchRuns: async (req, ctx) => {
      const page = await store.searchRuns({
        experimentIds: req.experiment_ids ?? [],
        ...searchFieldsFromWire(req),
        ...optional({ viewType: req.run_view_type }),
      });
      return paged('runs', page.items, page.nextPageToken, (r) => runForClient(r, ctx));
    },
  } satisfies Partial<Handlers>;
}

/** A run's artifact listing and metric histories. */
function runReadHandlers({ store, artifacts }: HandlerDeps) {
  return {
    listArtifacts: async (req) => {
      const runId = runIdOf(req);
      const run = await store.getRun(runId);
      const rel = checkArtifactPath(req.path ?? '');
      const base = mlflowArtifactsPath(run.info.artifactUri);
      const files =
        base !== null ? await artifacts.listRelative(base, rel) : await store.listArtifacts(runId, rel);
      return {
        root_uri: run.info.artifactUri,
        ...(files.length > 0 ? { files: files.map(fileInfoToWire) } : {}),
      };
    },
    getMetricHistory: async (req) => {
      const page = await store.getMetricHistory(
        runIdOf(req),
        req.metric_key,
        optional({ maxResults: req.max_results, pageToken: req.page_token }),
      );
      return paged('metrics', page.items, page.nextPageToken, metricToWire);
    },
    getMetricHistoryBulkInterval: async (req) => {
      const max = req.max_results ?? 320;
      const out: Json[] = [];
      for (const runId of req.run_ids) {
        const history = (await store.getMetricHistory(runId, req.metric_key)).items.filter(
          (m) =>
            (req.start_step === undefined || m.step >= req.start_step) &&
            (req.end_step === undefined || m.step <= req.end_step),
        );
        const steps = [...new Set(history.map((m) => m.step))].sort((a, b) => a - b);
        const keep = new Set(
          steps.length <= max
            ? steps
            : Array.from(
                { length: max },
                (_, i) => steps[Math.round((i * (steps.length - 1)) / (max - 1 || 1))],
              ),
        );
        for (const m of history) if (keep.has(m.step)) out.push({ ...metricToWire(m), run_id: runId });
      }
      return out.length > 0 ? { metrics: out } : EMPTY;
    },
  } satisfies Partial<Handlers>;
}

/** Batched run logging: metrics/params/tags, model history, dataset inputs, logged-model outputs. */
function runLoggingHandlers({ store }: HandlerDeps) {
  return {
    logBatch: async (req) => {
      await store.logBatch(
        runIdOf(req),
        optional({
          metrics: req.metrics?.map((m): Metric => metricFromWire(m)),
          params: pairs(req.params),
          tags: pairs(req.tags),
        }),
      );
      return EMPTY;
    },
    logModel: async (req) => {
      const runId = runIdOf(req);
      let model: unknown;
      try {
        model = JSON.parse(req.model_json);
      } catch {
        throw new InvalidParameterError("Invalid value for parameter 'model_json': it is not valid JSON.");
      }
      if (typeof model !== 'object' || model === null || Array.isArray(model)) {
        throw new InvalidParameterError("Invalid value for parameter 'model_json': expected a JSON object.");
      }
      const run = await store.getRun(runId);
      const history = jsonListTag(run.data.tags, 'mlflow.log-model.history');
      const value = history.length > 0 ? pythonJson([...history, model]) : `[${req.model_json}]`;
      await store.setTag(runId, { key: 'mlflow.log-model.history', value });
      return EMPTY;
    },
    logInputs: async (req) => {
      const datasets: DatasetInput[] = (req.datasets ?? []).map(datasetInputFromWire);
      await store.logInputs(runIdOf(req), datasets);
      return EMPTY;
    },
    logOutputs: async (req) => {
      await loggedModels(store, 'runs/outputs').logOutputs(
        runIdOf(req),
        (req.models ?? []).map((m) => ({ modelId: m.model_id, step: m.step ?? 0 })),
      );
      return EMPTY;
    },
  } satisfies Partial<Handlers>;
}

/** Registered models: CRUD, search, latest versions, tags and aliases. */
function registeredModelHandlers({ store }: HandlerDeps) {
  return {
    createRegisteredModel: async (req) => {
      const model = await store.createRegisteredModel(
        req.name,
        optional({ tags: pairs(req.tags), description: req.description }),
      );
      return { registered_model: registeredModelForWire(model) };
    },
    renameRegisteredModel: async (req) => ({
      registered_model: registeredModelForWire(await store.renameRegisteredModel(req.name, req.new_name)),
    }),
    updateRegisteredModel: async (req) => ({
      registered_model: registeredModelForWire(
        await store.updateRegisteredModel(req.name, req.description ?? ''),
      ),
    }),
    deleteRegisteredModel: async (req) => {
      await store.deleteRegisteredModel(req.name);
      return EMPTY;
    },
    getRegisteredModel: async (req) => ({
      registered_model: registeredModelForWire(await store.getRegisteredModel(req.name)),
    }),
    searchRegisteredModels: async (req) => {
      const page = await store.searchRegisteredModels(searchFieldsFromWire(req));
      return paged('registered_models', page.items, page.nextPageToken, registeredModelForWire);
    },
    getLatestVersions: async (req, ctx) => {
      const versions = await store.getLatestVersions(req.name, req.stages as ModelStage[] | undefined);
      // MLflow 3's `get_latest_versions` fills in each version's aliases ("Populate aliases for
      // each model version", mlflow/store/model_registry/sqlalchemy_store.py); 2.12's does not.
      const encode =
        ctx?.clientMajor !== undefined && ctx.clientMajor < 3 ? versionWithoutAliases : modelVersionToWire;
      return versions.length > 0 ? { model_versions: versions.map(encode) } : EMPTY;
    },
    setRegisteredModelTag: async (req) => {
      await store.setRegisteredModelTag(req.name, req.key, req.value);
      return EMPTY;
    },
    deleteRegisteredModelTag: async (req) => {
      await store.deleteRegisteredModelTag(req.name, req.key);
      return EMPTY;
    },
    setRegisteredModelAlias: async (req) => {
      await store.setRegisteredModelAlias(req.name, req.alias, req.version);
      return EMPTY;
    },
    deleteRegisteredModelAlias: async (req) => {
      await store.deleteRegisteredModelAlias(req.name, req.alias);
      return EMPTY;
    },
    getModelVersionByAlias: async (req) => ({
      model_version: modelVersionToWire(await store.getModelVersionByAlias(req.name, req.alias)),
    }),
  } satisfies Partial<Handlers>;
}

/** Model versions: create, update, stage transitions, delete, get, search, download URI, tags. */
function modelVersionHandlers({ store, artifacts }: HandlerDeps) {
  return {
    createModelVersion: async (req) => {
      await checkLocation(artifacts, req.source, 'Model version source');
      const loggedId = req.model_id ?? LOGGED_MODEL_SOURCE.exec(req.source)?.[1];
      if (loggedId !== undefined && isLoggedModelStore(store)) await store.getLoggedModel(loggedId);
      const version = await store.createModelVersion(
        req.name,
        optional({
          source: req.source,
          runId: req.run_id || undefined,
          tags: pairs(req.tags),
          runLink: req.run_link,
          description: req.description,
          modelId: req.model_id,
        }),
      );
      if (req.model_id !== undefined && isLoggedModelStore(store)) {
        // MLflow 3 records the registration on the logged model.
        const model = await store.getLoggedModel(req.model_id);
        const list = jsonListTag(model.tags, 'mlflow.modelVersions');
        list.push({ name: version.name, version: Number(version.version) });
        await store.setLoggedModelTags(req.model_id, [
          { key: 'mlflow.modelVersions', value: pythonJson(list) },
        ]);
      }
      return { model_version: modelVersionToWire(version) };
    },
    updateModelVersion: async (req) => ({
      model_version: modelVersionToWire(
        await store.updateModelVersion(req.name, req.version, req.description ?? ''),
      ),
    }),
    transitionModelVersionStage: async (req) => ({
      model_version: modelVersionToWire(
        await store.transitionModelVersionStage(
          req.name,
          req.version,
          req.stage as ModelStage,
          req.archive_existing_versions ?? false,
        ),
      ),
    }),
    deleteModelVersion: async (req) => {
      await store.deleteModelVersion(req.name, req.version);
      return EMPTY;
    },
    getModelVersion: async (req) => ({
      model_version: modelVersionToWire(await store.getModelVersion(req.name, req.version)),
    }),
    searchModelVersions: async (req) => {
      const page = await store.searchModelVersions(searchFieldsFromWire(req));
      return paged('model_versions', page.items, page.nextPageToken, versionWithoutAliases);
    },
    getModelVersionDownloadUri: async (req) => {
      const version = await store.getModelVersion(req.name, req.version);
      const loggedId = LOGGED_MODEL_SOURCE.exec(version.source)?.[1];
      if (loggedId !== undefined && isLoggedModelStore(store)) {
        return { artifact_uri: (await store.getLoggedModel(loggedId)).artifactUri };
      }
      // As MLflow: a runs:/ source is handed back for the client to resolve.
      if (version.source.startsWith('runs:/')) return { artifact_uri: version.source };
      return { artifact_uri: await store.getModelVersionDownloadUri(req.name, req.version) };
    },
    setModelVersionTag: async (req) => {
      await store.setModelVersionTag(req.name, req.version, req.key, req.value);
      return EMPTY;
    },
    deleteModelVersionTag: async (req) => {
      await store.deleteModelVersionTag(req.name, req.version, req.key);
      return EMPTY;
    },
  } satisfies Partial<Handlers>;
}

/** MLflow 3 logged models: create, get, finalize, delete, search, tags, params, artifacts. */
function loggedModelHandlers({ store, artifacts }: HandlerDeps) {
  return {
    createLoggedModel: async (req) => {
      const model = await loggedModels(store, 'logged-models/create').createLoggedModel(
        optional({
          experimentId: req.experiment_id,
          name: req.name,
          modelType: req.model_type,
          sourceRunId: req.source_run_id,
          tags: pairs(req.tags),
          params: pairs(req.params),
        }),
      );
      return { model: loggedModelToWire(model) };
    },
    getLoggedModel: async (req) => ({
      model: loggedModelToWire(await loggedModels(store, 'logged-models/get').getLoggedModel(req.model_id)),
    }),
    finalizeLoggedModel: async (req) => ({
      model: loggedModelToWire(
        await loggedModels(store, 'logged-models/finalize').finalizeLoggedModel(req.model_id, req.status),
      ),
    }),
    deleteLoggedModel: async (req) => {
      await loggedModels(store, 'logged-models/delete').deleteLoggedModel(req.model_id);
      return EMPTY;
    },
    searchLoggedModels: async (req) => {
      const page = await loggedModels(store, 'logged-models/search').searchLoggedModels({
        experimentIds: req.experiment_ids ?? [],
        ...searchFieldsFromWire({ ...req, order_by: req.order_by?.map(loggedModelOrderByFromWire) }),
      });
      return paged('models', page.items, page.nextPageToken, loggedModelToWire);
    },
    setLoggedModelTags: async (req) => {
      await loggedModels(store, 'logged-models/tags').setLoggedModelTags(
        req.model_id,
        tagsFromWire(req.tags),
      );
      return EMPTY;
    },
    deleteLoggedModelTag: async (req) => {
      await loggedModels(store, 'logged-models/tags').deleteLoggedModelTag(req.model_id, req.tag_key);
      return EMPTY;
    },
    logLoggedModelParams: async (req) => {
      await loggedModels(store, 'logged-models/params').logLoggedModelParams(
        req.model_id,
        tagsFromWire(req.params),
      );
      return EMPTY;
    },
    listLoggedModelArtifacts: async (req) => {
      const model = await loggedModels(store, 'logged-models/artifacts').getLoggedModel(req.model_id);
      const base = mlflowArtifactsPath(model.artifactUri);
      if (base === null) {
        throw new PropflowError(
          `Logged model '${req.model_id}' keeps its artifacts outside this server.`,
          'NOT_IMPLEMENTED',
        );
      }
      const files = await artifacts.listRelative(base, checkArtifactPath(req.artifact_directory_path ?? ''));
      return {
        root_uri: model.artifactUri,
        ...(files.length > 0 ? { files: files.map(fileInfoToWire) } : {}),
      };
    },
  } satisfies Partial<Handlers>;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...experimentHandlers(deps),
    ...runHandlers(deps),
    ...runReadHandlers(deps),
    ...runLoggingHandlers(deps),
    ...registeredModelHandlers(deps),
    ...modelVersionHandlers(deps),
    ...loggedModelHandlers(deps),
  };
}
