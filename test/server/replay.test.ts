/**
 * Replay of real MLflow Python client traffic (MLflow 2.12.2 and 3.11) against propflow's
 * server: every recorded request is sent in order — recorded ids mapped to the ids this
 * server hands out, names made unique — and every answer is compared with what the real
 * MLflow server said: status, error code and message, every recorded key present, values
 * equal apart from ids (mapped) and timestamps (numbers, not compared). Artifact bodies byte
 * for byte.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningServer, listen } from '../../src/server/index.js';
import { createTestServer, type TestServer } from './helpers.js';
import {
  type Exchange,
  loadRecording,
  RECORDINGS,
  requestBytes,
  responseBytes,
  responseJson,
} from './recordings.js';

type Json = Record<string, unknown>;

/** MLflow 3 adds these to error bodies; propflow answers MLflow's documented `{error_code, message}`. */
const IGNORED_KEYS = new Set(['sqlstate', 'error_class']);
const ID_KEYS = new Set(['run_id', 'run_uuid', 'model_id', 'source_run_id', 'next_page_token']);

class IdMap {
  /** Ids that are safe to replace anywhere (32-hex run ids, m-… model ids, names, page tokens). */
  readonly global = new Map<string, string>();
  /** Experiment ids are small integers: replaced only where an experiment id is expected. */
  readonly experiments = new Map<string, string>();

  str(s: string): string {
    let out = s;
    for (const [from, to] of [...this.global].sort((a, b) => b[0].length - a[0].length))
      out = out.split(from).join(to);
    return out.replace(
      /mlflow-artifacts:\/(\d+)(?=\/|$)/g,
      (_, id: string) => `mlflow-artifacts:/${this.exp(id)}`,
    );
  }

  exp(id: string): string {
    return this.experiments.get(id) ?? id;
  }

  /** An artifact path whose first segment is an experiment id. */
  artifactPath(p: string): string {
    const [first, ...rest] = p.split('/');
    return [this.exp(first ?? ''), ...rest].map((s) => this.str(s)).join('/');
  }

  value(v: unknown, key?: string): unknown {
    if (typeof v === 'string') return key === 'experiment_id' ? this.exp(v) : this.str(v);
    if (Array.isArray(v))
      return v.map((item) => this.value(item, key === 'experiment_ids' ? 'experiment_id' : key));
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, k)]));
    }
    return v;
  }

  /** Learn recorded → ours from two answers of the same shape. */
  learn(recorded: unknown, ours: unknown, key?: string): void {
    if (typeof recorded === 'string' && typeof ours === 'string') {
      // First sighting wins: a later, different answer for a known id is a mismatch, not a new mapping.
      if (key === 'experiment_id') {
        if (!this.experiments.has(recorded)) this.experiments.set(recorded, ours);
      } else if (key !== undefined && ID_KEYS.has(key) && recorded !== ours && !this.global.has(recorded)) {
        this.global.set(recorded, ours);
      }
      return;
    }
    if (Array.isArray(recorded) && Array.isArray(ours)) {
      recorded.forEach((r, i) => {
        this.learn(r, ours[i], key);
      });
      return;
    }
    if (typeof recorded === 'object' && recorded !== null && typeof ours === 'object' && ours !== null) {
      for (const [k, r] of Object.entries(recorded)) this.learn(r, (ours as Json)[k], k);
    }
  }
}

const isTime = (key: string) => /time|timestamp/.test(key);

/**
 * Keys MLflow leaves out in some answers, so ours must leave them out too where the recording
 * has none: `aliases` in model-version searches and `latest_versions` (MLflow's
 * `SqlModelVersion.to_mlflow_entity()` builds versions with no aliases), and `outputs` for a
 * 2.x client (RunOutputs are MLflow 3).
 */
const ABSENT_WHEN_RECORDED_ABSENT = new Set(['aliases', 'outputs', 'inputs']);

function sortKey(item: unknown): string {
  const o = item as Json;
  return ['key', 'version', 'alias', 'path', 'step']
    .map((k) => (o[k] === undefined ? '' : String(o[k]).padStart(12, ' ')))
    .join('|');
}

