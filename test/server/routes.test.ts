/**
 * Every tracking, registry and mlflow-artifacts route MLflow 2.12.2 declares (and the MLflow 3
 * logged-model, run-output and experiment-tag deletion routes) is served, under both `/api/2.0/` and `/ajax-api/2.0/`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from './helpers.js';
import { FIXTURES } from './recordings.js';

function declaredRoutes(file: string, filter: (p: string) => boolean): Array<[string, string]> {
  return readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .map((line) => /^(GET|POST|PATCH|DELETE|PUT)\s+(\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string] as [string, string])
    .filter(([, p]) => filter(p));
}

describe('declared MLflow routes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const v2 = declaredRoutes('endpoints-2.12.2.txt', () => true);
  const v3 = declaredRoutes(
    'endpoints-3.11.2.dev0.txt',
    (p) =>
      p.includes('/logged-models') ||
      p.endsWith('/runs/outputs') ||
      p.endsWith('/experiments/delete-experiment-tag'),
  );

  it('lists what the contract folder declares', () => {
    expect(v2.length).toBe(54);
    expect(v3.length).toBe(11);
  });

  for (const prefix of ['/api/2.0/', '/ajax-api/2.0/']) {
    it(`serves every route under ${prefix}`, async () => {
      for (const [method, declared] of [...v2, ...v3]) {
        const p = `${prefix}${declared
          .slice('/api/2.0/'.length)
          .replace('<path:artifact_path>', '0/missing/artifacts/file.txt')
          .replace(/\{[a-z_]+\}/g, 'm-0123456789abcdef0123456789abcdef')}`;
        const init: RequestInit =
          method === 'GET'
            ? { method }
            : method === 'PUT'
              ? { method, body: 'x' }
              : { method, body: '{}', headers: { 'Content-Type': 'application/json' } };
        const res = await server.request(p, init);
        const body = res.headers.get('content-type')?.includes('json')
          ? ((await res.json()) as { error_code?: string })
          : {};
        expect(body.error_code, `${method} ${p}`).not.toBe('ENDPOINT_NOT_FOUND');
        expect(
          res.status === 501 ? declared.includes('/mpu/') : res.status < 500,
          `${method} ${p} → ${res.status}`,
        ).toBe(true);
      }
    });
  }
});
