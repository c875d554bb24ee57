import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteStore } from './store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-sqlite-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const open = (extra: { artifactUriBase?: string } = {}) =>
  new SqliteStore({ dbPath: path.join(dir, 'db', 't.db'), artifactRoot: path.join(dir, 'art'), ...extra });

describe('embedded store specifics', () => {
  it('creates database, artifact folder and the Default experiment on first use', async () => {
    const store = open();
    expect(existsSync(path.join(dir, 'db', 't.db'))).toBe(true);
    expect(existsSync(path.join(dir, 'art'))).toBe(true);
    const def = await store.getExperiment('0');
    expect(def.name).toBe('Default');
    expect(def.artifactLocation).toBe(pathToFileURL(path.join(dir, 'art', '0')).href);
    const db = new Database(path.join(dir, 'db', 't.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    db.close();
    await store.close();
    // reopening keeps the data and does not migrate again
    const again = open();
    expect((await again.searchExperiments()).items.map((e) => e.name)).toEqual(['Default']);
    await again.close();
  });

  it('refuses a database written by a newer schema', async () => {
    (await Promise.resolve(open())).close();
    const db = new Database(path.join(dir, 'db', 't.db'));
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    expect(() => open()).toThrow(/has schema version \d+, but this propflow knows only up to version/);
  });

  it('migrates an older schema forward', async () => {
    (await Promise.resolve(open())).close();
    const db = new Database(path.join(dir, 'db', 't.db'));
    db.exec('DROP TABLE metrics_log');
    db.prepare('UPDATE schema_version SET version = 1').run();
    db.close();
    const store = open();
    const { runId } = (await store.createRun({ experimentId: '0' })).info;
    await store.logMetric(runId, { key: 'm', value: 1, timestamp: 1, step: 0 });
    expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(1);
    await store.close();
    const check = new Database(path.join(dir, 'db', 't.db'), { readonly: true });
    expect(check.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    check.close();
  });

  it('answers every recorded MLflow error probe with the same error code', async () => {
    // ../shared/mlflow-contract/error-probe-3.11.2.dev0.txt, replayed on the embedded store
    const store = open();
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (err: { code?: string }) => err.code,
      );
    const { runId } = (await store.createRun({ experimentId: '0' })).info;
    expect(await code(store.createExperiment('Default'))).toBe('RESOURCE_ALREADY_EXISTS');
    expect(await code(store.getExperiment('424242'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(store.getRun('deadbeef'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(store.logParam(runId, { key: 'p', value: '1' }))).toBe('OK');
    expect(await code(store.logParam(runId, { key: 'p', value: '2' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.logMetric(runId, { key: '../x', value: 1, timestamp: 1, step: 0 }))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    const noValue = { key: 'm', timestamp: 1, step: 0 } as unknown as Parameters<typeof store.logMetric>[1];
    expect(await code(store.logMetric(runId, noValue))).toBe('INVALID_PARAMETER_VALUE');
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'x' }));
    expect(await code(store.logBatch(runId, { params }))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.setTag(runId, { key: 't', value: 'v'.repeat(9000) }))).toBe('OK');
    expect(
      await code(store.searchRuns({ experimentIds: ['0'], filter: "metrics.a < 1 OR params.b = 'x'" })),
    ).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.deleteRegisteredModelAlias('nomodel', 'x'))).toBe('RESOURCE_DOES_NOT_EXIST');
    await store.createRegisteredModel('probe');
    await store.createModelVersion('probe', { source: `runs:/${runId}/model`, runId });
    expect(await code(store.setRegisteredModelAlias('probe', 'latest', '1'))).toBe('INVALID_PARAMETER_VALUE');
    // error-probe-2.12.2.txt "rm alias missing": "Registered model alias x not found." is what
    // `get_model_version_by_alias` raises (v2.12.2 sqlalchemy_store.py); deleting an alias
    // that is not set succeeds (`delete_registered_model_alias` only deletes an existing one).
    expect(await code(store.getModelVersionByAlias('probe', 'x'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.deleteRegisteredModelAlias('probe', 'x'))).toBe('OK');
    expect(await code(store.transitionModelVersionStage('probe', '1', 'Bogus' as 'None', false))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    await store.close();
  });

  it('writes mlflow-artifacts: locations in the proxy layout', async () => {
    const store = open({ artifactUriBase: 'mlflow-artifacts:' });
    const expId = await store.createExperiment('proxied');
    expect((await store.getExperiment(expId)).artifactLocation).toBe(`mlflow-artifacts:/${expId}`);
    const run = await store.createRun({ experimentId: expId });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${expId}/${run.info.runId}/artifacts`);
    await store.logArtifact(run.info.runId, 'a/b.txt', 'x');
    expect(existsSync(path.join(dir, 'art', expId, run.info.runId, 'artifacts', 'a', 'b.txt'))).toBe(true);
    await store.close();
  });

  it('keeps NaN and infinite metric values and picks the latest by step, timestamp, value', async () => {
    const store = open();
    const { runId } = (await store.createRun({ experimentId: '0' })).info;
    await store.logBatch(runId, {
      metrics: [
        { key: 'n', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0 },
        { key: 'm', value: 5, timestamp: 10, step: 2 },
        { key: 'm', value: 7, timestamp: 5, step: 2 },
        { key: 'm', value: 9, timestamp: 99, step: 1 },
      ],
    });
    await store.logMetric(runId, { key: 'm', value: 1, timestamp: 10, step: 2 }); // lower value, same step and time
    const run = await store.getRun(runId);
    const byKey = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));
    expect(byKey.n?.value).toBeNaN();
    expect(byKey.inf?.value).toBe(Number.POSITIVE_INFINITY);
    expect(byKey.m).toEqual({ key: 'm', value: 5, timestamp: 10, step: 2 });
    expect((await store.getMetricHistory(runId, 'm')).items.map((m) => m.value)).toEqual([9, 7, 1, 5]);
    // identical points are stored once
    await store.logMetric(runId, { key: 'm', value: 9, timestamp: 99, step: 1 });
    expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(4);
    await store.close();
  });

  it('merges the metric log into the history without losing or duplicating points', async () => {
    const store = open();
    const { runId } = (await store.createRun({ experimentId: '0' })).info;
    await store.logBatch(runId, {
      metrics: [2, 0, 1].map((step) => ({ key: 'c', value: step * 10, timestamp: step, step })),
    });
    const steps = 30_000; // + 2 keys × 30,000 steps = 60 more batches: one merge at 50,000 points
    for (let start = 0; start < steps; start += 500) {
      const metrics = [];
      for (let step = start; step < start + 500; step++) {
        metrics.push(
          { key: 'a', value: step, timestamp: step, step },
          { key: 'b', value: -step, timestamp: step, step },
        );
      }
      await store.logBatch(runId, { metrics });
    }
    const db = new Database(path.join(dir, 'db', 't.db'), { readonly: true });
    const merged = db.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number };
    const pending = db.prepare('SELECT count(*) AS n FROM metrics_log').get() as { n: number };
    db.close();
    expect(merged.n).toBe(50_003);
    expect(pending.n).toBe(2 * steps + 3 - 50_003);
    // 'c' has nothing pending any more: read from the merged history alone
    expect((await store.getMetricHistory(runId, 'c')).items.map((m) => m.value)).toEqual([0, 10, 20]);
    await store.logMetric(runId, { key: 'a', value: 7, timestamp: 7, step: 7 }); // already merged
    await store.logMetric(runId, { key: 'a', value: 29_999, timestamp: 29_999, step: 29_999 }); // still in the log
    const a = await store.getMetricHistory(runId, 'a');
    expect(a.items).toHaveLength(steps);
    expect(a.items.every((m, i) => m.step === i && m.value === i)).toBe(true);
    const pages = [];
    let token: string | undefined;
    do {
      const page = await store.getMetricHistory(runId, 'b', {
        maxResults: 25_000,
        ...(token ? { pageToken: token } : {}),
      });
      pages.push(page.items.length);
      token = page.nextPageToken;
    } while (token);
    expect(pages).toEqual([25_000, 5_000]);
    const run = await store.getRun(runId);
    expect(run.data.metrics.find((m) => m.key === 'b')).toEqual({
      key: 'b',
      value: -29_999,
      timestamp: 29_999,
      step: 29_999,
    });
    await store.close();
  });

  it('refuses artifact paths that escape through a symlink', async () => {
    const store = open();
    const { runId } = (await store.createRun({ experimentId: '0' })).info;
    await store.logArtifact(runId, 'ok.txt', 'fine');
    const runRoot = path.join(dir, 'art', '0', runId, 'artifacts');
    const outside = path.join(dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, path.join(runRoot, 'link'));
    await expect(store.logArtifact(runId, 'link/evil.txt', 'x')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect(existsSync(path.join(outside, 'evil.txt'))).toBe(false);
    await expect(store.downloadArtifact(runId, '/etc/passwd')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await expect(store.logArtifact(runId, 'a\\b.txt', 'x')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await expect(store.logArtifact(runId, 'a\0b.txt', 'x')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await store.close();
  });

  it('reports a closed store clearly', async () => {
    const store = open();
    await store.close();
    await expect(store.getRun('x')).rejects.toThrow(/is closed/);
  });
});
