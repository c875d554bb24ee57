/**
 * All URI handling in one place: which tracking store a URI means (explicit option >
 * `MLFLOW_TRACKING_URI` > the embedded default `sqlite:///propflow/tracking.db`), where the
 * embedded store keeps its files, and what model URIs (`runs:/`, `models:/`) point to.
 */
import path from 'node:path';
import { DEFAULT_ARTIFACTS_DIR, resolveSetting, TRACKING_URI } from '../config.js';
import { InvalidParameterError, NotFoundError } from '../errors.js';
import type { ModelVersion } from './entities.js';
import { MODEL_STAGES } from './entities.js';
import type { TrackingStore } from './store.js';
import type { RestStoreOptions } from './stores/rest/index.js';

/** The tracking URI to use: explicit > `MLFLOW_TRACKING_URI` > `sqlite:///propflow/tracking.db`. */
export function resolveTrackingUri(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolveSetting(TRACKING_URI, explicit, env);
}

export type TrackingUriKind = 'sqlite' | 'http';

/** Which kind of store a tracking URI selects; a clear error for anything else. */
export function trackingUriKind(uri: string): TrackingUriKind {
  if (/^sqlite:/i.test(uri)) return 'sqlite';
  if (/^https?:\/\//i.test(uri)) return 'http';
  throw new InvalidParameterError(
    `Unsupported tracking URI '${uri}'. Use sqlite:///relative/path.db, sqlite:////absolute/path.db or http(s)://host:port (set --tracking-uri or MLFLOW_TRACKING_URI).`,
  );
}

/**
 * The database file of a `sqlite:` URI, as SQLAlchemy reads it: `sqlite:///rel.db` is
 * relative to `cwd`, `sqlite:////abs/x.db` is absolute. A query string is ignored.
 */
export function sqlitePathFromUri(uri: string, cwd: string = process.cwd()): string {
  const m = /^sqlite:\/\/\/(.+)$/i.exec(uri.split('?')[0] ?? '');
  if (!m || m[1] === undefined || m[1] === '' || m[1] === ':memory:') {
    throw new InvalidParameterError(
      `Invalid SQLite tracking URI '${uri}'. Write sqlite:///relative/path.db (relative to the working folder) or sqlite:////absolute/path.db.`,
    );
  }
  const file = decodeURIComponent(m[1]);
  return path.isAbsolute(file) ? path.normalize(file) : path.resolve(cwd, file);
}

/** The artifact folder beside a database: `<db folder>/artifacts` (`./propflow/artifacts` by default). */
export function defaultArtifactRoot(dbPath: string): string {
  return path.join(path.dirname(dbPath), DEFAULT_ARTIFACTS_DIR);
}

/** Options of `openStore`: the embedded store's artifact settings and the REST store's auth/retries. */
export interface OpenStoreOptions extends RestStoreOptions {
  /** Embedded store: the artifact folder (default: `artifacts/` beside the database). */
  artifactRoot?: string;
  /** Embedded store: `'mlflow-artifacts:'` when a server proxies the artifacts. */
  artifactUriBase?: string;
  /** Working folder relative `sqlite:///` paths are resolved against (default `process.cwd()`). */
  cwd?: string;
  /**
   * For commands that only read (`registry list`, `runs …`): an embedded store must exist
   * already — a missing one is a NotFoundError naming the path and the command that
   * creates one — and nothing (folder, database, default experiment) is created.
   */
  readOnly?: boolean;
}

/**
 * Open the store a tracking URI names (default: `resolveTrackingUri()`): `sqlite:` → the
 * embedded store (created on first use unless `readOnly`), `http(s):` → the MLflow REST
 * store. Both modules are imported only when used. A file that is not propflow's database
 * (not SQLite, another application's, MLflow's own) is refused untouched.
 */
export async function openStore(uri?: string, options: OpenStoreOptions = {}): Promise<TrackingStore> {
  const resolved = uri ?? resolveTrackingUri(undefined, options.env ?? process.env);
  if (trackingUriKind(resolved) === 'sqlite') {
    const dbPath = sqlitePathFromUri(resolved, options.cwd);
    const { openSqliteStore } = await import('./stores/sqlite/index.js');
    const sqliteOptions: Parameters<typeof openSqliteStore>[0] = {
      dbPath,
      artifactRoot: options.artifactRoot ? path.resolve(options.artifactRoot) : defaultArtifactRoot(dbPath),
      uri: resolved,
    };
    if (options.artifactUriBase !== undefined) sqliteOptions.artifactUriBase = options.artifactUriBase;
    if (options.readOnly) sqliteOptions.readOnly = true;
    return openSqliteStore(sqliteOptions);
  }
  const { openRestStore } = await import('./stores/rest/index.js');
  const { artifactRoot: _a, artifactUriBase: _b, cwd: _c, readOnly: _d, ...rest } = options;
  return openRestStore(resolved.replace(/\/+$/, ''), rest);
}

// ── model URIs ───────────────────────────────────────────────────────────────

export type ModelUri =
  | { kind: 'run'; runId: string; path: string }
  | { kind: 'version'; name: string; version: string; path: string }
  | { kind: 'stage'; name: string; stage: string; path: string }
  | { kind: 'alias'; name: string; alias: string; path: string }
  | { kind: 'latest'; name: string; path: string }
  | { kind: 'loggedModel'; modelId: string; path: string };

/** `runs:/<run_id>[/<path>]`: the run id, then the path inside its artifacts. */
const RUNS_URI = /^runs:\/+([^/]+)(?:\/(.*))?$/;

function badModelUri(uri: string): InvalidParameterError {
  return new InvalidParameterError(
    `Invalid model URI '${uri}'. Use runs:/<run_id>/<path>, models:/<name>/<version|stage|latest> or models:/<name>@<alias>.`,
  );
}

/** Parse `runs:/<id>/<path>`, `models:/<name>/<version|stage|latest>[/path]`, `models:/<name>@<alias>[/path]`. */
export function parseModelUri(uri: string): ModelUri {
  const runs = RUNS_URI.exec(uri);
  if (runs) {
    const p = (runs[2] ?? '').split('/').filter((s) => s !== '' && s !== '.');
    if (p.includes('..')) throw badModelUri(uri);
    return { kind: 'run', runId: runs[1]!, path: p.join('/') };
  }
  const models = /^models:\/+(.+)$/.exec(uri);
  if (!models) throw badModelUri(uri);
  const rest = models[1]!;
  const alias = /^([^/@]+)@([^/]+)(?:\/(.*))?$/.exec(rest);
  if (alias) return { kind: 'alias', name: alias[1]!, alias: alias[2]!, path: alias[3] ?? '' };
  const parts = /^([^/]+)(?:\/([^/]+))?(?:\/(.*))?$/.exec(rest);
  if (!parts) throw badModelUri(uri);
  const name = parts[1]!;
  const second = parts[2];
  const sub = parts[3] ?? '';
  if (second === undefined) {
    if (/^m-[0-9a-f]{32}$/.test(name)) return { kind: 'loggedModel', modelId: name, path: '' };
    throw badModelUri(uri);
  }
  if (/^\d+$/.test(second)) return { kind: 'version', name, version: String(Number(second)), path: sub };
  if (second.toLowerCase() === 'latest') return { kind: 'latest', name, path: sub };
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === second.toLowerCase());
  if (stage) return { kind: 'stage', name, stage, path: sub };
  throw new InvalidParameterError(
    `Invalid model URI '${uri}': '${second}' is neither a version number nor a stage (${MODEL_STAGES.join(', ')}). For an alias write models:/${name}@${second}.`,
  );
}

