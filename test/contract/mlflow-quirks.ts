/**
 * A loopback HTTP front for `propflow server` that answers the way a given real MLflow server
 * version does where that version differs from propflow's server, so the REST store's
 * version handling runs against real HTTP and a real backend. Every quirk below was seen on a
 * real server (issue reports against MLflow 2.12.2 and 3.11) and is explained by MLflow's source:
 *
 * MLflow 2.12.2 (williamjamir/mlflow @ v2.12.2):
 * - `GET /version` answers `2.12.2` (mlflow/server/__init__.py `version()`).
 * - `metrics/get-history` ignores `max_results` and `page_token`: its handler
 *   `_get_metric_history` in mlflow/server/handlers.py calls `store.get_metric_history(run_id,
 *   metric_key)` and returns every point with no token.
 * - a download of a missing artifact is a 500 whose message is the OS error
 *   ("[Errno 2] No such file or directory: …"): `_download_artifact` lets the
 *   `FileNotFoundError` of `LocalArtifactRepository.download_artifacts` escape.
 * - no prompts: `SqlAlchemyStore.search_registered_models` has no `_update_query_to_exclude_prompts`,
 *   so ``tag.`mlflow.prompt.is_prompt` != 'true'`` is an ordinary tag comparison that needs the
 *   tag, and models without it are not found.
 * - no MLflow 3 routes (logged models, `runs/outputs`, `experiments/delete-experiment-tag`):
 *   Flask answers 404 with an HTML page (endpoints-2.12.2.txt lists the routes).
 *
 * MLflow 3.11 (harupy/mlflow, mlflow/version.py 3.11.2.dev0):
 * - `GET /version` answers `3.11.2.dev0`.
 * - `logged-models/<id>/params` inserts every param it gets (`log_logged_model_params`:
 *   `session.add_all(...)`), so a key the model already has fails the primary key and the
 *   session maker turns the `IntegrityError` into a 400 BAD_REQUEST (mlflow/store/db/utils.py).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type MlflowFlavour = '2.12.2' | '3.11.2.dev0';

export interface QuirksFront {
  url: string;
  close(): Promise<void>;
}

type Backend = (path: string, init: RequestInit) => Promise<Response>;

const V2_MISSING_ROUTES = [
  /\/logged-models(\/|$)/,
  /\/runs\/outputs$/,
  /\/experiments\/delete-experiment-tag$/,
];

function reply(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function forward(backend: Backend, req: IncomingMessage, url: URL, body: Buffer): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const h of ['content-type', 'authorization', 'user-agent']) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const init: RequestInit = { method: req.method ?? 'GET', headers };
  if (body.length > 0) init.body = body;
  return backend(`${url.pathname}${url.search}`, init);
}

async function send(res: ServerResponse, answer: Response): Promise<void> {
  res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
  res.end(Buffer.from(await answer.arrayBuffer()));
}

async function handleV2(backend: Backend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = await readBody(req);
  if (url.pathname === '/version') return reply(res, 200, '2.12.2', 'text/plain');
  if (V2_MISSING_ROUTES.some((r) => r.test(url.pathname))) {
    return reply(res, 404, '<!doctype html><title>404 Not Found</title><h1>Not Found</h1>', 'text/html');
  }
  if (url.pathname.endsWith('/metrics/get-history')) {
    url.searchParams.delete('max_results');
    url.searchParams.delete('page_token');
  }
  const filter = url.pathname.endsWith('/search') ? (url.searchParams.get('filter') ?? '') : '';
  if (
    /registered-models\/search|model-versions\/search/.test(url.pathname) &&
    /is_prompt`? != 'true'/.test(filter)
  ) {
    // None of the models a test creates carries the prompt tag with another value.
    return reply(res, 200, '{}');
  }
  const answer = await forward(backend, req, url, body);
  if (
    req.method === 'GET' &&
    url.pathname.includes('/mlflow-artifacts/artifacts/') &&
    answer.status === 404
  ) {
    const local = `/tmp/mlartifacts/${decodeURIComponent(url.pathname.split('/mlflow-artifacts/artifacts/')[1] ?? '')}`;
    return reply(
      res,
      500,
      JSON.stringify({
        error_code: 'INTERNAL_ERROR',
        message: `[Errno 2] No such file or directory: '${local}'`,
      }),
    );
  }
  return send(res, answer);
}

async function handleV3(backend: Backend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = await readBody(req);
  if (url.pathname === '/version') return reply(res, 200, '3.11.2.dev0', 'text/plain');
  const params = /\/logged-models\/([^/]+)\/params$/.exec(url.pathname);
  if (params && req.method === 'POST') {
    const got = await backend(`/api/2.0/mlflow/logged-models/${params[1]}`, { method: 'GET' });
    if (got.ok) {
      const model = (await got.json()) as { model?: { data?: { params?: Array<{ key: string }> } } };
      const have = new Set((model.model?.data?.params ?? []).map((p) => p.key));
      const sent = (JSON.parse(body.toString() || '{}') as { params?: Array<{ key: string }> }).params ?? [];
      const dup = sent.find((p) => have.has(p.key));
      if (dup) {
        return reply(
          res,
          400,
          JSON.stringify({
            error_code: 'BAD_REQUEST',
            message: `(sqlite3.IntegrityError) UNIQUE constraint failed: logged_model_params.model_id, logged_model_params.param_key`,
          }),
        );
      }
    }
  }
  return send(res, await forward(backend, req, url, body));
}

/** Listen on loopback in front of `backend` (the propflow server app), answering as `flavour` does. */
export async function startQuirksFront(flavour: MlflowFlavour, backend: Backend): Promise<QuirksFront> {
  const handle = flavour === '2.12.2' ? handleV2 : handleV3;
  const server: Server = createServer((req, res) => {
    handle(backend, req, res).catch((err: unknown) =>
      reply(res, 502, JSON.stringify({ message: String(err) })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
