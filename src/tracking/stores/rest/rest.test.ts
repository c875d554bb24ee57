/**
 * The REST store's HTTP behaviour against real loopback servers: requests shaped exactly as
 * the official Python client shapes them (paths, methods, query vs body, field names —
 * checked against the recordings), log-batch chunking, retries with backoff, auth headers
 * and error mapping.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Exchange,
  isJsonApi,
  loadRecording,
  RECORDINGS,
  requestBytes,
} from '../../../../test/server/recordings.js';
import { InvalidParameterError, NotFoundError, PropflowError } from '../../../errors.js';
import { decodeQuery, type EndpointName, endpoints, matchEndpoint } from '../../wire/index.js';
import { chunkBatch, LOG_BATCH_LIMITS, RestStore } from './index.js';

interface Captured {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  authorization: string | undefined;
  body: Buffer;
}

type Responder = (req: Captured) => { status: number; body: string | Buffer; type?: string };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(respond: Responder): Promise<{ url: string; captured: Captured[] }> {
  const captured: Captured[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const c: Captured = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks),
      };
      captured.push(c);
      const answer = respond(c);
      res.writeHead(answer.status, { 'Content-Type': answer.type ?? 'application/json' });
      res.end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, captured };
}

const fast = { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 }, env: {} };

/** All key paths of a JSON value (`metrics[].key`), arrays collapsed. */
function shape(value: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const k of shape(item, `${prefix}[]`)) out.add(k);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      for (const x of shape(v, p)) out.add(x);
    }
  }
  return out;
}

type Req = Record<string, unknown>;
type WireMetricIn = { key: string; value: number; timestamp: number; step?: number; model_id?: string };
const wireTags = (t: unknown) => (t as Array<{ key: string; value: string }> | undefined) ?? [];

