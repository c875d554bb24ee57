/**
 * `propflow doctor` against a live `propflow server` (with basic auth), the same server
 * answering as MLflow 2.12.2 does, a web server that is not MLflow, and the embedded store.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, parseAuthConfig, startServer } from '../../src/server/index.js';
import { openStore, runDoctor } from '../../src/tracking/index.js';
import { startQuirksFront } from '../contract/mlflow-quirks.js';

const BIN = path.resolve('bin/propflow.js');

function propflow(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const CHECKS = [
  'reachable',
  'mlflow version',
  'auth',
  'write-read-delete',
  'artifacts',
  'stages',
  'aliases',
  'logged models',
  'cleanup',
];

describe('propflow doctor', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  const creds = { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 's3cret' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'propflow-doctor-'));
    server = await startServer({
      backendStoreUri: `sqlite:///${path.join(dir, 'server.db')}`,
      artifactsDestination: path.join(dir, 'artifacts'),
      host: '127.0.0.1',
      port: 0,
      auth: parseAuthConfig(
        { users: [{ username: 'ana', password_hash: hashSecret('s3cret'), permission: 'write' }] },
        'test',
      ),
    });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every check on a live propflow server with credentials, and leaves nothing behind', async () => {
    const r = await propflow(['doctor', '--tracking-uri', server.url, '--json'], creds);
    expect(r.stderr).toContain(`store: ${server.url}`);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: Array<{ check: string; status: string; detail: string }>;
    };
    expect(report.checks.map((c) => c.check)).toEqual(CHECKS);
    expect(
      report.checks.filter((c) => c.status !== 'ok'),
      JSON.stringify(report.checks),
    ).toEqual([]);
    expect(report.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(report.checks.find((c) => c.check === 'auth')?.detail).toBe('credentials accepted');
    expect(report.checks.find((c) => c.check === 'artifacts')?.detail).toMatch(
      /artifact proxy on.*mlflow-artifacts:/,
    );
    const store = await openStore(server.url, { env: creds });
    const left = await store.searchExperiments({ filter: "name LIKE 'propflow-doctor-%'" });
    expect(left.items).toEqual([]);
    expect((await store.searchRegisteredModels({ filter: "name LIKE 'propflow-doctor-%'" })).items).toEqual(
      [],
    );
    await store.close();
  });

  it('says what is missing without credentials, with exit code 3', async () => {
    const r = await propflow(['doctor', '--tracking-uri', server.url], {
      MLFLOW_TRACKING_USERNAME: '',
      MLFLOW_TRACKING_PASSWORD: '',
      MLFLOW_TRACKING_TOKEN: '',
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/✓ reachable/);
    expect(r.stdout).toMatch(/✗ auth +the server needs credentials \(401\): set MLFLOW_TRACKING_USERNAME/);
    expect(r.stdout).toMatch(/1 check failed: auth\./);
  });

  it('on a server answering as MLflow 2.12.2: the version, no logged-model routes (a warning), the rest works', async () => {
    const front = await startQuirksFront('2.12.2', (p, init) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Basic ${Buffer.from('ana:s3cret').toString('base64')}`);
      return fetch(`${server.url}${p}`, { ...init, headers });
    });
    try {
      const report = await runDoctor(front.url);
      const by = Object.fromEntries(report.checks.map((c) => [c.check, c]));
      expect(by['mlflow version']).toMatchObject({
        status: 'ok',
        detail: 'MLflow 2.12.2 (no prompt registry)',
      });
      expect(by['logged models']).toMatchObject({ status: 'warn' });
      expect(by['logged models']!.detail).toMatch(/MLflow 2 server/);
      expect(report.ok).toBe(true);
    } finally {
      await front.close();
    }
  });

  it('recognises a web server that is not MLflow', async () => {
    const web: Server = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'text/html' });
      res.end(req.url === '/health' ? 'OK' : '<html><body>Not here</body></html>');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      const report = await runDoctor(url);
      expect(report.ok).toBe(false);
      expect(report.checks.at(-1)).toMatchObject({ check: 'mlflow version', status: 'fail' });
      expect(report.checks.at(-1)!.detail).toMatch(/answered HTML, not MLflow's API/);
    } finally {
      await new Promise((r) => web.close(r));
    }
  });

  it('checks the embedded store, and does not create one that does not exist', async () => {
    const uri = `sqlite:///${path.join(dir, 'embedded', 'tracking.db')}`;
    const missing = await runDoctor(uri);
    expect(missing.ok).toBe(false);
    expect(missing.checks[0]!.detail).toMatch(/no database at .*tracking\.db/);
    expect(existsSync(path.join(dir, 'embedded'))).toBe(false);
    const store = await openStore(uri);
    await store.close();
    const report = await runDoctor(uri);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['reachable', 'ok'],
      ['mlflow version', 'skip'],
      ['auth', 'skip'],
      ['write-read-delete', 'ok'],
      ['artifacts', 'ok'],
      ['stages', 'ok'],
      ['aliases', 'ok'],
      ['logged models', 'ok'],
      ['cleanup', 'ok'],
    ]);
    expect(report.ok).toBe(true);
  });
});
