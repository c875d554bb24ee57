import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PropflowError } from '../errors.js';
import { getOrCreateExperiment, startRun, withRun } from './fluent.js';
import type { TrackingStore } from './store.js';
import { openStore } from './uri.js';

let dir: string;
let store: TrackingStore;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-fluent-'));
  store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fluent API', () => {
  it('starts a run in a new experiment with standard tags and logs everything', async () => {
    const run = await startRun({
      store,
      experimentName: 'fluent-exp',
      runName: 'r1',
      tags: { team: 'props' },
      metricBatchSize: 3,
    });
    const exp = await store.getExperimentByName('fluent-exp');
    expect(run.experimentId).toBe(exp?.experimentId);
    await run.logParam('lr', 0.05);
    await run.logParams({ depth: 6, booster: 'gbdt', early: true });
    for (let step = 0; step < 7; step++) run.logMetric('fold_mae', 5 - step * 0.5, step);
    run.logMetrics({ val_mae: 3.2, val_r2: 0.41 }, 7);
    await run.setTag('stage', 'dev');
    await run.setTags({ a: 1, b: 'x' });
    await run.logDict('config.json', { a: 1, nested: { b: [1, 2] } });
    await run.logDict('config.yaml', { a: 1, list: ['x', 'y'] });
    await run.logTable('preds.csv', [
      { game: 'g1', pred: 30.5 },
      { game: 'g2', pred: 28, note: 'b2b' },
    ]);
    await run.logTable('preds.json', [
      { game: 'g1', pred: 30.5 },
      { game: 'g2', note: 'b2b' },
    ]);
    await run.logFigure('plot.svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    await run.logImage('img.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]));
    const local = path.join(dir, 'local-art');
    mkdirSync(path.join(local, 'sub'), { recursive: true });
    writeFileSync(path.join(local, 'sub', 'f.txt'), 'f');
    await run.logArtifacts(local, 'extra');
    await run.logInput({ name: 'nba-2024', digest: 'abc', sourceType: 'local', source: '{}' }, 'training');
    await run.end();
    expect(run.isEnded).toBe(true);

    const got = await store.getRun(run.runId);
    expect(got.info.status).toBe('FINISHED');
    expect(got.info.endTime).toBeGreaterThanOrEqual(got.info.startTime);
    expect(got.info.runName).toBe('r1');
    const params = Object.fromEntries(got.data.params.map((p) => [p.key, p.value]));
    expect(params).toEqual({ lr: '0.05', depth: '6', booster: 'gbdt', early: 'true' });
    const tags = Object.fromEntries(got.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      team: 'props',
      stage: 'dev',
      a: '1',
      b: 'x',
      'mlflow.source.type': 'LOCAL',
    });
    expect(tags['mlflow.user']).toBeTruthy();
    const history = await store.getMetricHistory(run.runId, 'fold_mae');
    expect(history.items.map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(history.items[6]?.value).toBeCloseTo(2, 12);
    expect(got.data.metrics.find((m) => m.key === 'val_r2')?.value).toBeCloseTo(0.41, 12);
    expect(JSON.parse(text(await store.downloadArtifact(run.runId, 'config.json')))).toEqual({
      a: 1,
      nested: { b: [1, 2] },
    });
    expect(parseYaml(text(await store.downloadArtifact(run.runId, 'config.yaml')))).toEqual({
      a: 1,
      list: ['x', 'y'],
    });
    expect(text(await store.downloadArtifact(run.runId, 'preds.csv'))).toBe(
      'game,pred,note\ng1,30.5,\ng2,28,b2b\n',
    );
    expect(JSON.parse(text(await store.downloadArtifact(run.runId, 'preds.json')))).toEqual({
      columns: ['game', 'pred', 'note'],
      data: [
        ['g1', 30.5, null],
        ['g2', null, 'b2b'],
      ],
    });
    expect(text(await store.downloadArtifact(run.runId, 'extra/sub/f.txt'))).toBe('f');
    expect(got.inputs.datasetInputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'nba-2024', digest: 'abc', sourceType: 'local', source: '{}' },
      },
    ]);
    // the experiment is reused, not created twice
    expect(await getOrCreateExperiment(store, 'fluent-exp')).toBe(run.experimentId);
    await expect(run.setTag('late', 'x')).rejects.toThrow(/has ended/);
  });

  it('refuses unknown formats and non-PNG images', async () => {
    const run = await startRun({ store, experimentName: 'fluent-exp' });
    await expect(run.logDict('config.txt', {})).rejects.toThrow(/\.json, \.yaml or \.yml/);
    await expect(run.logTable('t.parquet', [])).rejects.toThrow(/\.csv or \.json/);
    await expect(run.logImage('x.png', new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a PNG/);
    await expect(run.logFigure('x.png', '<svg></svg>')).rejects.toThrow(/SVG/);
    await run.end('KILLED');
    expect((await store.getRun(run.runId)).info.status).toBe('KILLED');
  });

  it('withRun ends FINISHED and returns the body result', async () => {
    let runId = '';
    const result = await withRun({ store, experimentName: 'fluent-with' }, async (run) => {
      runId = run.runId;
      run.logMetric('m', 1);
      return 42;
    });
    expect(result).toBe(42);
    const run = await store.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics.map((m) => m.key)).toEqual(['m']);
  });

  it('withRun ends FAILED and rethrows when the body throws', async () => {
    let runId = '';
    await expect(
      withRun({ store, experimentName: 'fluent-with' }, async (run) => {
        runId = run.runId;
        throw new Error('training blew up');
      }),
    ).rejects.toThrow('training blew up');
    expect((await store.getRun(runId)).info.status).toBe('FAILED');
  });

  it('withRun ends FAILED when buffered metrics cannot be sent', async () => {
    let runId = '';
    const err = await withRun({ store, experimentName: 'fluent-with' }, async (run) => {
      runId = run.runId;
      run.logMetric('../bad', 1);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PropflowError);
    expect((err as PropflowError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await store.getRun(runId)).info.status).toBe('FAILED');
  });

  it('refuses a deleted experiment and opens its own store from a URI', async () => {
    const id = await store.createExperiment('fluent-deleted');
    await store.deleteExperiment(id);
    await expect(startRun({ store, experimentName: 'fluent-deleted' })).rejects.toThrow(/is deleted/);
    const uri = `sqlite:///${path.join(dir, 'own.db')}`;
    const run = await startRun({ trackingUri: uri, experimentName: 'own' });
    await run.end();
    const other = await openStore(uri);
    expect((await other.getRun(run.runId)).info.status).toBe('FINISHED');
    await other.close();
  });

  it('uses the Default experiment when none is named', async () => {
    const run = await startRun({ store, env: {} });
    expect(run.experimentId).toBe('0');
    expect((await store.getExperiment('0')).name).toBe('Default');
    await run.end();
  });
});
