import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../registry/index.js';
import { openStore, type TrackingStore } from '../tracking/index.js';
import { createServerApp } from './app.js';
import { hashSecret } from './auth.js';

let dir: string;
let store: TrackingStore;
let app: ReturnType<typeof createServerApp>;
let authed: ReturnType<typeof createServerApp>;
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-ui-'));
  const dist = path.join(dir, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.css'), 'body{}');
  store = await openStore(`sqlite:///${path.join(dir, 'mlflow.db')}`, {
    artifactRoot: path.join(dir, 'artifacts'),
    artifactUriBase: 'mlflow-artifacts:',
  });
  const common = { store, artifactRoot: path.join(dir, 'artifacts'), uiDist: dist };
  app = createServerApp(common);
  authed = createServerApp({
    ...common,
    auth: {
      users: [
        { username: 'ana', passwordHash: hashSecret('a'), permission: 'write' },
        { username: 'bo', passwordHash: hashSecret('b'), permission: 'read' },
      ],
      tokens: [],
    },
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web UI static files', () => {
  it('serves index.html at / with no-cache, an ETag and a CSP, and 304 on a matching ETag', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('id="root"');
    const again = await app.request('/', { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('caches hashed assets for a year with their content types', async () => {
    const js = await app.request('/assets/index-abc123.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await app.request('/assets/index-abc123.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('falls back to index.html for client routes, but not for APIs or missing files', async () => {
    const deep = await app.request('/runs/abc?x=1');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('id="root"');
    for (const route of ['/experiments/3', '/models/NBAPropsModel', '/compare', '/monitoring/']) {
      expect(await (await app.request(route)).text(), route).toContain('id="root"');
    }
    expect((await app.request('/nothing')).status).toBe(404);
    const missing = await app.request('/assets/gone-123.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const api = await app.request('/api/2.0/mlflow/nothing');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
    expect((await app.request('/ajax-api/propflow/nothing')).status).toBe(404);
  });

  it('says how to build the UI when it is not built', async () => {
    const bare = createServerApp({ store, artifactRoot: dir, uiDist: path.join(dir, 'nowhere') });
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:ui');
  });
});

describe('web UI endpoints', () => {
  it('lists experiments with run counts', async () => {
    const id = await store.createExperiment('NBA_Props_Model/UiCounts');
    for (let i = 0; i < 3; i++) await store.createRun({ experimentId: id });
    const res = await app.request('/ajax-api/propflow/experiments');
    const body = (await res.json()) as { experiments: Array<{ name: string; run_count: number }> };
    expect(body.experiments.find((e) => e.name === 'NBA_Props_Model/UiCounts')?.run_count).toBe(3);
  });

  it('compares 2 to 10 runs with compareRuns, and says so otherwise', async () => {
    const one = await app.request('/ajax-api/propflow/compare?run_ids=abc');
    expect(one.status).toBe(400);
    expect(((await one.json()) as { message: string }).message).toMatch(/2 to 10 runs/);
    const id = await store.createExperiment('UiCompare');
    const ids: string[] = [];
    for (let r = 0; r < 2; r++) {
      const run = await store.createRun({ experimentId: id, runName: `cmp_${r}` });
      const metrics = [0, 1, 2, 3].flatMap((step) => [
        { key: 'fold_mae', value: 5 + r * 0.1 + step * 0.01, timestamp: 1, step },
        { key: 'fold_date', value: 20240101 + step, timestamp: 1, step },
      ]);
      await store.logBatch(run.info.runId, { metrics });
      ids.push(run.info.runId);
    }
    const res = await app.request(`/ajax-api/propflow/compare?run_ids=${ids.join(',')}`);
    expect(res.status).toBe(200);
    const c = (await res.json()) as {
      folds: unknown[];
      pairs: Array<{ n: number; mean_difference: number }>;
    };
    expect(c.folds).toHaveLength(4);
    expect(c.pairs[0]!.n).toBe(4);
    expect(Math.abs(c.pairs[0]!.mean_difference)).toBeCloseTo(0.1, 9);
    const missing = await app.request(`/ajax-api/propflow/compare?run_ids=${ids[0]},nope`);
    expect(missing.status).toBe(404);
  });

  it('reads a run artifact through the store with its content type', async () => {
    const id = await store.createExperiment('UiArtifacts');
    const run = await store.createRun({ experimentId: id });
    await store.logArtifact(run.info.runId, 'info.json', '{"a":1}');
    const res = await app.request(`/ajax-api/propflow/artifact?run_id=${run.info.runId}&path=info.json`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"a":1}');
    const bad = await app.request(`/ajax-api/propflow/artifact?run_id=${run.info.runId}&path=../x`);
    expect(bad.status).toBe(400);
  });

  it('says who is signed in; a read-only user is refused promote and rollback', async () => {
    expect(await (await app.request('/ajax-api/propflow/whoami')).json()).toEqual({
      auth: false,
      user: null,
      permission: 'write',
    });
    expect((await authed.request('/')).status).toBe(401);
    const bo = { Authorization: basic('bo', 'b') };
    expect(await (await authed.request('/ajax-api/propflow/whoami', { headers: bo })).json()).toEqual({
      auth: true,
      user: 'bo',
      permission: 'read',
    });
    for (const action of ['promote', 'rollback']) {
      const res = await authed.request(`/ajax-api/propflow/registry/${action}`, {
        method: 'POST',
        headers: { ...bo, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'M', version: '1', reason: 'x' }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/bo' may only read/);
    }
  });

  it('promotes and rolls back through the registry workflow with the user as the actor', async () => {
    const id = await store.createExperiment('UiRegistry');
    const versions: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await store.createRun({ experimentId: id });
      await store.logArtifact(run.info.runId, 'model/MLmodel', 'flavors: {}\n');
      const reg = await new ModelRegistry(store, { actor: 'setup' }).register({
        runId: run.info.runId,
        name: 'UiM',
      });
      if (reg.registered) versions.push(reg.version);
    }
    const ana = { Authorization: basic('ana', 'a'), 'Content-Type': 'application/json' };
    const post = (action: string, body: object) =>
      authed.request(`/ajax-api/propflow/registry/${action}`, {
        method: 'POST',
        headers: ana,
        body: JSON.stringify(body),
      });
    const noReason = await post('promote', { name: 'UiM', version: versions[0], force: true });
    expect(noReason.status).toBe(400);
    const unevaluated = await post('promote', { name: 'UiM', version: versions[0], reason: 'go' });
    expect(unevaluated.status).toBe(400);
    expect(((await unevaluated.json()) as { message: string }).message).toMatch(/never evaluated/);
    for (const v of versions) {
      expect(
        (await post('promote', { name: 'UiM', version: v, reason: `ship v${v}`, force: true })).status,
      ).toBe(200);
    }
    const rb = await post('rollback', { name: 'UiM', reason: 'live MAE drifted' });
    expect(rb.status).toBe(200);
    expect(await rb.json()).toMatchObject({ from: versions[1], to: versions[0] });
    const history = (await (
      await authed.request('/ajax-api/propflow/registry/history?name=UiM', { headers: ana })
    ).json()) as { events: Array<{ action: string; actor: string; reason: string | null }> };
    const decisions = history.events.filter((e) => e.action === 'promote' || e.action === 'rollback');
    expect(decisions.map((e) => [e.action, e.actor])).toEqual([
      ['promote', 'ana'],
      ['promote', 'ana'],
      ['rollback', 'ana'],
    ]);
    expect(decisions.at(-1)?.reason).toBe('live MAE drifted');
  });
});
