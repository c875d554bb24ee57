/**
 * StandardNBAPropsTracker through the REST store against a live `propflow server`: a season
 * of 165 folds costs a handful of requests (counted as the client sends them), and every fold
 * is back in the store at its step with its date.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { dayNumberToYyyymmdd, StandardNBAPropsTracker } from '../../src/tracker/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pf-tracker-'));
let server: Awaited<ReturnType<typeof startServer>>;
let store: TrackingStore;

beforeAll(async () => {
  server = await startServer({
    backendStoreUri: `sqlite:///${path.join(dir, 'tracking.db')}`,
    artifactsDestination: path.join(dir, 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  store = await openStore(server.url, { env: {} });
});

afterAll(async () => {
  await store?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const TAGS = {
  pipeline: 'walk-forward',
  phase: 'Phase1_Features',
  objective: 'pra',
  modelType: 'gbdt',
  modelArchitecture: 'single_gbdt',
  trainSeasons: '2022-23',
  valSeasons: '2023-24',
  validationType: 'walk_forward_expanding_refit_1d',
  featureSet: 'v3_advanced',
  featureVersion: '3.0.0',
  targetMae: 6,
  sourceName: 'test',
};

describe('StandardNBAPropsTracker on a live server', () => {
  it('logs 165 folds in a handful of requests', async () => {
    const nFolds = 165;
    const first = 19_654; // 2023-10-24
    const realFetch = globalThis.fetch;
    const calls: string[] = [];
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      calls.push(new URL(url).pathname);
      return realFetch(input, init);
    }) as typeof fetch;
    let runId = '';
    try {
      await StandardNBAPropsTracker.withRun(
        {
          store,
          experimentName: 'tracker-requests',
          name: { date: '20261204', phase: 1, featureSet: 'v3_advanced', validation: 'wfdaily' },
          tags: TAGS,
        },
        async (t) => {
          runId = t.runId;
          const before = calls.length;
          for (let i = 0; i < nFolds; i++) {
            const actual = Float64Array.from({ length: 60 }, (_, k) => 20 + ((k * 7 + i) % 13));
            const pred = Float64Array.from(actual, (a, k) => a + ((k % 5) - 2));
            t.logWalkForwardFold(i, first + i, { actual, pred, trainRows: 1000 + i });
          }
          await t.flush();
          const foldRequests = calls.slice(before);
          // 165 folds × 7 metrics = 1,155 values in 2 log-batch calls; 165 fold tags in 2 more
          expect(foldRequests.length).toBeLessThanOrEqual(6);
          expect(foldRequests.every((p) => p.endsWith('/runs/log-batch'))).toBe(true);
        },
      );
    } finally {
      globalThis.fetch = realFetch;
    }
    const run = await store.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    const dates = (await store.getMetricHistory(runId, 'fold_date', { maxResults: 1000 })).items.sort(
      (a, b) => a.step - b.step,
    );
    expect(dates.map((m) => m.step)).toEqual(Array.from({ length: nFolds }, (_, i) => i));
    expect(dates[0]!.value).toBe(20231024);
    expect(dates[164]!.value).toBe(dayNumberToYyyymmdd(first + 164));
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags['fold_0_date']).toBe('2023-10-24');
    expect(tags['fold_164_date']).toBeDefined();
    expect(run.info.runName).toBe('20261204_p1_v3_advanced_wfdaily_v1');
  });

  it('ends the run FAILED when the body throws', async () => {
    let runId = '';
    await expect(
      StandardNBAPropsTracker.withRun(
        {
          store,
          experimentName: 'tracker-requests',
          name: { date: '20261204', phase: 1, featureSet: 'v3_advanced', validation: 'wfdaily' },
          tags: TAGS,
        },
        async (t) => {
          runId = t.runId;
          throw new Error('boom');
        },
      ),
    ).rejects.toThrow('boom');
    const run = await store.getRun(runId);
    expect(run.info.status).toBe('FAILED');
    expect(run.info.runName).toBe('20261204_p1_v3_advanced_wfdaily_v2');
  });
});
