/**
 * The web UI on `propflow server`: the built single-page app (`ui/dist`) at `/`, and the few
 * read/workflow endpoints under `/ajax-api/propflow/…` that the MLflow REST API has no
 * equivalent for. Everything else the UI reads and writes goes through `/ajax-api/2.0/…`,
 * as MLflow's own UI does, so the pages work over any store the server fronts.
 *
 * Static files: hashed assets (`/assets/*`) are cached for a year (`immutable`), `index.html`
 * is revalidated on every load (`no-cache` + ETag), and the UI's client-side routes
 * (`/experiments/…`, `/runs/…`, `/compare`, `/models/…`, `/monitoring`) get `index.html`, so a
 * reload or a shared link works; any other unknown path stays MLflow's JSON 404.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { InvalidParameterError, NotFoundError, PropflowError } from '../errors.js';
import { DEFAULT_MODEL_NAME, ModelRegistry, parseStage, resolveActor } from '../registry/index.js';
import { compareRuns } from '../runs/index.js';
import { checkArtifactPath, type Experiment, type TrackingStore } from '../tracking/index.js';
import type { Principal } from './auth.js';
import { jsonResponse, readJsonObject } from './http.js';

type UiEnv = { Variables: { principal: Principal | undefined } };

export interface UiOptions {
  store: TrackingStore;
  /** Is authentication on (then the principal is always set)? */
  authEnabled: boolean;
  /** Throws PERMISSION_DENIED for a read-only principal. */
  requireWrite: (c: Context<UiEnv>, what: string) => void;
  /** Folder of the built UI (default `<package>/ui/dist`). */
  distDir?: string;
  /** Largest JSON body of the workflow POSTs. */
  jsonBodyBytes: number;
}

/** The built UI of this package: `ui/dist` next to `src/`. */
export const DEFAULT_UI_DIST = fileURLToPath(new URL('../../ui/dist', import.meta.url));

const PROPFLOW_API = '/ajax-api/propflow';

/** The UI's client-side routes: `index.html` answers them (any other unknown path stays a JSON 404). */
const CLIENT_ROUTE = /^\/(experiments(\/[^/]+)?|runs\/[^/]+|compare|models(\/[^/]+)?|monitoring)?\/?$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Artifact types the UI previews; everything else is a download. */
const ARTIFACT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
};

/**
 * vega compiles expressions with `new Function` (hence 'unsafe-eval'); inline styles come
 * from React's style props and vega's tooltips.
 */
const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

interface StaticFile {
  body: Uint8Array;
  type: string;
  etag: string;
}

/** Every file of the built UI, read once (the bundle is a few MB at most). */
function loadDist(dir: string): Map<string, StaticFile> | null {
  const files = new Map<string, StaticFile>();
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(relPath);
      else if (entry.isFile()) {
        const body = readFileSync(path.join(dir, relPath));
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        const type = CONTENT_TYPES[path.extname(entry.name).toLowerCase()] ?? 'application/octet-stream';
        files.set(`/${relPath}`, { body, type, etag });
      }
    }
  };
  try {
    if (!statSync(path.join(dir, 'index.html')).isFile()) return null;
  } catch {
    return null;
  }
  walk('');
  return files;
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>propflow</title>
<h1>The propflow web UI is not built</h1>
<p>Build it with <code>npm run build:ui</code> (<code>npm ci</code> does it too), then reload.
The MLflow REST API is served under <code>/api/2.0/</code> and <code>/ajax-api/2.0/</code>.</p>`;

function staticResponse(c: Context<UiEnv>, file: StaticFile, immutable: boolean): Response {
  const headers: Record<string, string> = {
    'Content-Type': file.type,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ETag: file.etag,
  };
  if (file.type.startsWith('text/html')) headers['Content-Security-Policy'] = CSP;
  if (c.req.header('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
  const body = c.req.method === 'HEAD' ? null : (file.body as Uint8Array<ArrayBuffer>);
  return new Response(body, { status: 200, headers });
}

/** Active experiments with their active-run counts, sorted by name. */
async function experimentsWithCounts(store: TrackingStore) {
  const experiments: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({ maxResults: 1000, ...(pageToken && { pageToken }) });
    experiments.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  const out = [];
  for (const e of experiments) {
    let count = 0;
    let token: string | undefined;
    do {
      const page = await store.searchRuns({
        experimentIds: [e.experimentId],
        maxResults: 50000,
        ...(token && { pageToken: token }),
      });
      count += page.items.length;
      token = page.nextPageToken;
    } while (token);
    out.push({
      experiment_id: e.experimentId,
      name: e.name,
      lifecycle_stage: e.lifecycleStage,
      last_update_time: e.lastUpdateTime,
      run_count: count,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function stringField(body: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new InvalidParameterError(`Missing value for required parameter '${key}'.`);
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new InvalidParameterError(`Parameter '${key}' must be a string, got ${JSON.stringify(v)}.`);
  }
  return String(v);
}

/**
 * Mount the UI's endpoints and static files on the server app. Call after the
 * authentication middleware (everything here is behind it) and after the API routes (the
 * SPA fallback is a catch-all GET).
 */
export function mountUi(app: Hono<UiEnv>, options: UiOptions): void {
  mountReads(app, options);
  mountRegistry(app, options);
  app.all(`${PROPFLOW_API}/*`, (c) => {
    throw new PropflowError(
      `No endpoint ${c.req.method} ${new URL(c.req.url).pathname}.`,
      'ENDPOINT_NOT_FOUND',
    );
  });
  mountStatic(app, options.distDir ?? DEFAULT_UI_DIST);
}

/** Reads MLflow's API has no endpoint for: who is looking, run counts, comparisons, artifacts. */
function mountReads(app: Hono<UiEnv>, options: UiOptions): void {
  const { store } = options;

  // Who is looking: the UI disables the workflow buttons for read-only users (the server
  // refuses them regardless, in `requireWrite`).
  app.get(`${PROPFLOW_API}/whoami`, (c) => {
    const principal = c.get('principal');
    return jsonResponse({
      auth: options.authEnabled,
      user: principal?.name ?? null,
      permission: options.authEnabled ? (principal?.permission ?? 'read') : 'write',
    });
  });

  app.get(`${PROPFLOW_API}/experiments`, async () =>
    jsonResponse({ experiments: await experimentsWithCounts(store) }),
  );

  // `propflow runs compare`'s comparison (src/runs compareRuns: the one implementation the CLI
  // prints): side-by-side values, per-fold metric by date, paired tests, wins.
  app.get(`${PROPFLOW_API}/compare`, async (c) => {
    const ids = (c.req.query('run_ids') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length < 2 || ids.length > 10) {
      throw new InvalidParameterError(
        `Compare takes 2 to 10 runs in run_ids (comma-separated run ids), got ${ids.length}.`,
      );
    }
    const baseline = c.req.query('baseline');
    const foldMetric = c.req.query('fold_metric');
    return jsonResponse(
      await compareRuns(store, ids, {
        ...(baseline && { baseline }),
        ...(foldMetric && { foldMetric }),
      }),
    );
  });

  mountArtifact(app, store);
}