/** The store call that makes the same request as a recorded Python client call. */
const CALLS: Partial<Record<EndpointName, (s: RestStore, r: Req, ex: Exchange) => Promise<unknown>>> = {
  getExperimentByName: (s, r) => s.getExperimentByName(r['experiment_name'] as string),
  createExperiment: (s, r) => s.createExperiment(r['name'] as string),
  getExperiment: (s, r) => s.getExperiment(r['experiment_id'] as string),
  setExperimentTag: (s, r) =>
    s.setExperimentTag(r['experiment_id'] as string, r['key'] as string, r['value'] as string),
  createRun: (s, r) =>
    s.createRun({
      experimentId: r['experiment_id'] as string,
      userId: r['user_id'] as string,
      runName: r['run_name'] as string,
      startTime: r['start_time'] as number,
      tags: wireTags(r['tags']),
    }),
  logParam: (s, r) =>
    s.logParam(r['run_id'] as string, { key: r['key'] as string, value: r['value'] as string }),
  logMetric: (s, r) =>
    s.logMetric(r['run_id'] as string, {
      key: r['key'] as string,
      value: r['value'] as number,
      timestamp: r['timestamp'] as number,
      step: (r['step'] as number) ?? 0,
    }),
  logBatch: (s, r) =>
    s.logBatch(r['run_id'] as string, {
      ...(r['metrics']
        ? {
            metrics: (r['metrics'] as WireMetricIn[]).map((m) => ({
              key: m.key,
              value: m.value,
              timestamp: m.timestamp,
              step: m.step ?? 0,
              ...(m.model_id ? { modelId: m.model_id } : {}),
            })),
          }
        : {}),
      ...(r['params'] ? { params: wireTags(r['params']) } : {}),
      ...(r['tags'] ? { tags: wireTags(r['tags']) } : {}),
    }),
  setTag: (s, r) => s.setTag(r['run_id'] as string, { key: r['key'] as string, value: r['value'] as string }),
  deleteTag: (s, r) => s.deleteTag(r['run_id'] as string, r['key'] as string),
  getRun: (s, r) => s.getRun(r['run_id'] as string),
  updateRun: (s, r) =>
    s.updateRun(r['run_id'] as string, {
      status: r['status'] as 'FINISHED',
      endTime: r['end_time'] as number,
    }),
  logInputs: (s, r) =>
    s.logInputs(
      r['run_id'] as string,
      (r['datasets'] as Array<{ tags: never; dataset: Record<string, string> }>).map((d) => ({
        tags: wireTags(d.tags),
        dataset: {
          name: d.dataset['name'] as string,
          digest: d.dataset['digest'] as string,
          sourceType: d.dataset['source_type'] as string,
          source: d.dataset['source'] as string,
          schema: d.dataset['schema'] as string,
          profile: d.dataset['profile'] as string,
        },
      })),
    ),
  getMetricHistory: (s, r) =>
    s.getMetricHistory(r['run_id'] as string, r['metric_key'] as string, {
      maxResults: Number(r['max_results']),
    }),
  searchRuns: (s, r) =>
    s.searchRuns({
      experimentIds: r['experiment_ids'] as string[],
      filter: r['filter'] as string,
      maxResults: r['max_results'] as number,
      ...(r['order_by'] ? { orderBy: r['order_by'] as string[] } : {}),
      ...(r['page_token'] ? { pageToken: r['page_token'] as string } : {}),
    }),
  createRegisteredModel: (s, r) => s.createRegisteredModel(r['name'] as string),
  createModelVersion: (s, r) =>
    s.createModelVersion(r['name'] as string, {
      source: r['source'] as string,
      runId: r['run_id'] as string,
      ...(r['tags'] ? { tags: wireTags(r['tags']) } : {}),
      ...(r['description'] ? { description: r['description'] as string } : {}),
      ...(r['model_id'] ? { modelId: r['model_id'] as string } : {}),
    }),
  transitionModelVersionStage: (s, r) =>
    s.transitionModelVersionStage(
      r['name'] as string,
      r['version'] as string,
      r['stage'] as 'Staging',
      r['archive_existing_versions'] as boolean,
    ),
  setRegisteredModelAlias: (s, r) =>
    s.setRegisteredModelAlias(r['name'] as string, r['alias'] as string, r['version'] as string),
  getModelVersionByAlias: (s, r) => s.getModelVersionByAlias(r['name'] as string, r['alias'] as string),
  deleteRegisteredModelAlias: (s, r) =>
    s.deleteRegisteredModelAlias(r['name'] as string, r['alias'] as string),
  setRegisteredModelTag: (s, r) =>
    s.setRegisteredModelTag(r['name'] as string, r['key'] as string, r['value'] as string),
  setModelVersionTag: (s, r) =>
    s.setModelVersionTag(
      r['name'] as string,
      r['version'] as string,
      r['key'] as string,
      r['value'] as string,
    ),
  updateRegisteredModel: (s, r) => s.updateRegisteredModel(r['name'] as string, r['description'] as string),
  getRegisteredModel: (s, r) => s.getRegisteredModel(r['name'] as string),
  getModelVersion: (s, r) => s.getModelVersion(r['name'] as string, r['version'] as string),
  searchModelVersions: (s, r) =>
    s.searchModelVersions({ filter: r['filter'] as string, maxResults: Number(r['max_results']) }),
  searchRegisteredModels: (s, r) =>
    s.searchRegisteredModels({ filter: r['filter'] as string, maxResults: Number(r['max_results']) }),
  getLatestVersions: (s, r) => s.getLatestVersions(r['name'] as string, r['stages'] as Array<'Staging'>),
  getModelVersionDownloadUri: (s, r) =>
    s.getModelVersionDownloadUri(r['name'] as string, r['version'] as string),
  createLoggedModel: (s, r) =>
    s.createLoggedModel({
      experimentId: r['experiment_id'] as string,
      name: r['name'] as string,
      sourceRunId: r['source_run_id'] as string,
      params: wireTags(r['params']),
      tags: wireTags(r['tags']),
    }),
  logOutputs: (s, r) =>
    s.logOutputs(
      r['run_id'] as string,
      (r['models'] as Array<{ model_id: string; step: number }>).map((m) => ({
        modelId: m.model_id,
        step: m.step,
      })),
    ),
  getLoggedModel: (s, r) => s.getLoggedModel(r['model_id'] as string),
  finalizeLoggedModel: (s, r) =>
    s.finalizeLoggedModel(r['model_id'] as string, r['status'] as 'LOGGED_MODEL_READY'),
  searchLoggedModels: (s, r) =>
    s.searchLoggedModels({ experimentIds: r['experiment_ids'] as string[], filter: r['filter'] as string }),
  setLoggedModelTags: (s, r) => s.setLoggedModelTags(r['model_id'] as string, wireTags(r['tags'])),
};

/** Python-only calls our store has no method for (the REST store logs models as artifacts). */
const NOT_A_STORE_CALL = new Set(['logModel']);

