/**
 * Wire a server from settings, as `mlflow server` does: open the embedded store, decide where
 * artifacts live and how experiments name them, build the app, listen, and remove the
 * leftovers of uploads that never finished. Used by `propflow server`, the end-to-end tests
 * and the benchmark.
 *
 * Artifacts (MLflow's three settings):
 * - `artifactsDestination`: the folder the mlflow-artifacts API serves; default `artifacts/`
 *   beside the database, where a client opening the same `sqlite:` URI keeps them too;
 * - `serveArtifacts` (default true): new experiments get `mlflow-artifacts:/<id>` locations and
 *   clients upload through the server; false turns the mlflow-artifacts API off;
 * - `defaultArtifactRoot`: where new experiments keep artifacts instead (a local folder or
 *   `file://` URI, or an `mlflow-artifacts:/…` URI while serving).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MLFLOW_COMPATIBLE_VERSION } from '../config.js';
import { InvalidParameterError, PropflowError, toPropflowError } from '../errors.js';
import {
  defaultArtifactRoot,
  openStore,
  sqlitePathFromUri,
  type TrackingStore,
  trackingUriKind,
} from '../tracking/index.js';
import { createServerApp, type ServerLimits } from './app.js';
import { removeStaleUploads } from './artifacts.js';
import type { AuthConfig } from './auth.js';
import type { Logger } from './http.js';
import { listen } from './listen.js';

/** Longest time one request may take; an upload's temporary file older than this is abandoned. */
export const REQUEST_TIMEOUT_MS = 10 * 60_000;

export interface StartServerOptions {
  /** `sqlite:///…` URI of the embedded store. */
  backendStoreUri: string;
  /** Folder the artifacts are stored in and served from (default: `artifacts/` beside the database). */
  artifactsDestination?: string;
  /** Where new experiments keep their artifacts (default `mlflow-artifacts:/` when serving them). */
  defaultArtifactRoot?: string;
  /** Proxy artifacts through the mlflow-artifacts API (default true, as MLflow 2+). */
  serveArtifacts?: boolean;
  host?: string;
  port?: number;
  auth?: AuthConfig;
  limits?: ServerLimits;
  logger?: Logger;
  /** What `/version` answers (default: the MLflow version the API is compatible with). */
  version?: string;
  /** Age after which an unfinished upload's temporary file is removed at start-up (default REQUEST_TIMEOUT_MS). */
  staleUploadMs?: number;
  /** Folder of the built web UI (default `ui/dist` of this package). */
  uiDist?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  store: TrackingStore;
  /** The folder artifacts are stored in. */
  artifactRoot: string;
  /** How new experiments name their artifact location (`mlflow-artifacts:` or a `file://` URI). */
  artifactUriBase: string;
  /** Resolves with the number of abandoned upload files removed at start-up. */
  staleUploadsRemoved: Promise<number>;
  /** Finish in-flight requests, stop listening, close the store. */
  close(): Promise<void>;
}

/** How new experiments name their artifacts, from MLflow's `--default-artifact-root` and `--serve-artifacts`. */
export function artifactUriBaseFor(
  defaultRoot: string | undefined,
  serveArtifacts: boolean,
  artifactRoot: string,
): string {
  if (defaultRoot === undefined || defaultRoot === '') {
    return serveArtifacts ? 'mlflow-artifacts:' : pathToFileURL(artifactRoot).href;
  }
  if (/^mlflow-artifacts:/.test(defaultRoot)) {
    if (!serveArtifacts) {
      throw new InvalidParameterError(
        `--default-artifact-root ${defaultRoot} needs the server to proxy artifacts; drop --no-serve-artifacts or give a folder.`,
      );
    }
    const rest = defaultRoot.slice('mlflow-artifacts:'.length).replace(/^\/+|\/+$/g, '');
    return rest === '' ? 'mlflow-artifacts:' : `mlflow-artifacts:/${rest}`;
  }
  if (/^file:/.test(defaultRoot)) return defaultRoot.replace(/\/+$/, '');
  if (/^[a-zA-Z][\w+.-]*:\/\//.test(defaultRoot)) {
    throw new InvalidParameterError(
      `--default-artifact-root ${defaultRoot}: the embedded store keeps artifacts in local folders; give a folder, a file:// URI or mlflow-artifacts:/.`,
    );
  }
  return pathToFileURL(path.resolve(defaultRoot)).href;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  if (trackingUriKind(options.backendStoreUri) !== 'sqlite') {
    throw new InvalidParameterError(
      `propflow server keeps its data in the embedded store: --backend-store-uri must be sqlite:///…, got '${options.backendStoreUri}'.`,
    );
  }
  const dbPath = sqlitePathFromUri(options.backendStoreUri);
  const artifactRoot = options.artifactsDestination
    ? path.resolve(options.artifactsDestination)
    : defaultArtifactRoot(dbPath);
  const serveArtifacts = options.serveArtifacts ?? true;
  const artifactUriBase = artifactUriBaseFor(options.defaultArtifactRoot, serveArtifacts, artifactRoot);
  let store: TrackingStore;
  try {
    // The store makes the artifact folder once it knows the database is propflow's.
    store = await openStore(options.backendStoreUri, { artifactRoot, artifactUriBase });
  } catch (err) {
    const e = toPropflowError(err);
    throw new PropflowError(
      `Cannot open the backend store '${options.backendStoreUri}': ${e.message}`,
      e.code,
      {
        cause: err,
      },
    );
  }
  const app = createServerApp({
    store,
    artifactRoot,
    serveArtifacts,
    version: options.version ?? MLFLOW_COMPATIBLE_VERSION,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.uiDist ? { uiDist: options.uiDist } : {}),
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 5000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const staleUploadsRemoved = removeStaleUploads(
    artifactRoot,
    options.staleUploadMs ?? REQUEST_TIMEOUT_MS,
  ).then(
    (n) => {
      if (n > 0)
        options.logger?.info(`removed ${n} unfinished upload file${n === 1 ? '' : 's'} from ${artifactRoot}`);
      return n;
    },
    () => 0,
  );
  return {
    url: server.url,
    port: server.port,
    store,
    artifactRoot,
    artifactUriBase,
    staleUploadsRemoved,
    close: async () => {
      await staleUploadsRemoved;
      await server.close();
      await store.close();
    },
  };
}