/** The registry's history, promote and rollback: the workflow the CLI runs, the user as actor. */
function mountRegistry(app: Hono<UiEnv>, options: UiOptions): void {
  const registryFor = (c: Context<UiEnv>): ModelRegistry => {
    const principal = c.get('principal');
    return new ModelRegistry(options.store, { actor: principal ? principal.name : resolveActor() });
  };

  // The audit history (src/registry history()): the ledger replay MLflow has no endpoint for.
  app.get(`${PROPFLOW_API}/registry/history`, async (c) => {
    const name = c.req.query('name') || DEFAULT_MODEL_NAME;
    return jsonResponse({ name, events: await registryFor(c).history(name) });
  });

  // Promote and rollback: the registry workflow the CLI uses, with the user as the actor.
  app.post(`${PROPFLOW_API}/registry/promote`, async (c) => {
    options.requireWrite(c, 'promoting a model version');
    const body = await readJsonObject(c, options.jsonBodyBytes, 'promote');
    const reason = stringField(body, 'reason', true)!;
    const result = await registryFor(c).promote({
      name: stringField(body, 'name', false) ?? DEFAULT_MODEL_NAME,
      version: stringField(body, 'version', true)!,
      stage: parseStage(stringField(body, 'stage', false) ?? 'Production'),
      force: body['force'] === true,
      reason,
    });
    return jsonResponse(result);
  });
  app.post(`${PROPFLOW_API}/registry/rollback`, async (c) => {
    options.requireWrite(c, 'rolling back a model');
    const body = await readJsonObject(c, options.jsonBodyBytes, 'rollback');
    const toVersion = stringField(body, 'to_version', false);
    const result = await registryFor(c).rollback({
      name: stringField(body, 'name', false) ?? DEFAULT_MODEL_NAME,
      reason: stringField(body, 'reason', true)!,
      ...(toVersion !== undefined && { toVersion }),
    });
    return jsonResponse(result);
  });
}

function mountArtifact(app: Hono<UiEnv>, store: TrackingStore): void {
  // A run's artifact through the store (`/get-artifact` serves only mlflow-artifacts: runs;
  // this reads whatever the store reads: file:// folders of runs logged directly, or the
  // server's own artifact root).
  app.get(`${PROPFLOW_API}/artifact`, async (c) => {
    const runId = c.req.query('run_id');
    const rel = c.req.query('path');
    if (!runId || !rel)
      throw new InvalidParameterError("Missing value for required parameter 'run_id' or 'path'.");
    const body = await store.downloadArtifact(runId, checkArtifactPath(rel, 'path'));
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: {
        'Content-Type': ARTIFACT_TYPES[path.extname(rel).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(body.byteLength),
        'Content-Security-Policy': "default-src 'none'",
        'Cache-Control': 'no-cache',
      },
    });
  });
}

/** The built UI: files by path, `index.html` for client routes. */
function mountStatic(app: Hono<UiEnv>, distDir: string): void {
  let dist: Map<string, StaticFile> | null | undefined;
  app.on(['GET', 'HEAD'], '*', (c, next) => {
    const pathname = new URL(c.req.url).pathname;
    const route = CLIENT_ROUTE.test(pathname) || pathname === '/index.html';
    if (!route && !pathname.startsWith('/assets/')) return next();
    dist ??= loadDist(distDir);
    if (!dist) {
      return new Response(NOT_BUILT_PAGE, {
        status: 503,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
      });
    }
    if (route) return staticResponse(c, dist.get('/index.html')!, false);
    const file = dist.get(pathname);
    if (!file) throw new NotFoundError(`No file ${pathname} in the web UI.`);
    return staticResponse(c, file, true);
  });
}