/**
 * Versions in MLflow's order, `last_updated_timestamp DESC, name ASC, version DESC`
 * (`_parse_search_model_versions_order_by` in mlflow/store/model_registry/sqlalchemy_store.py).
 * Checked on our own timestamps: versions updated in the same millisecond tie on the first key.
 */
function checkVersionOrder(actual: unknown[], where: string, problems: string[]): void {
  const rows = actual as Array<{ name: string; version: string; last_updated_timestamp: number }>;
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    const cmp =
      b.last_updated_timestamp - a.last_updated_timestamp ||
      a.name.localeCompare(b.name) ||
      Number(b.version) - Number(a.version);
    if (cmp > 0)
      problems.push(`${where}: version ${b.name}/${b.version} should come before ${a.name}/${a.version}`);
  }
}

/** Every recorded key present in ours with an equal value (timestamps: any number). */
function compare(expected: unknown, actual: unknown, where: string, problems: string[], key = ''): void {
  if (isTime(key) && typeof expected === 'number') {
    if (typeof actual !== 'number')
      problems.push(`${where}: expected a number timestamp, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      problems.push(
        `${where}: expected ${expected.length} items, got ${JSON.stringify(actual)?.slice(0, 300)}`,
      );
      return;
    }
    const sortable = expected.every((e) => typeof e === 'object' && e !== null && !('info' in e));
    const exp = sortable ? [...expected].sort((a, b) => sortKey(a).localeCompare(sortKey(b))) : expected;
    const act = sortable ? [...actual].sort((a, b) => sortKey(a).localeCompare(sortKey(b))) : actual;
    exp.forEach((e, i) => {
      compare(e, act[i], `${where}[${i}]`, problems, key);
    });
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) {
      problems.push(`${where}: expected an object, got ${JSON.stringify(actual)?.slice(0, 300)}`);
      return;
    }
    for (const k of ABSENT_WHEN_RECORDED_ABSENT) {
      if (k in actual && !(k in expected)) {
        problems.push(
          `${where}.${k}: MLflow sends none, got ${JSON.stringify((actual as Json)[k])?.slice(0, 200)}`,
        );
      }
    }
    for (const [k, v] of Object.entries(expected)) {
      if (IGNORED_KEYS.has(k)) continue;
      if (!(k in actual)) {
        problems.push(`${where}.${k}: missing (expected ${JSON.stringify(v)?.slice(0, 200)})`);
        continue;
      }
      compare(v, (actual as Json)[k], `${where}.${k}`, problems, k);
    }
    return;
  }
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Math.abs(expected - actual) > 1e-12 * Math.max(1, Math.abs(expected))) {
      problems.push(`${where}: expected ${expected}, got ${actual}`);
    }
    return;
  }
  if (expected !== actual) {
    problems.push(
      `${where}: expected ${JSON.stringify(expected)?.slice(0, 300)}, got ${JSON.stringify(actual)?.slice(0, 300)}`,
    );
  }
}

async function replay(
  server: TestServer,
  exchanges: Exchange[],
  clientVersion: string,
): Promise<{ passed: number; failures: string[] }> {
  // What the recorded client sent (`mlflow/tracking/request_header/default_request_header_provider.py`).
  const userAgent = { 'User-Agent': `mlflow-python-client/${clientVersion}` };
  const ids = new IdMap();
  const suffix = randomUUID().slice(0, 8);
  // Unique names for what the client created by name.
  for (const ex of exchanges) {
    if (ex.path.endsWith('/experiments/create') || ex.path.endsWith('/registered-models/create')) {
      const name = (JSON.parse(ex.req_body ?? '{}') as Json)['name'];
      if (typeof name === 'string') ids.global.set(name, `${name}-${suffix}`);
    }
  }
  // An experiment beforehand, so our experiment ids differ from the recorded ones.
  await server.store.createExperiment(`replay-offset-${suffix}`);

  const failures: string[] = [];
  let passed = 0;
  for (const ex of exchanges) {
    const where = `#${ex.index} ${ex.step} | ${ex.method} ${ex.path}`;
    let path = ex.path;
    const artifactFile = '/api/2.0/mlflow-artifacts/artifacts/';
    if (path.startsWith(artifactFile))
      path = artifactFile + ids.artifactPath(path.slice(artifactFile.length));
    else path = ids.str(path);
    const query = new URLSearchParams(ex.query);
    const mapped = new URLSearchParams();
    for (const [k, v] of query) {
      mapped.append(
        k,
        k === 'path' ? ids.artifactPath(v) : (ids.value(v, k === 'experiment_id' ? k : undefined) as string),
      );
    }
    const qs = mapped.toString();
    const init: RequestInit = { method: ex.method, headers: userAgent };
    if (ex.req_content_type === 'application/json') {
      init.body = JSON.stringify(ids.value(JSON.parse(ex.req_body ?? '{}')));
      init.headers = { ...userAgent, 'Content-Type': 'application/json' };
    } else if (ex.method === 'PUT') {
      init.body = requestBytes(ex);
      init.headers = { ...userAgent, 'Content-Type': ex.req_content_type ?? 'application/octet-stream' };
    }
    const res = await server.request(`${path}${qs ? `?${qs}` : ''}`, init);
    const problems: string[] = [];
    if (res.status !== ex.status) problems.push(`status ${res.status}, recorded ${ex.status}`);
    const expectedJson = responseJson(ex);
    if (expectedJson !== undefined) {
      const text = await res.text();
      let ours: unknown;
      try {
        ours = JSON.parse(text);
      } catch {
        problems.push(`answer is not JSON: ${text.slice(0, 200)}`);
      }
      if (ours !== undefined) {
        if ('next_page_token' in expectedJson && !(ours as Json)['next_page_token']) {
          // MLflow 2.12 hands out a token when the last page is exactly full (the next page is
          // empty); MLflow 3 and propflow do not. The contract accepts both.
          delete expectedJson['next_page_token'];
        }
        // Ids this answer introduces are learned first, then everything is compared.
        ids.learn(expectedJson, ours);
        const expected = ids.value(expectedJson);
        compare(expected, ours, 'body', problems);
        // The order of a model-version search is part of its answer.
        const found = (ours as Json)['model_versions'];
        if (ex.path.endsWith('/model-versions/search') && Array.isArray(found)) {
          checkVersionOrder(found, 'body.model_versions', problems);
        }
      }
    } else {
      const ours = new Uint8Array(await res.arrayBuffer());
      if (Buffer.compare(Buffer.from(ours), Buffer.from(responseBytes(ex))) !== 0) {
        problems.push(`artifact bytes differ (${ours.byteLength} vs ${responseBytes(ex).byteLength} bytes)`);
      }
    }
    if (problems.length > 0) failures.push(`${where}\n    ${problems.join('\n    ')}`);
    else passed++;
  }
  return { passed, failures };
}

for (const file of RECORDINGS) {
  for (const mode of ['in-process', 'over HTTP'] as const) {
    describe(`replay ${file} (${mode})`, () => {
      let server: TestServer;
      let live: ListeningServer | undefined;
      beforeAll(async () => {
        server = await createTestServer();
        if (mode === 'over HTTP') {
          const l = await listen(server.app, { port: 0 });
          live = l;
          server.request = (p, init) => fetch(`${l.url}${p}`, init);
        }
      });
      afterAll(async () => {
        await live?.close();
        await server.close();
      });

      it('answers every recorded request as the real MLflow server did', async () => {
        const exchanges = loadRecording(file);
        const version = /python-client-(.+)\.jsonl$/.exec(file)?.[1] ?? '';
        const { passed, failures } = await replay(server, exchanges, version);
        const pct = ((100 * passed) / exchanges.length).toFixed(1);
        process.stderr.write(
          `replay ${file} (${mode}): ${passed}/${exchanges.length} exchanges match (${pct}%)\n`,
        );
        expect(failures, failures.join('\n')).toEqual([]);
      });
    });
  }
}
