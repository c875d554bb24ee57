/**
 * `propflow server` as a user runs it: a real process on a free port, driven by the REST
 * store; auth from a file; graceful shutdown on SIGTERM with a request in flight; clear
 * refusals when it cannot start (port in use, newer schema, unreadable store).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'propflow.js');

interface Proc {
  child: ChildProcessWithoutNullStreams;
  url: Promise<string>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('close', () => reject(new Error(`server exited before listening: ${stderr}`)));
  });
  url.catch(() => {});
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, url, exit };
}

describe('propflow server (process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pf-e2e-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the REST store, finishes an in-flight upload on SIGTERM, then exits 0', async () => {
    const proc = startCli([
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'a.db')}`,
      '--artifacts-destination',
      path.join(dir, 'a-artifacts'),
    ]);
    const url = await proc.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = await openStore(url, { retry: { maxRetries: 1, baseDelayMs: 10 }, env: {} });
    const exp = await store.createExperiment('e2e');
    const run = await store.createRun({ experimentId: exp, runName: 'r' });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${exp}/${run.info.runId}/artifacts`);
    await store.logBatch(run.info.runId, { metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 0 }] });
    await store.logArtifact(run.info.runId, 'notes/a.txt', 'hello');
    expect(new TextDecoder().decode(await store.downloadArtifact(run.info.runId, 'notes/a.txt'))).toBe(
      'hello',
    );
    expect(await store.listArtifacts(run.info.runId)).toEqual([{ path: 'notes', isDir: true }]);

    // An upload in flight when SIGTERM arrives still completes.
    const { port } = new URL(url);
    const rel = `${exp}/${run.info.runId}/artifacts/slow.bin`;
    const answer = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `/api/2.0/mlflow-artifacts/artifacts/${rel}`,
          headers: { 'Content-Length': '6' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write('abc');
      setTimeout(() => {
        proc.child.kill('SIGTERM');
        setTimeout(() => req.end('def'), 300);
      }, 200);
    });
    expect(await answer).toBe(200);
    const exit = await proc.exit;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('SIGTERM');
    const direct = await openStore(`sqlite:///${path.join(dir, 'a.db')}`, {
      artifactRoot: path.join(dir, 'a-artifacts'),
      artifactUriBase: 'mlflow-artifacts:',
    });
    const files = await direct.listArtifacts(run.info.runId);
    expect(files.map((f) => f.path)).toContain('slow.bin');
    await direct.close();
    await store.close();
  });

  it('with --auth basic: 401 without credentials, works with MLFLOW_TRACKING_USERNAME/_PASSWORD and tokens', async () => {
    const authFile = path.join(dir, 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({
        users: [{ username: 'ana', password_hash: hashSecret('s3cret'), permission: 'write' }],
        tokens: [{ name: 'ci', token_hash: hashSecret('tkn'), permission: 'read' }],
      }),
    );
    const proc = startCli([
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'b.db')}`,
      '--artifacts-destination',
      path.join(dir, 'b-artifacts'),
      '--auth',
      'basic',
      '--auth-file',
      authFile,
    ]);
    try {
      const url = await proc.url;
      const anonymous = await openStore(url, { retry: { maxRetries: 0 }, env: {} });
      await expect(anonymous.createExperiment('x')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      const ana = await openStore(url, {
        retry: { maxRetries: 0 },
        env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 's3cret' },
      });
      const id = await ana.createExperiment('by-ana');
      const reader = await openStore(url, {
        retry: { maxRetries: 0 },
        env: { MLFLOW_TRACKING_TOKEN: 'tkn' },
      });
      expect((await reader.getExperiment(id)).name).toBe('by-ana');
      await expect(reader.createExperiment('by-reader')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    } finally {
      proc.child.kill('SIGINT');
      expect((await proc.exit).code).toBe(0);
    }
  });

  it('says clearly why it cannot start', async () => {
    // Port in use.
    const first = startCli([
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'c.db')}`,
      '--artifacts-destination',
      path.join(dir, 'c-art'),
    ]);
    const url = await first.url;
    const taken = spawn(
      process.execPath,
      [
        bin,
        'server',
        '--port',
        new URL(url).port,
        '--backend-store-uri',
        `sqlite:///${path.join(dir, 'c2.db')}`,
        '--artifacts-destination',
        path.join(dir, 'c2-art'),
      ],
      { cwd: root },
    );
    let takenErr = '';
    taken.stderr.on('data', (d: Buffer) => {
      takenErr += d.toString();
    });
    const takenCode = await new Promise<number | null>((r) => taken.on('close', r));
    expect(takenCode).not.toBe(0);
    expect(takenErr).toContain('already in use');
    first.child.kill('SIGTERM');
    await first.exit;

    // A database from a newer propflow.
    const dbPath = path.join(dir, 'newer.db');
    const s = await openStore(`sqlite:///${dbPath}`, { artifactRoot: path.join(dir, 'n-art') });
    await s.close();
    const db = new Database(dbPath);
    db.prepare('UPDATE schema_version SET version = version + 100').run();
    db.close();
    const newer = startCli([
      '--backend-store-uri',
      `sqlite:///${dbPath}`,
      '--artifacts-destination',
      path.join(dir, 'n-art'),
    ]);
    const newerExit = await newer.exit;
    expect(newerExit.code).not.toBe(0);
    expect(newerExit.stderr).toMatch(/Cannot open the backend store.*newer/is);

    // An unreadable store (its folder is a file).
    writeFileSync(path.join(dir, 'plain-file'), 'x');
    const bad = startCli([
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'plain-file', 'x.db')}`,
      '--artifacts-destination',
      path.join(dir, 'd-art'),
    ]);
    const badExit = await bad.exit;
    expect(badExit.code).not.toBe(0);
    expect(badExit.stderr).toContain('Cannot open the backend store');
  });
});
