/**
 * The server against hostile and malformed input: artifact paths that try to leave the root
 * (every traversal form, in-process and over a raw socket), locations naming the server's
 * file system, malformed bodies, hostile filters, body limits, and authentication.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthConfig, hashSecret, type ListeningServer, listen } from '../../src/server/index.js';
import { endpoints } from '../../src/tracking/index.js';
import { createTestServer, jsonInit, type TestServer } from './helpers.js';

const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts/artifacts';

/** A raw HTTP request (no URL normalisation by a client library). */
function rawRequest(
  url: string,
  method: string,
  rawPath: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error_code?: string };
  return body.error_code ?? '';
}

describe('server security', () => {
  let server: TestServer;
  let outside: string;
  let runId: string;
  let experimentId: string;

  beforeAll(async () => {
    server = await createTestServer({ limits: { artifactBytes: 64 * 1024 } });
    outside = await mkdtemp(path.join(tmpdir(), 'propflow-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
    experimentId = await server.store.createExperiment('security');
    runId = (await server.store.createRun({ experimentId })).info.runId;
    await mkdir(server.artifactRoot, { recursive: true });
    await symlink(outside, path.join(server.artifactRoot, 'escape'));
  });

  afterAll(async () => {
    await server.close();
    await rm(outside, { recursive: true, force: true });
  });

  const outsideUnchanged = async () => {
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  };

  describe('artifact paths stay inside the artifact root', () => {
    const base = () => `${experimentId}/${runId}/artifacts`;
    const forms: Array<[string, (b: string) => string]> = [
      ['encoded ../', (b) => `${b}/..%2F..%2F..%2F..%2Fpwned.txt`],
      ['encoded dots and slashes', (b) => `${b}/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpwned.txt`],
      ['double-encoded ../', (b) => `${b}/..%252F..%252F..%252Fpwned.txt`],
      ['double-encoded dots', (b) => `${b}/%252e%252e/%252e%252e/pwned.txt`],
      ['backslashes', (b) => `${b}/..%5C..%5C..%5Cpwned.txt`],
      ['NUL byte', (b) => `${b}/pwned.txt%00.png`],
      ['absolute path', () => '%2Ftmp%2Fpwned.txt'],
      ['absolute after slash', () => '/tmp/pwned.txt'],
      ['windows drive', () => 'C:%5Cpwned.txt'],
      ['run id traversal', () => `${experimentId}/..%2F..%2Fpwned.txt`],
    ];

    for (const [name, make] of forms) {
      it(`refuses ${name} for upload, download and delete`, async () => {
        const p = make(base());
        const put = await server.request(`${ART}/${p}`, { method: 'PUT', body: 'x' });
        expect(put.status, name).toBeGreaterThanOrEqual(400);
        expect(put.status, name).toBeLessThan(500);
        const get = await server.request(`${ART}/${p}`);
        expect(get.status).toBeGreaterThanOrEqual(400);
        expect(get.status).toBeLessThan(500);
        const del = await server.request(`${ART}/${p}`, { method: 'DELETE' });
        expect(del.status).toBeGreaterThanOrEqual(400);
        expect(del.status).toBeLessThan(500);
        expect(existsSync('/tmp/pwned.txt')).toBe(false);
        expect(existsSync(path.join(path.dirname(server.dir), 'pwned.txt'))).toBe(false);
        await outsideUnchanged();
      });
    }

    it('refuses traversal in the listing path', async () => {
      for (const p of ['..', '../..', '/etc', `${experimentId}/../..`, '%2e%2e', 'a\\..\\..', 'x%00']) {
        const res = await server.request(`${ART}?path=${encodeURIComponent(p)}`);
        expect(res.status, p).toBe(400);
      }
      const res = await server.request(
        `${API}/artifacts/list?run_id=${runId}&path=${encodeURIComponent('../../..')}`,
      );
      expect(res.status).toBe(400);
    });

    it('refuses symlinks that lead outside, for reads, writes and listings', async () => {
      const read = await server.request(`${ART}/escape/secret.txt`);
      expect([400, 403]).toContain(read.status);
      const write = await server.request(`${ART}/escape/new.txt`, { method: 'PUT', body: 'x' });
      expect([400, 403]).toContain(write.status);
      const list = await server.request(`${ART}?path=escape`);
      expect([400, 403]).toContain(list.status);
      const del = await server.request(`${ART}/escape/secret.txt`, { method: 'DELETE' });
      expect([400, 403]).toContain(del.status);
      await outsideUnchanged();
    });

    it('refuses every traversal form over a raw socket as well', async () => {
      const live: ListeningServer = await listen(server.app, { port: 0 });
      try {
        const raw = [
          `${ART}/../../../../../../tmp/pwned.txt`,
          `${ART}/..%2F..%2F..%2F..%2Ftmp%2Fpwned.txt`,
          `${ART}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/pwned.txt`,
          `${ART}/..%252F..%252Fpwned.txt`,
          `${ART}/..\\..\\..\\pwned.txt`,
          `${ART}//tmp/pwned.txt`,
          `${ART}/escape/pwned.txt`,
        ];
        for (const p of raw) {
          const res = await rawRequest(live.url, 'PUT', p, 'x', {
            'Content-Type': 'application/octet-stream',
          });
          expect(res.status, p).toBeGreaterThanOrEqual(400);
          expect(res.status, p).toBeLessThan(500);
          const get = await rawRequest(live.url, 'GET', p.replace('pwned.txt', 'secret.txt'));
          expect(get.status, p).toBeGreaterThanOrEqual(400);
          expect(get.body).not.toContain('top secret');
        }
        expect(existsSync('/tmp/pwned.txt')).toBe(false);
        await outsideUnchanged();
      } finally {
        await live.close();
      }
    });

    it('serves a legitimate artifact with safe headers', async () => {
      const put = await server.request(`${ART}/${base()}/dir/page.html`, {
        method: 'PUT',
        body: '<script>x</script>',
      });
      expect(put.status).toBe(200);
      const get = await server.request(`${ART}/${base()}/dir/page.html`);
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe('application/octet-stream');
      expect(get.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await get.text()).toBe('<script>x</script>');
    });
  });

  describe('locations naming the server file system are refused', () => {
    for (const location of [
      'file:///etc',
      '/etc',
      '../../outside',
      'file:///tmp/x',
      's3://bucket/x',
      'C:\\x',
    ]) {
      it(`experiment artifact_location ${location}`, async () => {
        const before = (await server.store.searchExperiments({ viewType: 'ALL' })).items.length;
        const res = await server.request(
          `${API}/experiments/create`,
          jsonInit('POST', { name: `loc-${Math.random()}`, artifact_location: location }),
        );
        expect(res.status).toBe(400);
        expect(await errorCode(res)).toBe('INVALID_PARAMETER_VALUE');
        expect((await server.store.searchExperiments({ viewType: 'ALL' })).items.length).toBe(before);
      });
    }

    it('accepts an mlflow-artifacts location and a local path inside the root', async () => {
      const ok1 = await server.request(
        `${API}/experiments/create`,
        jsonInit('POST', { name: 'loc-ok-1', artifact_location: 'mlflow-artifacts:/custom' }),
      );
      expect(ok1.status).toBe(200);
      const ok2 = await server.request(
        `${API}/experiments/create`,
        jsonInit('POST', { name: 'loc-ok-2', artifact_location: path.join(server.artifactRoot, 'inside') }),
      );
      expect(ok2.status).toBe(200);
    });

    for (const template of [
      'file:///etc/passwd',
      '/etc/passwd',
      '<outside>/secret.txt',
      'runs:/abc/../../x',
      'http://evil/x',
      'C:\\x',
    ]) {
      it(`model version source ${template}`, async () => {
        const source = template.replace('<outside>', outside);
        const name = `src-model-${Math.random().toString(36).slice(2)}`;
        await server.request(`${API}/registered-models/create`, jsonInit('POST', { name }));
        const res = await server.request(`${API}/model-versions/create`, jsonInit('POST', { name, source }));
        expect(res.status).toBe(400);
        const versions = await server.store.searchModelVersions({ filter: `name = '${name}'` });
        expect(versions.items).toHaveLength(0);
      });
    }
  });

  describe('malformed input is a 4xx with a JSON error and changes nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = (await server.store.searchExperiments({ viewType: 'ALL' })).items.length;
    });
    afterEach(async () => {
      expect((await server.store.searchExperiments({ viewType: 'ALL' })).items.length).toBe(before);
      const run = await server.store.getRun(runId);
      expect(run.data.metrics.filter((m) => m.key.startsWith('bad'))).toEqual([]);
    });

    const post = (p: string, body: string | Uint8Array, type = 'application/json') =>
      server.request(`${API}/${p}`, { method: 'POST', body, headers: { 'Content-Type': type } });

    it('invalid JSON, non-object JSON, invalid UTF-8', async () => {
      for (const body of ['{"name": ', '[1,2]', '"x"', 'null', '{"name": NaN}', '{name: 1}']) {
        const res = await post('experiments/create', body);
        expect(res.status, body).toBe(400);
        expect(await errorCode(res)).toBe('INVALID_PARAMETER_VALUE');
      }
      const utf8 = new Uint8Array([
        ...new TextEncoder().encode('{"name": "a'),
        0xff,
        0xfe,
        ...new TextEncoder().encode('"}'),
      ]);
      expect((await post('experiments/create', utf8)).status).toBe(400);
    });

    it('wrong content type, with MLflow message', async () => {
      const res = await post('experiments/create', '{"name":"ct"}', 'text/plain');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: "Bad Request. Content-Type must be one of ['application/json'].",
      });
    });

    it('wrong types, NaN/Infinity and huge numbers where integers belong', async () => {
      const cases: Array<[string, unknown]> = [
        ['experiments/create', { name: 5 }],
        ['experiments/create', { name: { deep: true } }],
        ['runs/log-metric', { run_id: runId, key: 'bad1', value: 1, timestamp: 'NaN' }],
        ['runs/log-metric', { run_id: runId, key: 'bad2', value: 1, timestamp: 1, step: 'Infinity' }],
        ['runs/log-metric', { run_id: runId, key: 'bad3', value: 1, timestamp: 1e30 }],
        ['runs/log-metric', { run_id: runId, key: 'bad4', value: 1, timestamp: 1.5 }],
        ['runs/log-metric', { run_id: runId, key: 'bad5', value: 'abc', timestamp: 1 }],
        ['runs/log-metric', { run_id: runId, key: 'bad6', value: 1 }],
        ['runs/log-batch', { run_id: runId, metrics: 'nope' }],
        [
          'runs/log-batch',
          { run_id: runId, metrics: [{ key: 'bad7', value: 1, timestamp: '99999999999999999999' }] },
        ],
        ['runs/search', { experiment_ids: [experimentId], max_results: 1e20 }],
        ['runs/search', { experiment_ids: [experimentId], max_results: -1 }],
      ];
      for (const [p, body] of cases) {
        const res = await post(p, JSON.stringify(body));
        expect(res.status, `${p} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${p} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(typeof ((await res.json()) as { message?: unknown }).message).toBe('string');
      }
      const raw = await post(
        'runs/log-metric',
        `{"run_id":"${runId}","key":"bad8","value":1,"timestamp":1e400}`,
      );
      expect(raw.status).toBe(400);
    });

    it('absurdly deep nesting and oversized keys', async () => {
      const deep = `{"name": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const res = await post('experiments/create', deep);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const longKey = await post(
        'runs/log-metric',
        JSON.stringify({ run_id: runId, key: `bad${'k'.repeat(10_000)}`, value: 1, timestamp: 1 }),
      );
      expect(longKey.status).toBe(400);
    });

    it('hostile filter strings', async () => {
      const filters = [
        'metrics.x < 1; DROP TABLE runs; --',
        "params.a = 'x' OR 1=1",
        "attributes.status = 'a'' OR ''1''=''1'",
        "tags.`a` = 'x' AND (SELECT 1)",
        'metrics.`x` < 1 AND metrics.x < '.repeat(2000),
        'attributes.run_id IN (' + "'a',".repeat(5000) + "'b')",
        "params.p LIKE '%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%_'",
        '\u0000',
      ];
      for (const filter of filters) {
        const res = await post('runs/search', JSON.stringify({ experiment_ids: [experimentId], filter }));
        expect(res.status, filter.slice(0, 60)).toBeLessThan(500);
      }
      expect((await server.store.getRun(runId)).info.runId).toBe(runId);
    });

    it('every endpoint answers empty and garbage requests without a 500', async () => {
      const garbage: unknown[] = [
        {},
        { name: [], run_id: 7, experiment_id: { x: 1 }, key: null, version: 'x' },
      ];
      for (const ep of Object.values(endpoints)) {
        const p = ep.path.replace(/:([a-z_]+)/g, 'no-such-id');
        for (const g of garbage) {
          const res =
            ep.transport === 'query'
              ? await server.request(`/api/2.0/${p}?run_id=${encodeURIComponent('../x')}&name=%00&version=-1`)
              : await server.request(`/api/2.0/${p}`, jsonInit(ep.method, g));
          expect(res.status, `${ep.method} ${ep.path} ${JSON.stringify(g)}`).toBeLessThan(500);
          if (res.status >= 400)
            expect(typeof ((await res.json()) as { error_code?: unknown }).error_code).toBe('string');
        }
      }
    });
  });

  describe('routes and limits', () => {
    it('unknown routes are JSON ENDPOINT_NOT_FOUND, wrong methods 405', async () => {
      for (const p of [
        '/api/2.0/mlflow/nothing',
        '/ajax-api/2.0/mlflow/runs/nope',
        '/nothing',
        '/api/2.0/mlflow-artifacts/x',
      ]) {
        const res = await server.request(p);
        expect(res.status, p).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(await errorCode(res)).toBe('ENDPOINT_NOT_FOUND');
      }
      const wrong = await server.request(`${API}/runs/get`, { method: 'PUT' });
      expect(wrong.status).toBe(405);
    });

    it('serves the API under /ajax-api/2.0 too', async () => {
      const res = await server.request(`/ajax-api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { experiment: { name: string } }).experiment.name).toBe('security');
    });

    it('UI artifact routes (get-artifact, upload-artifact) check paths too', async () => {
      const up = await server.request(
        `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=ui/up.txt`,
        {
          method: 'POST',
          body: 'uploaded',
        },
      );
      expect(up.status).toBe(200);
      const get = await server.request(`/get-artifact?run_uuid=${runId}&path=ui/up.txt`);
      expect(await get.text()).toBe('uploaded');
      for (const p of ['../../../escape/secret.txt', '/etc/passwd', '..%2F..%2Fx', 'a\\..\\..\\x']) {
        const bad = await server.request(`/get-artifact?run_uuid=${runId}&path=${encodeURIComponent(p)}`);
        expect(bad.status, p).toBe(400);
        const badUp = await server.request(
          `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=${encodeURIComponent(p)}`,
          {
            method: 'POST',
            body: 'x',
          },
        );
        expect(badUp.status, p).toBe(400);
      }
      await server.store.createRegisteredModel('ui-model');
      await server.store.createModelVersion('ui-model', { source: `runs:/${runId}/ui`, runId });
      const mv = await server.request('/model-versions/get-artifact?name=ui-model&version=1&path=up.txt');
      expect(await mv.text()).toBe('uploaded');
      const mvBad = await server.request(
        `/model-versions/get-artifact?name=ui-model&version=1&path=${encodeURIComponent('../../..')}`,
      );
      expect(mvBad.status).toBe(400);
      await outsideUnchanged();
    });

    it('health and version', async () => {
      expect(await (await server.request('/health')).text()).toBe('OK');
      expect((await server.request('/version')).status).toBe(200);
    });

    it('log-batch bodies over 1 MB are refused with 413 and nothing logged', async () => {
      const metrics = Array.from({ length: 15_000 }, (_, i) => ({
        key: `bad_big_${i}`.padEnd(60, 'x'),
        value: i,
        timestamp: 1,
        step: 0,
      }));
      const body = JSON.stringify({ run_id: runId, metrics });
      expect(body.length).toBeGreaterThan(1024 * 1024);
      const res = await server.request(`${API}/runs/log-batch`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json' },
      });
      expect(res.status).toBe(413);
      expect((await server.store.getRun(runId)).data.metrics.some((m) => m.key.startsWith('bad_big'))).toBe(
        false,
      );
    });

    it('artifact uploads over the configured limit are refused and leave no file', async () => {
      const rel = `${experimentId}/${runId}/artifacts/big.bin`;
      const res = await server.request(`${ART}/${rel}`, { method: 'PUT', body: new Uint8Array(65 * 1024) });
      expect(res.status).toBe(413);
      const streamed = await server.request(`${ART}/${rel}`, {
        method: 'PUT',
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(8 * 1024));
            c.close();
          },
        }),
        duplex: 'half',
      });
      expect(streamed.status).toBe(413);
      const dir = path.join(server.artifactRoot, experimentId, runId, 'artifacts');
      const left = existsSync(dir) ? await readdir(dir) : [];
      expect(left.filter((f) => f.startsWith('big.bin'))).toEqual([]);
      const small = await server.request(`${ART}/${rel}`, { method: 'PUT', body: new Uint8Array(1024) });
      expect(small.status).toBe(200);
    });
  });
});

describe('server authentication', () => {
  let server: TestServer;
  const auth: AuthConfig = {
    users: [
      { username: 'writer', passwordHash: hashSecret('w-pass'), permission: 'write' },
      { username: 'reader', passwordHash: hashSecret('r-pass'), permission: 'read' },
    ],
    tokens: [{ name: 'ci', tokenHash: hashSecret('tok-123'), permission: 'write' }],
  };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  beforeAll(async () => {
    server = await createTestServer({ auth });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is off by default', async () => {
    const open = await createTestServer();
    try {
      const res = await open.request(`${API}/experiments/create`, jsonInit('POST', { name: 'no-auth' }));
      expect(res.status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('401 UNAUTHENTICATED without or with wrong credentials; health stays open', async () => {
    const none = await server.request(`${API}/experiments/search?max_results=5`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    expect(await errorCode(none)).toBe('UNAUTHENTICATED');
    const wrong = await server.request(`${API}/experiments/search`, {
      headers: { Authorization: basic('writer', 'nope') },
    });
    expect(wrong.status).toBe(401);
    const badToken = await server.request(`${API}/experiments/search`, {
      headers: { Authorization: 'Bearer nope' },
    });
    expect(badToken.status).toBe(401);
    const art = await server.request(`${ART}?path=`);
    expect(art.status).toBe(401);
    expect((await server.request('/health')).status).toBe(200);
  });

  it('a read-only user reads and searches but gets 403 PERMISSION_DENIED on writes', async () => {
    const h = { Authorization: basic('reader', 'r-pass') };
    expect((await server.request(`${API}/experiments/search`, { headers: h })).status).toBe(200);
    const search = await server.request(`${API}/runs/search`, jsonInit('POST', { experiment_ids: ['0'] }, h));
    expect(search.status).toBe(200);
    const write = await server.request(
      `${API}/experiments/create`,
      jsonInit('POST', { name: 'by-reader' }, h),
    );
    expect(write.status).toBe(403);
    expect(await errorCode(write)).toBe('PERMISSION_DENIED');
    const put = await server.request(`${ART}/0/x.txt`, { method: 'PUT', body: 'x', headers: h });
    expect(put.status).toBe(403);
    expect(await server.store.getExperimentByName('by-reader')).toBeNull();
  });

  it('writers (basic and bearer) write', async () => {
    const w = await server.request(
      `${API}/experiments/create`,
      jsonInit('POST', { name: 'by-writer' }, { Authorization: basic('writer', 'w-pass') }),
    );
    expect(w.status).toBe(200);
    const t = await server.request(
      `${API}/experiments/create`,
      jsonInit('POST', { name: 'by-token' }, { Authorization: 'Bearer tok-123' }),
    );
    expect(t.status).toBe(200);
  });
});

describe('error mapping', () => {
  // A store that fails on purpose: a real SQLite store only reports SQLITE_BUSY after its
  // 10 s busy timeout, and has no way to make it fail with an unexpected error.
  it('a busy database is a 503 the clients retry, other failures a 500 without internals', async () => {
    const { createServerApp } = await import('../../src/server/index.js');
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const failing = new Proxy({} as never, {
      get: (_t, prop) =>
        prop === 'getExperiment'
          ? async () => {
              throw busy;
            }
          : async () => {
              throw new Error('secret internal detail');
            },
    });
    const app = createServerApp({ store: failing, artifactRoot: tmpdir() });
    const res = await app.request('http://x/api/2.0/mlflow/experiments/get?experiment_id=1');
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe('TEMPORARILY_UNAVAILABLE');
    const other = await app.request('http://x/api/2.0/mlflow/runs/get?run_id=1');
    expect(other.status).toBe(500);
    const body = (await other.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('INTERNAL_ERROR');
    expect(body.message).not.toContain('secret');
  });
});
