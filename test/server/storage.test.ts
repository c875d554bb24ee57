/**
 * The server's storage failures and start-up: names too long for the file system, a full or
 * read-only artifact folder, a full database (on a tiny tmpfs when the tests run as root),
 * abandoned upload files, where artifacts live, MLflow's flags and /version.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: MLflow JSON answers, read field by field
type Json = any;

import { MLFLOW_COMPATIBLE_VERSION, PROPFLOW_VERSION } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-storage-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already unmounted
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Mount a tmpfs of `size` at a new folder; null when this process may not mount (not root). */
function smallDisk(name: string, size: string): string | null {
  const at = path.join(dir, name);
  mkdirSync(at);
  if (process.getuid?.() !== 0) return null;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' });
  } catch {
    return null;
  }
  mounts.push(at);
  return at;
}

async function api(
  server: RunningServer,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${server.url}${p}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

async function put(server: RunningServer, rel: string, body: Uint8Array | string) {
  const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${rel}`, { method: 'PUT', body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

async function serve(name: string, extra: Partial<Parameters<typeof startServer>[0]> = {}) {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  return startServer({ backendStoreUri: `sqlite:///${path.join(d, 't.db')}`, port: 0, ...extra });
}

describe('artifact names and abandoned uploads', () => {
  it('a 250-byte name is stored; a name over 255 bytes is a 400 naming the limit', async () => {
    const server = await serve('names');
    try {
      const ok = await put(server, `1/run/artifacts/${'a'.repeat(250)}`, 'x');
      expect(ok.status).toBe(200);
      const long = await put(server, `1/run/artifacts/${'b'.repeat(300)}`, 'x');
      expect(long.status).toBe(400);
      expect(long.json.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(long.json.message).toMatch(/is 300 bytes; file and folder names may be at most 255 bytes/);
      const deep = await put(server, `${Array(30).fill('c'.repeat(200)).join('/')}/f`, 'x');
      expect(deep.status).toBe(400);
      expect(deep.json.message).toMatch(/limit of 4095 bytes per path/);
    } finally {
      await server.close();
    }
  });

  it('removes upload files abandoned longer ago than a request can take, and only those', async () => {
    const d = path.join(dir, 'stale');
    const runDir = path.join(d, 'artifacts', '1', 'r', 'artifacts');
    mkdirSync(runDir, { recursive: true });
    const old = [
      path.join(runDir, `model.pkl.${randomUUID()}.tmp`),
      path.join(runDir, `.${randomUUID()}.tmp`),
    ];
    const fresh = path.join(runDir, `.${randomUUID()}.tmp`);
    const keep = path.join(runDir, 'notes.tmp');
    for (const f of [...old, fresh, keep]) writeFileSync(f, 'partial');
    const hourAgo = (Date.now() - 3600_000) / 1000;
    for (const f of [...old, keep]) utimesSync(f, hourAgo, hourAgo);
    const server = await startServer({ backendStoreUri: `sqlite:///${path.join(d, 't.db')}`, port: 0 });
    try {
      expect(await server.staleUploadsRemoved).toBe(2);
      expect(readdirSync(runDir).sort()).toEqual([path.basename(fresh), 'notes.tmp'].sort());
    } finally {
      await server.close();
    }
  });
});

describe('where artifacts live', () => {
  it('--backend-store-uri sqlite:///dir/t.db keeps artifacts beside the database, where the embedded client reads them', async () => {
    const server = await serve('beside');
    try {
      expect(server.artifactRoot).toBe(path.join(dir, 'beside', 'artifacts'));
      const exp = await api(server, '/api/2.0/mlflow/experiments/create', { name: 'e' });
      const run = await api(server, '/api/2.0/mlflow/runs/create', { experiment_id: exp.json.experiment_id });
      const info = run.json.run.info;
      expect(info.artifact_uri).toBe(`mlflow-artifacts:/${exp.json.experiment_id}/${info.run_id}/artifacts`);
      expect(
        (await put(server, `${exp.json.experiment_id}/${info.run_id}/artifacts/a.txt`, 'hello')).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
    const client = await openStore(`sqlite:///${path.join(dir, 'beside', 't.db')}`);
    try {
      const runs = await client.searchRuns({ experimentIds: ['1'] });
      const text = new TextDecoder().decode(
        await client.downloadArtifact(runs.items[0]!.info.runId, 'a.txt'),
      );
      expect(text).toBe('hello');
    } finally {
      await client.close();
    }
  });

  it('--no-serve-artifacts turns the artifact API off and gives experiments local locations', async () => {
    const server = await serve('noserve', {
      serveArtifacts: false,
      defaultArtifactRoot: path.join(dir, 'noserve', 'root'),
    });
    try {
      const res = await put(server, '1/x', 'x');
      expect(res.status).toBe(501);
      expect(res.json.message).toMatch(/--no-serve-artifacts/);
      const exp = await api(server, '/api/2.0/mlflow/experiments/create', { name: 'e' });
      const got = await api(
        server,
        `/api/2.0/mlflow/experiments/get?experiment_id=${exp.json.experiment_id}`,
      );
      expect(got.json.experiment.artifact_location).toBe(
        `file://${path.join(dir, 'noserve', 'root')}/${exp.json.experiment_id}`,
      );
    } finally {
      await server.close();
    }
  });

  it('/version answers the MLflow version; propflow’s is in a header and its own route', async () => {
    const server = await serve('version');
    try {
      const res = await fetch(`${server.url}/version`);
      expect(await res.text()).toBe(MLFLOW_COMPATIBLE_VERSION);
      expect(res.headers.get('x-propflow-version')).toBe(PROPFLOW_VERSION);
      expect((await api(server, '/api/2.0/propflow/version')).json).toEqual({
        propflow_version: PROPFLOW_VERSION,
        mlflow_version: MLFLOW_COMPATIBLE_VERSION,
      });
    } finally {
      await server.close();
    }
  });
});

describe('a full or read-only disk is a clear error, and reads keep working', () => {
  it('artifact folder full (ENOSPC), then read-only (EROFS)', async (ctx) => {
    const disk = smallDisk('artdisk', '256k');
    if (!disk) return ctx.skip('needs root to mount a 256 KiB tmpfs');
    const server = await serve('artfull', { artifactsDestination: disk });
    try {
      expect((await put(server, '1/r/artifacts/small.txt', 'small')).status).toBe(200);
      const full = await put(server, '1/r/artifacts/big.bin', new Uint8Array(1024 * 1024));
      expect(full.status).toBe(507);
      expect(full.json.error_code).toBe('RESOURCE_EXHAUSTED');
      expect(full.json.message).toContain(`The artifact folder ${disk} is full (ENOSPC)`);
      expect(readdirSync(path.join(disk, '1', 'r', 'artifacts'))).toEqual(['small.txt']); // no .tmp left
      expect((await api(server, '/api/2.0/mlflow/experiments/search', { max_results: 10 })).status).toBe(200);
      const small = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/small.txt`);
      expect(await small.text()).toBe('small');

      execFileSync('mount', ['-o', 'remount,ro', disk]);
      const ro = await put(server, '1/r/artifacts/other.txt', 'x');
      expect(ro.status).toBe(507);
      expect(ro.json.error_code).toBe('PERMISSION_DENIED');
      expect(ro.json.message).toContain(`The artifact folder ${disk} is read-only (EROFS)`);
      const again = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/small.txt`);
      expect(again.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('database full (SQLITE_FULL): writes get a clear 507, reads keep working', async (ctx) => {
    const disk = smallDisk('dbdisk', '1m');
    if (!disk) return ctx.skip('needs root to mount a 1 MiB tmpfs');
    const server = await startServer({
      backendStoreUri: `sqlite:///${path.join(disk, 't.db')}`,
      artifactsDestination: path.join(dir, 'dbdisk-artifacts'),
      port: 0,
    });
    try {
      const run = await api(server, '/api/2.0/mlflow/runs/create', { experiment_id: '0' });
      const runId = run.json.run.info.run_id;
      let last = { status: 200, json: {} as Json };
      for (let i = 0; i < 400 && last.status === 200; i++) {
        last = await api(server, '/api/2.0/mlflow/runs/set-tag', {
          run_id: runId,
          key: `t${i}`,
          value: 'v'.repeat(7999),
        });
      }
      expect(last.status).toBe(507);
      expect(last.json.error_code).toBe('RESOURCE_EXHAUSTED');
      expect(last.json.message).toContain(`The tracking database ${path.join(disk, 't.db')} is full`);
      const got = await api(server, `/api/2.0/mlflow/runs/get?run_id=${runId}`);
      expect(got.status).toBe(200);
      expect(got.json.run.data.tags.length).toBeGreaterThan(10);
    } finally {
      await server.close();
    }
  });
});

describe('propflow server takes MLflow’s flags and environment variables', () => {
  it('-h is the host (not help), -p the port, MLFLOW_BACKEND_STORE_URI the store, --workers accepted', async () => {
    const d = path.join(dir, 'cli');
    mkdirSync(d);
    const child = spawn(
      process.execPath,
      [path.resolve('bin/propflow.js'), 'server', '-h', '127.0.0.1', '-p', '0', '--workers', '2'],
      {
        env: { ...process.env, MLFLOW_BACKEND_STORE_URI: `sqlite:///${path.join(d, 'x.db')}`, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        stdout += String(c);
        const m = /listening on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`server exited: ${stdout}${stderr}`)));
    });
    try {
      expect(stdout).not.toMatch(/Usage:/);
      expect(await (await fetch(`${url}/version`)).text()).toBe(MLFLOW_COMPATIBLE_VERSION);
      expect(stdout).toContain(`artifacts:     ${path.join(d, 'artifacts')}`);
      expect(stderr).toContain(`store: sqlite:///${path.join(d, 'x.db')}`);
      expect(stderr).toMatch(/--workers 2 accepted for MLflow compatibility/);
      expect(existsSync(path.join(d, 'artifacts'))).toBe(true);
    } finally {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
