/**
 * `createServerApp`: the MLflow REST API (tracking, registry, logged models, mlflow-artifacts)
 * over any `TrackingStore`, as a Hono app — a fetch handler without a port. The node listener
 * lives in `listen.ts`.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { MLFLOW_COMPATIBLE_VERSION, PROPFLOW_VERSION } from '../config.js';
import { InvalidParameterError, PropflowError } from '../errors.js';
import {
  API_PREFIXES,
  ARTIFACTS_PREFIX,
  checkArtifactPath,
  decodeArtifactPath,
  decodeQuery,
  describeIssues,
  type EndpointName,
  fileInfoToWire,
  matchEndpoint,
  mlflowArtifactsPath,
  type TrackingStore,
} from '../tracking/index.js';
import { ArtifactService, under } from './artifacts.js';
import { type AuthConfig, Authenticator, type Principal } from './auth.js';
import { clientMajorFromUserAgent, createHandlers, type HandlerContext, type Handlers } from './handlers.js';
import {
  errorResponse,
  isJsonContentType,
  jsonResponse,
  type Logger,
  MethodNotAllowedError,
  readJsonObject,
  silentLogger,
} from './http.js';
import { mountUi } from './ui.js';

export interface ServerLimits {
  /** Largest JSON request body in bytes (default 1 MiB, MLflow's log-batch limit). */
  jsonBodyBytes?: number;
  /** Largest artifact upload in bytes (default 1 GiB). */
  artifactBytes?: number;
}

export interface ServerAppOptions {
  /** The store behind the API; open it with `artifactUriBase: 'mlflow-artifacts:'`. */
  store: TrackingStore;
  /** Folder the mlflow-artifacts API serves (the store's artifact root). */
  artifactRoot: string;
  /** Users and tokens; authentication is off when absent. */
  auth?: AuthConfig;
  limits?: ServerLimits;
  logger?: Logger;
  /** Reported by `/version`: the MLflow version the API is compatible with (default MLFLOW_COMPATIBLE_VERSION). */
  version?: string;
  /** Serve the mlflow-artifacts API (MLflow's `--serve-artifacts`, the default); false answers FEATURE_DISABLED. */
  serveArtifacts?: boolean;
  /** Folder of the built web UI served at `/` (default `ui/dist` of this package). */
  uiDist?: string;
}

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  jsonBodyBytes: 1024 * 1024,
  artifactBytes: 1024 * 1024 * 1024,
};

/** POST endpoints that only read (a read-only user may call them). */
const READ_ONLY_POSTS: ReadonlySet<EndpointName> = new Set([
  'searchRuns',
  'searchExperiments',
  'searchLoggedModels',
  'getLatestVersions',
]);

type Env = { Variables: { principal: Principal | undefined } };

/** What the routes share: the options, resolved limits, artifact service, handlers and the write check. */
interface AppParts {
  options: ServerAppOptions;
  logger: Logger;
  limits: Required<ServerLimits>;
  artifacts: ArtifactService;
  handlers: Handlers;
  authenticator: Authenticator | undefined;
  requireWrite: (c: Context<Env>, what: string) => void;
}

export function createServerApp(options: ServerAppOptions): Hono<Env> {
  const parts = appParts(options);
  const app = new Hono<Env>();
  mountErrorHandling(app, parts.logger);
  mountStatusRoutes(app, options);
  if (parts.authenticator) mountAuth(app, parts.authenticator);
  mountUiArtifactRoutes(app, parts);
  mountApi(app, parts);
  // The web UI (static files at `/`) and its `/ajax-api/propflow/…` endpoints.
  const ui = { store: options.store, authEnabled: !!parts.authenticator, requireWrite: parts.requireWrite };
  mountUi(app, {
    ...ui,
    jsonBodyBytes: parts.limits.jsonBodyBytes,
    ...(options.uiDist && { distDir: options.uiDist }),
  });
  return app;
}

function appParts(options: ServerAppOptions): AppParts {
  const logger = options.logger ?? silentLogger;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const artifacts = new ArtifactService(options.artifactRoot, limits.artifactBytes);
  const handlers = createHandlers({ store: options.store, artifacts });
  const authenticator = options.auth ? new Authenticator(options.auth) : undefined;
  const requireWrite = (c: Context<Env>, what: string): void => {
    const principal = c.get('principal');
    if (authenticator && principal?.permission !== 'write') {
      throw new PropflowError(
        `Permission denied: user '${principal?.name ?? '?'}' may only read, and ${what} writes.`,
        'PERMISSION_DENIED',
      );
    }
  };
  return { options, logger, limits, artifacts, handlers, authenticator, requireWrite };
}

