/** A fresh server over a fresh embedded store in a temp folder, for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AuthConfig, createServerApp, type ServerLimits, startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

export interface TestServer {
  app: ReturnType<typeof createServerApp>;
  store: TrackingStore;
  dir: string;
  artifactRoot: string;
  /** Send a request to the app in-process (no port). */
  request(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function createTestServer(
  options: { auth?: AuthConfig; limits?: ServerLimits } = {},
): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'propflow-server-'));
  const artifactRoot = path.join(dir, 'artifacts');
  const store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`, {
    artifactRoot,
    artifactUriBase: 'mlflow-artifacts:',
  });
  const app = createServerApp({
    store,
    artifactRoot,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    app,
    store,
    dir,
    artifactRoot,
    request: async (p, init) => app.request(`http://127.0.0.1${p}`, init),
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** POST/PATCH/DELETE with a JSON body. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

/** A REST store against a live `propflow server` on loopback over an embedded store in a fresh temp folder. */
export async function startLiveRestStore(
  tempPrefix: string,
): Promise<{ store: TrackingStore; uri: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), tempPrefix));
  const server = await startServer({
    backendStoreUri: `sqlite:///${path.join(dir, 'tracking.db')}`,
    artifactsDestination: path.join(dir, 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  const store = await openStore(server.url, { retry: { maxRetries: 2, baseDelayMs: 10 }, env: {} });
  return {
    store,
    uri: server.url,
    cleanup: async () => {
      await store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
