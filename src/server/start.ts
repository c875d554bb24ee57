/**
 * Wire a server from settings: open the embedded store (artifacts as `mlflow-artifacts:/`),
 * build the app, listen. Used by `propflow server`, the end-to-end tests and the benchmark.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidParameterError, PropflowError, toPropflowError } from '../errors.js';
import { openStore, type TrackingStore, trackingUriKind } from '../tracking/index.js';
import { createServerApp, type ServerLimits } from './app.js';
import type { AuthConfig } from './auth.js';
import type { Logger } from './http.js';
import { listen } from './listen.js';

export interface StartServerOptions {
  /** `sqlite:///…` URI of the embedded store. */
  backendStoreUri: string;
  /** Folder the artifacts are stored in and served from. */
  artifactsDestination: string;
  host?: string;
  port?: number;
  auth?: AuthConfig;
  limits?: ServerLimits;
  logger?: Logger;
  version?: string;
  /** Folder of the built web UI (default `ui/dist` of this package). */
  uiDist?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  store: TrackingStore;
  /** Finish in-flight requests, stop listening, close the store. */
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  if (trackingUriKind(options.backendStoreUri) !== 'sqlite') {
    throw new InvalidParameterError(
      `propflow server keeps its data in the embedded store: --backend-store-uri must be sqlite:///…, got '${options.backendStoreUri}'.`,
    );
  }
  const artifactRoot = path.resolve(options.artifactsDestination);
  try {
    mkdirSync(artifactRoot, { recursive: true });
  } catch (err) {
    throw new InvalidParameterError(
      `Cannot create the artifacts destination '${artifactRoot}': ${(err as Error).message}`,
    );
  }
  let store: TrackingStore;
  try {
    store = await openStore(options.backendStoreUri, { artifactRoot, artifactUriBase: 'mlflow-artifacts:' });
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
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.uiDist ? { uiDist: options.uiDist } : {}),
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, { host: options.host ?? '127.0.0.1', port: options.port ?? 5000 });
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    url: server.url,
    port: server.port,
    store,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}