for (const file of RECORDINGS) {
  describe(`REST store requests match the Python client: ${file}`, () => {
    it('same method, path, transport and field names for every recorded API call', async () => {
      const exchanges = loadRecording(file);
      const runGets = exchanges.filter((ex) => ex.path.endsWith('/runs/get') && ex.status === 200);
      let current: Exchange | undefined;
      const { url, captured } = await serve((req) => {
        const ex = current as Exchange;
        if (req.method === ex.method && req.path === ex.path) {
          return {
            status: ex.status,
            body: ex.resp_body_b64 ? Buffer.from(ex.resp_body_b64, 'base64') : (ex.resp_body ?? ''),
          };
        }
        // The store looks a run up before its first artifact call, as the Python client does.
        const runId = req.query.get('run_id');
        const run = runGets.find((g) => new URLSearchParams(g.query).get('run_id') === runId) ?? runGets[0];
        return { status: 200, body: run?.resp_body ?? '{}' };
      });
      const store = new RestStore(url, fast);
      let checked = 0;
      const skipped: string[] = [];
      for (const ex of exchanges) {
        current = ex;
        const before = captured.length;
        const sub = ex.path.replace(/^\/api\/2\.0\//, '');
        if (isJsonApi(ex)) {
          const match = matchEndpoint(ex.method, sub);
          if (match.kind !== 'found') throw new Error(`unrouted ${ex.method} ${ex.path}`);
          const name = match.key;
          const call = CALLS[name];
          if (!call) {
            if (!NOT_A_STORE_CALL.has(name)) throw new Error(`no store call mapped for ${name}`);
            skipped.push(name);
            continue;
          }
          const fields =
            ex.method === 'GET'
              ? decodeQuery(new URLSearchParams(ex.query))
              : (JSON.parse(ex.req_body || '{}') as Req);
          const req = endpoints[name].request.parse({ ...fields, ...match.pathParams }) as Req;
          if (req['run_uuid'] && !req['run_id']) req['run_id'] = req['run_uuid'];
          await call(store, req, ex).catch((err: unknown) => {
            if (ex.status < 400) throw err;
          });
        } else {
          const run = /^mlflow-artifacts\/artifacts\/(\d+)\/([0-9a-f]{32})\/artifacts(?:\/(.*))?$/.exec(
            ex.method === 'GET' && sub === 'mlflow-artifacts/artifacts'
              ? `${sub}/${new URLSearchParams(ex.query).get('path')}`
              : sub,
          );
          if (!run) {
            skipped.push(`${ex.method} logged-model artifact`);
            continue;
          }
          const [, , runId, rel] = run as unknown as [string, string, string, string | undefined];
          if (ex.method === 'PUT') await store.logArtifact(runId, rel ?? '', requestBytes(ex));
          else if (sub === 'mlflow-artifacts/artifacts') await store.listArtifacts(runId, rel);
          else await store.downloadArtifact(runId, rel ?? '');
        }
        const ours = captured.slice(before).filter((c) => c.method === ex.method && c.path === ex.path);
        expect(ours, `#${ex.index} ${ex.method} ${ex.path}`).toHaveLength(1);
        const mine = ours[0] as Captured;
        if (ex.method === 'GET') {
          expect(new Set(mine.query.keys()), `#${ex.index} query of ${ex.path}`).toEqual(
            new Set(new URLSearchParams(ex.query).keys()),
          );
          expect(mine.body.length).toBe(0);
        } else if (isJsonApi(ex)) {
          expect(mine.contentType).toBe('application/json');
          const recorded = shape(JSON.parse(ex.req_body || '{}'));
          const sent = shape(JSON.parse(mine.body.toString('utf8')));
          // Every field we send is one the Python client sends; every top-level field it sends, we send.
          for (const k of sent) expect(recorded.has(k), `#${ex.index} ${ex.path}: we send '${k}'`).toBe(true);
          for (const k of recorded)
            if (!k.includes('.')) expect(sent.has(k), `#${ex.index} ${ex.path}: missing '${k}'`).toBe(true);
        } else {
          expect(Buffer.compare(mine.body, Buffer.from(requestBytes(ex)))).toBe(0);
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(60);
      expect(skipped.every((s) => s === 'logModel' || s.endsWith('logged-model artifact'))).toBe(true);
    });
  });
}

describe('REST store transport', () => {
  it('chunks log-batch to MLflow limits and keeps every item once', () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 7}`,
      value: i,
      timestamp: 1,
      step: i,
    }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7000) }));
    const chunks = chunkBatch({ metrics, params, tags });
    for (const c of chunks) {
      expect(c.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
      expect(c.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
      expect(c.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
      expect(c.params.length + c.tags.length + c.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.total);
      expect(JSON.stringify(c).length).toBeLessThan(1024 * 1024);
    }
    expect(chunks.flatMap((c) => c.metrics).map((m) => m['step'])).toEqual(metrics.map((m) => m.step));
    expect(chunks.flatMap((c) => c.params)).toHaveLength(250);
    expect(chunks.flatMap((c) => c.tags)).toHaveLength(130);
  });

  it('sends chunked batches as separate log-batch requests', async () => {
    const { url, captured } = await serve(() => ({ status: 200, body: '{}' }));
    const store = new RestStore(url, fast);
    const metrics = Array.from({ length: 2001 }, (_, i) => ({
      key: 'loss',
      value: i,
      timestamp: 1,
      step: i,
    }));
    await store.logBatch('r1', { metrics });
    expect(captured.map((c) => c.path)).toEqual(Array(3).fill('/api/2.0/mlflow/runs/log-batch'));
    const sent = captured.flatMap((c) => (JSON.parse(c.body.toString()) as { metrics: unknown[] }).metrics);
    expect(sent).toHaveLength(2001);
  });

  it('logs logged-model params in requests of at most 100, as the Python client, each param once', async () => {
    const model = {
      model: {
        info: {
          model_id: 'm-1',
          experiment_id: '0',
          name: 'm',
          artifact_uri: 'mlflow-artifacts:/0/models/m-1/artifacts',
          status: 'LOGGED_MODEL_READY',
          creation_timestamp_ms: 1,
          last_updated_timestamp_ms: 1,
        },
        data: { params: [{ key: 'p0', value: '0' }] },
      },
    };
    const { url, captured } = await serve((req) =>
      req.method === 'GET' ? { status: 200, body: JSON.stringify(model) } : { status: 200, body: '{}' },
    );
    // p0 is already on the model with the same value: MLflow 3 would fail on it, so it is not sent.
    const params = Array.from({ length: 251 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    await new RestStore(url, fast).logLoggedModelParams('m-1', params);
    expect(captured.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/2.0/mlflow/logged-models/m-1',
      ...Array(3).fill('POST /api/2.0/mlflow/logged-models/m-1/params'),
    ]);
    captured.shift();
    const bodies = captured.map(
      (c) => JSON.parse(c.body.toString()) as { model_id: string; params: unknown[] },
    );
    expect(bodies.map((b) => [b.model_id, b.params.length])).toEqual([
      ['m-1', 100],
      ['m-1', 100],
      ['m-1', 50],
    ]);
  });

  it('retries 429/5xx with backoff, then succeeds', async () => {
    let n = 0;
    const { url, captured } = await serve(() => {
      n++;
      if (n === 1) return { status: 503, body: 'busy', type: 'text/plain' };
      if (n === 2)
        return { status: 429, body: '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}' };
      return { status: 200, body: '{"experiment_id":"7"}' };
    });
    const store = new RestStore(url, fast);
    expect(await store.createExperiment('x')).toBe('7');
    expect(captured).toHaveLength(3);
  });

  it('gives up after the configured retries with the server error', async () => {
    const { url, captured } = await serve(() => ({
      status: 500,
      body: '{"error_code":"INTERNAL_ERROR","message":"boom"}',
    }));
    const store = new RestStore(url, fast);
    await expect(store.getExperiment('1')).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: 'boom' });
    expect(captured).toHaveLength(4);
  });

  it('does not retry client errors and maps them to typed errors', async () => {
    const { url, captured } = await serve((req) =>
      req.path.endsWith('get-by-name') || req.path.endsWith('runs/get')
        ? { status: 404, body: '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no"}' }
        : { status: 400, body: '{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}' },
    );
    const store = new RestStore(url, fast);
    expect(await store.getExperimentByName('nope')).toBeNull();
    await expect(store.getRun('r')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.logParam('r', { key: 'k', value: 'v' })).rejects.toBeInstanceOf(InvalidParameterError);
    expect(captured).toHaveLength(3);
  });

  it('retries network errors and names the server when it is unreachable', async () => {
    const { url } = await serve(() => ({ status: 200, body: '{}' }));
    await new Promise((r) => (servers.pop() as Server).close(r));
    const store = new RestStore(url, fast);
    const err = await store.getExperiment('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PropflowError);
    expect((err as PropflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    expect((err as PropflowError).message).toContain(url);
  });

  it('sends basic auth and bearer tokens from the MLflow variables', async () => {
    const { url, captured } = await serve(() => ({ status: 200, body: '{}' }));
    await new RestStore(url, {
      ...fast,
      env: { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' },
    }).deleteRun('r');
    await new RestStore(url, { ...fast, env: { MLFLOW_TRACKING_TOKEN: 'tok' } }).deleteRun('r');
    await new RestStore(url, fast).deleteRun('r');
    expect(captured.map((c) => c.authorization)).toEqual([
      `Basic ${Buffer.from('u:p').toString('base64')}`,
      'Bearer tok',
      undefined,
    ]);
  });

  it('refuses artifact locations it cannot reach through the server', async () => {
    const { url } = await serve(() => ({
      status: 200,
      body: JSON.stringify({
        run: { info: { run_id: 'r', experiment_id: '0', artifact_uri: 's3://bucket/r' } },
      }),
    }));
    await expect(new RestStore(url, fast).logArtifact('r', 'a.txt', 'x')).rejects.toMatchObject({
      code: 'NOT_IMPLEMENTED',
    });
  });
});