/** MLflow-shaped errors for thrown errors and unknown routes; `nosniff` on every answer. */
function mountErrorHandling(app: Hono<Env>, logger: Logger): void {
  app.onError((err, c) => errorResponse(err, logger, `${c.req.method} ${new URL(c.req.url).pathname}`));
  app.notFound((c) =>
    errorResponse(
      new PropflowError(`No endpoint ${c.req.method} ${new URL(c.req.url).pathname}.`, 'ENDPOINT_NOT_FOUND'),
      logger,
      'routing',
    ),
  );

  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });
}

/** `/health` and the version routes (open without authentication). */
function mountStatusRoutes(app: Hono<Env>, options: ServerAppOptions): void {
  app.get('/health', (c) => c.text('OK'));
  // As MLflow: /version is the MLflow version (clients adapt to it); propflow's own is in a
  // header and at /api/2.0/propflow/version.
  app.get('/version', (c) => {
    c.header('X-Propflow-Version', PROPFLOW_VERSION);
    return c.text(options.version ?? MLFLOW_COMPATIBLE_VERSION);
  });
  app.get('/api/2.0/propflow/version', (c) =>
    c.json({
      propflow_version: PROPFLOW_VERSION,
      mlflow_version: options.version ?? MLFLOW_COMPATIBLE_VERSION,
    }),
  );
}

/** Every route but `/health` and `/version` needs a known user; the principal is kept on the context. */
function mountAuth(app: Hono<Env>, authenticator: Authenticator): void {
  app.use('*', async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (path === '/health' || path === '/version') return next();
    const principal = authenticator.authenticate(c.req.header('authorization'));
    if (!principal) {
      throw new PropflowError(
        'You are not authenticated. Send basic auth (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) or a bearer token (MLFLOW_TRACKING_TOKEN).',
        'UNAUTHENTICATED',
      );
    }
    c.set('principal', principal);
    return next();
  });
}

/** Where the artifacts of the query's run live below the served folder; refused when they are elsewhere. */
async function runArtifactBase(store: TrackingStore, q: URLSearchParams): Promise<string> {
  const runId = q.get('run_uuid') ?? q.get('run_id');
  if (!runId) throw new InvalidParameterError("Missing value for required parameter 'run_uuid'.");
  const run = await store.getRun(runId);
  const base = mlflowArtifactsPath(run.info.artifactUri);
  if (base === null) {
    throw new PropflowError(
      `Run '${runId}' keeps its artifacts at '${run.info.artifactUri}', outside this server.`,
      'NOT_IMPLEMENTED',
    );
  }
  return base;
}

/**
 * The web UI's artifact routes (as in MLflow): `get-artifact` for runs and model versions,
 * and `upload-artifact`. Paths are checked like every other artifact path.
 */
function mountUiArtifactRoutes(app: Hono<Env>, { options, artifacts, requireWrite }: AppParts): void {
  app.get('/get-artifact', async (c) => {
    const q = new URL(c.req.url).searchParams;
    const base = await runArtifactBase(options.store, q);
    return artifacts.download(under(base, checkArtifactPath(q.get('path') ?? '', 'path')));
  });
  app.get('/model-versions/get-artifact', async (c) => {
    const q = new URL(c.req.url).searchParams;
    const name = q.get('name');
    const version = q.get('version');
    if (!name || !version)
      throw new InvalidParameterError("Missing value for required parameter 'name' or 'version'.");
    const rel = checkArtifactPath(q.get('path') ?? '', 'path');
    // The store resolves runs:/ and models:/ sources to where the files are.
    const base = mlflowArtifactsPath(await options.store.getModelVersionDownloadUri(name, version));
    if (base === null)
      throw new PropflowError(
        `Model version ${name}/${version} is stored outside this server.`,
        'NOT_IMPLEMENTED',
      );
    return artifacts.download(under(base, rel));
  });
  app.post('/ajax-api/2.0/mlflow/upload-artifact', async (c) => {
    requireWrite(c, 'uploading an artifact');
    const q = new URL(c.req.url).searchParams;
    const base = await runArtifactBase(options.store, q);
    const rel = checkArtifactPath(q.get('path') ?? '', 'path');
    await artifacts.upload(under(base, rel), c.req.raw.body, c.req.header('content-length'));
    return jsonResponse({});
  });
}

