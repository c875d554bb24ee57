import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../entities.js';
import type { TrackingStore } from '../store.js';
import { openStore } from '../uri.js';
import { filterRuns, sortRuns } from './runs.js';

// The in-memory evaluator must select and order exactly what the SQLite store's SQL does.
let dir: string;
let store: TrackingStore;
let experimentId: string;
let all: Run[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-runs-search-'));
  store = await openStore(`sqlite:///${path.join(dir, 't.db')}`);
  experimentId = await store.createExperiment('parity');
  const base = 1_700_000_000_000;
  for (let i = 0; i < 12; i++) {
    const run = await store.createRun({
      experimentId,
      runName: `run-${i % 5}`,
      startTime: base + (i % 4) * 1000,
    });
    const metrics = [{ key: 'mae', value: 3 + ((i * 7) % 5) * 0.5, timestamp: base, step: 0 }];
    if (i % 3 === 0)
      metrics.push({ key: 'roi', value: (i % 2 === 0 ? -1 : 1) * i, timestamp: base, step: 0 });
    if (i === 5) metrics.push({ key: 'roi', value: Number.NaN, timestamp: base, step: 1 });
    await store.logBatch(run.info.runId, {
      metrics,
      params: [
        { key: 'model', value: i % 2 === 0 ? 'gbdt' : 'Baseline' },
        ...(i % 4 === 0 ? [{ key: 'depth', value: String(i) }] : []),
      ],
      tags: [{ key: 'team', value: ['alpha', 'Alpha', 'beta_1', 'b%ta'][i % 4]! }],
    });
    if (i % 2 === 1)
      await store.updateRun(run.info.runId, {
        status: i % 3 === 0 ? 'FAILED' : 'FINISHED',
        endTime: base + 10_000 + i,
      });
    if (i % 5 === 0) {
      await store.logInputs(run.info.runId, [
        {
          tags: [{ key: 'mlflow.data.context', value: i === 0 ? 'training' : 'eval' }],
          dataset: { name: `ds-${i}`, digest: `d${i}`, sourceType: 'local', source: '{}' },
        },
      ]);
    }
  }
  all = (await store.searchRuns({ experimentIds: [experimentId] })).items;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const FILTERS = [
  '',
  'metrics.mae < 4',
  'metrics.mae >= 4.5 and metrics.roi != 3',
  'metrics.roi > -100',
  "params.model = 'gbdt'",
  "params.model != 'gbdt'",
  "params.depth LIKE '%'",
  "params.model ILIKE 'BASE%'",
  "tags.team LIKE 'a%'",
  "tags.team ILIKE 'a%'",
  "tags.team LIKE 'b_ta%'",
  "tags.team LIKE 'b%%'",
  "attributes.status = 'FINISHED'",
  "attributes.status IN ('FAILED', 'RUNNING')",
  "attributes.run_name NOT IN ('run-0', 'run-1')",
  'attributes.start_time >= 1700000002000',
  'attributes.end_time < 1700000010008',
  "datasets.name LIKE 'ds-%'",
  "datasets.context = 'eval'",
  "datasets.digest IN ('d0')",
];

const ORDERS = [
  [],
  ['metrics.mae ASC'],
  ['metrics.roi DESC'],
  ['params.depth ASC', 'metrics.mae DESC'],
  ['tags.team DESC'],
  ['attributes.run_name ASC', 'attributes.end_time DESC'],
];

describe('in-memory run search matches the SQLite store', () => {
  for (const filter of FILTERS) {
    it(`filter: ${filter || '(none)'}`, async () => {
      const sql = (await store.searchRuns({ experimentIds: [experimentId], filter })).items.map(
        (r) => r.info.runId,
      );
      expect(sortRuns(filterRuns(all, filter), []).map((r) => r.info.runId)).toEqual(sql);
    });
  }
  for (const orderBy of ORDERS) {
    it(`order: ${orderBy.join(', ') || '(default)'}`, async () => {
      const sql = (await store.searchRuns({ experimentIds: [experimentId], orderBy })).items.map(
        (r) => r.info.runId,
      );
      expect(sortRuns(all, orderBy).map((r) => r.info.runId)).toEqual(sql);
    });
  }
  it('rejects what the store rejects', () => {
    expect(() => filterRuns(all, "metrics.mae < 1 OR params.model = 'x'")).toThrow(/Invalid clause\(s\)/);
  });
});