/** What a model URI resolves to: the run holding the files and the path inside its artifacts. */
export interface ResolvedModelUri {
  runId: string;
  artifactPath: string;
  /** The model version, when the URI named one through the registry. */
  version?: ModelVersion;
}

/** Where a version's files are inside a run: `runs:/<id>/<path>` sources, or the version's run id. */
function versionLocation(uri: string, v: ModelVersion, sub: string): ResolvedModelUri {
  const src = RUNS_URI.exec(v.source);
  if (src) {
    const base = (src[2] ?? '').replace(/\/+$/, '');
    return { runId: src[1]!, artifactPath: [base, sub].filter((s) => s !== '').join('/'), version: v };
  }
  if (/^models:\/+m-[0-9a-f]{32}/.test(v.source)) {
    throw new InvalidParameterError(
      `Cannot resolve '${uri}' to a run: version ${v.version} of '${v.name}' was registered from the MLflow 3 logged model '${v.source}'. Use its download URI (getModelVersionDownloadUri) instead.`,
    );
  }
  if (!v.runId) {
    throw new InvalidParameterError(
      `Cannot resolve '${uri}': version ${v.version} of '${v.name}' has source '${v.source}' and no run id. Register versions from runs:/<run_id>/<path>.`,
    );
  }
  // A source under the run's artifact URI (…/<run_id>/artifacts/<path>).
  const marker = `/${v.runId}/artifacts/`;
  const at = v.source.indexOf(marker);
  const base = at >= 0 ? v.source.slice(at + marker.length) : '';
  return { runId: v.runId, artifactPath: [base, sub].filter((s) => s !== '').join('/'), version: v };
}

/** Resolve a model URI against a store to a run and an artifact path inside it. */
export async function resolveModelUri(store: TrackingStore, uri: string): Promise<ResolvedModelUri> {
  const parsed = parseModelUri(uri);
  switch (parsed.kind) {
    case 'run':
      await store.getRun(parsed.runId);
      return { runId: parsed.runId, artifactPath: parsed.path };
    case 'version':
      return versionLocation(uri, await store.getModelVersion(parsed.name, parsed.version), parsed.path);
    case 'alias':
      return versionLocation(uri, await store.getModelVersionByAlias(parsed.name, parsed.alias), parsed.path);
    case 'stage':
    case 'latest': {
      const versions =
        parsed.kind === 'stage'
          ? await store.getLatestVersions(parsed.name, [parsed.stage as ModelVersion['currentStage']])
          : await store.getLatestVersions(parsed.name);
      const best = versions.reduce<ModelVersion | undefined>(
        (a, b) => (a === undefined || Number(b.version) > Number(a.version) ? b : a),
        undefined,
      );
      if (!best) {
        throw new NotFoundError(
          `No version of registered model '${parsed.name}' is in stage ${parsed.kind === 'stage' ? parsed.stage : 'any'}; transition one first (${uri}).`,
        );
      }
      return versionLocation(uri, best, parsed.path);
    }
    case 'loggedModel':
      throw new InvalidParameterError(
        `Cannot resolve '${uri}' to a run: it names an MLflow 3 logged model. Use getLoggedModel('${parsed.modelId}') and its artifact URI.`,
      );
  }
}