/** The MLflow REST API and the mlflow-artifacts API under every API prefix. */
function mountApi(app: Hono<Env>, parts: AppParts): void {
  for (const prefix of API_PREFIXES) {
    app.all(`${prefix}*`, async (c) => {
      const url = new URL(c.req.url);
      const subpath = url.pathname.slice(prefix.length);
      if (subpath.startsWith('mlflow-artifacts/')) {
        return handleArtifacts(parts, c, url, subpath);
      }
      return handleApi(parts, c, url, subpath);
    });
  }
}

async function handleApi(
  { limits, handlers, requireWrite }: AppParts,
  c: Context<Env>,
  url: URL,
  subpath: string,
): Promise<Response> {
  const method = c.req.method;
  const match = matchEndpoint(method, subpath);
  if (match.kind === 'not-found') {
    throw new PropflowError(`No endpoint ${method} ${url.pathname}.`, 'ENDPOINT_NOT_FOUND');
  }
  if (match.kind === 'method-not-allowed') {
    throw new MethodNotAllowedError(
      `${url.pathname} does not accept ${method}; use ${match.allowed.join(' or ')}.`,
    );
  }
  const ep = match.endpoint;
  if (method !== 'GET' && !READ_ONLY_POSTS.has(match.key)) requireWrite(c, ep.name);
  let fields: Record<string, unknown>;
  if (ep.transport === 'query') fields = decodeQuery(url.searchParams);
  else if (method === 'DELETE' && !isJsonContentType(c)) fields = decodeQuery(url.searchParams);
  else fields = await readJsonObject(c, limits.jsonBodyBytes, ep.name);
  const input = { ...fields, ...match.pathParams };
  const parsed = ep.request.safeParse(input);
  if (!parsed.success) throw new InvalidParameterError(describeIssues(parsed.error, input));
  const handler = handlers[match.key] as (req: unknown, ctx: HandlerContext) => Promise<unknown>;
  const ctx = { clientMajor: clientMajorFromUserAgent(c.req.header('user-agent')) };
  return jsonResponse(await handler(parsed.data, ctx));
}

async function handleArtifacts(
  { options, artifacts, requireWrite }: AppParts,
  c: Context<Env>,
  url: URL,
  subpath: string,
): Promise<Response> {
  if (options.serveArtifacts === false) {
    throw new PropflowError(
      `Endpoint ${url.pathname} is disabled: this server runs with --no-serve-artifacts. Clients write artifacts to the experiments' artifact locations directly; start the server with --serve-artifacts to proxy them.`,
      'FEATURE_DISABLED',
    );
  }
  const method = c.req.method;
  if (subpath === ARTIFACTS_PREFIX) {
    if (method !== 'GET') throw new MethodNotAllowedError(`${url.pathname} accepts GET only (listing).`);
    const rel = checkArtifactPath(url.searchParams.get('path') ?? '', 'path');
    const files = await artifacts.list(rel);
    return jsonResponse(files.length > 0 ? { files: files.map(fileInfoToWire) } : {});
  }
  const filePrefix = `${ARTIFACTS_PREFIX}/`;
  if (subpath.startsWith(filePrefix)) {
    const rel = decodeArtifactPath(subpath.slice(filePrefix.length));
    switch (method) {
      case 'GET':
        return artifacts.download(rel);
      case 'PUT':
        requireWrite(c, 'uploading an artifact');
        await artifacts.upload(rel, c.req.raw.body, c.req.header('content-length'));
        return jsonResponse({});
      case 'DELETE':
        requireWrite(c, 'deleting an artifact');
        await artifacts.delete(rel);
        return jsonResponse({});
      default:
        throw new MethodNotAllowedError(`${url.pathname} accepts GET, PUT and DELETE.`);
    }
  }
  if (/^mlflow-artifacts\/(mpu\/(create|complete|abort)|presigned)\//.test(subpath)) {
    throw new PropflowError(
      'Multipart and presigned uploads are not supported by this artifact store; upload with PUT.',
      'NOT_IMPLEMENTED',
    );
  }
  throw new PropflowError(`No endpoint ${method} ${url.pathname}.`, 'ENDPOINT_NOT_FOUND');
}
