/**
 * The one contract every `TrackingStore` honours: the embedded store, the REST store against
 * propflow's server, and the REST store against any MLflow-compatible server. Every name is
 * unique to one run of the suite, and everything it creates is deleted afterwards, so it can
 * point at a shared server. Where MLflow versions legitimately differ, either answer is
 * accepted, and only there (each difference cites MLflow's source: williamjamir/mlflow @ v2.12.2
 * and harupy/mlflow, MLflow 3.11):
 * - the tag value limit: `MAX_TAG_VAL_LENGTH = 5000` in 2.12's mlflow/utils/validation.py,
 *   `8000` in 3.x (longer values are truncated);
 * - a `next_page_token` on an exactly full last page (2.12's SQL store hands one out, 3.x not);
 * - `experiments/delete-experiment-tag` (`_delete_experiment_tag` in 3.x's
 *   mlflow/server/handlers.py, absent in 2.12): skipped on a server without it;
 * - MLflow 3 logged models (`/api/2.0/mlflow/logged-models`, absent in 2.12): skipped likewise.
 * Everything else — metric-history paging, a missing artifact's not-found, prompt hiding,
 * deleting an unset alias, logged-model params — is the same on every version: where a server
 * answers differently the REST store absorbs it (test/contract/versions.test.ts runs the suite
 * against both versions' behaviour).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PropflowError } from '../../src/errors.js';
import {
  isLoggedModelStore,
  type LoggedModel,
  type LoggedModelStore,
  type Metric,
  type Page,
  type Run,
  type TrackingStore,
} from '../../src/tracking/index.js';

export interface ContractTarget {
  store: TrackingStore;
  cleanup: () => Promise<void>;
}

/** Resolve to the error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<PropflowError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PropflowError) return err;
    throw new Error(`expected a PropflowError, got: ${String(err)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<PropflowError> {
  const err = await rejection(promise);
  expect(err.code, err.message).toBe(code);
  return err;
}

/** Every page of a search, following page tokens. */
async function allPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await fetchPage(token);
    pages.push(page.items);
    token = page.nextPageToken;
    if (!token) break;
  }
  return pages;
}

const metricOf = (run: Run, key: string) => run.data.metrics.find((m) => m.key === key);
const paramOf = (run: Run, key: string) => run.data.params.find((p) => p.key === key)?.value;
const tagOf = (run: Run, key: string) => run.data.tags.find((t) => t.key === key)?.value;

export function describeStoreContract(name: string, open: () => Promise<ContractTarget>): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let store: TrackingStore;
    let cleanup: () => Promise<void>;
    const uid = randomUUID().replace(/-/g, '').slice(0, 10);
    const prefix = `pf-contract-${uid}`;
    const experiments: string[] = [];
    const models: string[] = [];
    let experimentId: string;

    async function newExperiment(suffix: string): Promise<string> {
      const id = await store.createExperiment(`${prefix}-${suffix}`);
      experiments.push(id);
      return id;
    }

    function modelName(suffix: string): string {
      const n = `${prefix}-${suffix}`;
      models.push(n);
      return n;
    }

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      experimentId = await newExperiment('main');
    });

    afterAll(async () => {
      if (!store) return;
      for (const m of models) await store.deleteRegisteredModel(m).catch(() => undefined);
      for (const e of experiments) await store.deleteExperiment(e).catch(() => undefined);
      await cleanup();
    });

    // ── experiments ──────────────────────────────────────────────────────────

    describe('experiments', () => {
      it('creates, reads by id and by name, with tags', async () => {
        const name = `${prefix}-exp-tags`;
        const id = await store.createExperiment(name, { tags: [{ key: 'team', value: 'props' }] });
        experiments.push(id);
        await store.setExperimentTag(id, 'owner', 'lab');
        const exp = await store.getExperiment(id);
        expect(exp.experimentId).toBe(id);
        expect(exp.name).toBe(name);
        expect(exp.lifecycleStage).toBe('active');
        expect(exp.artifactLocation.length).toBeGreaterThan(0);
        expect(exp.creationTime).toBeGreaterThan(0);
        expect(exp.tags).toEqual(
          expect.arrayContaining([
            { key: 'team', value: 'props' },
            { key: 'owner', value: 'lab' },
          ]),
        );
        const byName = await store.getExperimentByName(name);
        expect(byName?.experimentId).toBe(id);
        expect(await store.getExperimentByName(`${prefix}-no-such-experiment`)).toBeNull();
      });

      it('deletes an experiment tag; a tag that is not set is reported (MLflow 3)', async (ctx) => {
        const id = await newExperiment('tag-delete');
        await store.setExperimentTag(id, 'keep', '1');
        await store.setExperimentTag(id, 'drop', '2');
        try {
          await store.deleteExperimentTag(id, 'drop');
        } catch (err) {
          if (err instanceof PropflowError && err.code === 'ENDPOINT_NOT_FOUND') {
            ctx.skip(`the server has no experiments/delete-experiment-tag (MLflow 2): ${err.message}`);
          }
          throw err;
        }
        expect((await store.getExperiment(id)).tags).toEqual([{ key: 'keep', value: '1' }]);
        const missing = await expectCode(store.deleteExperimentTag(id, 'drop'), 'RESOURCE_DOES_NOT_EXIST');
        expect(missing.message).toBe(`No tag with name: drop in experiment with id ${id}`);
        await expectCode(store.deleteExperimentTag('987654321', 'keep'), 'RESOURCE_DOES_NOT_EXIST');
        await store.deleteExperiment(id);
        await expectCode(store.deleteExperimentTag(id, 'keep'), 'INVALID_PARAMETER_VALUE');
      });

      it('rejects a duplicate name and reports a missing id', async () => {
        await expectCode(store.createExperiment(`${prefix}-main`), 'RESOURCE_ALREADY_EXISTS');
        const err = await expectCode(store.getExperiment('987654321'), 'RESOURCE_DOES_NOT_EXIST');
        expect(err.message).toContain('987654321');
      });

      it('renames, deletes and restores', async () => {
        const id = await newExperiment('life');
        await store.renameExperiment(id, `${prefix}-life-renamed`);
        expect((await store.getExperiment(id)).name).toBe(`${prefix}-life-renamed`);
        await store.deleteExperiment(id);
        expect((await store.getExperiment(id)).lifecycleStage).toBe('deleted');
        const filter = `name = '${prefix}-life-renamed'`;
        expect((await store.searchExperiments({ filter })).items).toHaveLength(0);
        const deleted = await store.searchExperiments({ filter, viewType: 'DELETED_ONLY' });
        expect(deleted.items.map((e) => e.experimentId)).toEqual([id]);
        expect((await store.searchExperiments({ filter, viewType: 'ALL' })).items).toHaveLength(1);
        await store.restoreExperiment(id);
        expect((await store.getExperiment(id)).lifecycleStage).toBe('active');
      });

      it('searches with filter, order and paging', async () => {
        const ids = [
          await newExperiment('search-b'),
          await newExperiment('search-a'),
          await newExperiment('search-c'),
        ];
        await store.setExperimentTag(ids[0]!, 'kind', 'special');
        const like = `name LIKE '${prefix}-search-%'`;
        const asc = await store.searchExperiments({ filter: like, orderBy: ['name ASC'] });
        expect(asc.items.map((e) => e.name)).toEqual([
          `${prefix}-search-a`,
          `${prefix}-search-b`,
          `${prefix}-search-c`,
        ]);
        const desc = await store.searchExperiments({ filter: like, orderBy: ['name DESC'] });
        expect(desc.items.map((e) => e.name)).toEqual([
          `${prefix}-search-c`,
          `${prefix}-search-b`,
          `${prefix}-search-a`,
        ]);
        const tagged = await store.searchExperiments({ filter: `${like} and tags.kind = 'special'` });
        expect(tagged.items.map((e) => e.experimentId)).toEqual([ids[0]]);
        const pages = await allPages((pageToken) =>
          store.searchExperiments({
            filter: like,
            orderBy: ['name ASC'],
            maxResults: 2,
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        expect(pages.flat().map((e) => e.name)).toEqual(asc.items.map((e) => e.name));
        expect(pages[0]).toHaveLength(2);
      });
    });

    // ── runs ─────────────────────────────────────────────────────────────────

    describe('runs', () => {
      it('creates and reads a run', async () => {
        const start = Date.now();
        const run = await store.createRun({
          experimentId,
          runName: 'contract-run',
          startTime: start,
          tags: [{ key: 'origin', value: 'contract' }],
        });
        const info = run.info;
        expect(info.runId).toMatch(/^[0-9a-f]{32}$/);
        expect(info.runName).toBe('contract-run');
        expect(info.experimentId).toBe(experimentId);
        expect(info.status).toBe('RUNNING');
        expect(info.startTime).toBe(start);
        expect(info.endTime ?? null).toBeNull();
        expect(info.lifecycleStage).toBe('active');
        expect(info.artifactUri).toMatch(new RegExp(`/${info.runId}/artifacts$`));
        expect(tagOf(run, 'origin')).toBe('contract');
        expect(tagOf(run, 'mlflow.runName')).toBe('contract-run');
        const again = await store.getRun(info.runId);
        expect(again.info).toEqual(info);
        await expectCode(store.getRun('deadbeef'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('updates status, end time and name', async () => {
        const run = await store.createRun({ experimentId, runName: 'to-update' });
        const end = Date.now() + 5;
        const info = await store.updateRun(run.info.runId, {
          status: 'FINISHED',
          endTime: end,
          runName: 'updated',
        });
        expect(info.status).toBe('FINISHED');
        expect(info.endTime).toBe(end);
        expect(info.runName).toBe('updated');
        const got = await store.getRun(run.info.runId);
        expect(got.info.runName).toBe('updated');
        expect(tagOf(got, 'mlflow.runName')).toBe('updated');
      });

      it('logs params, metrics and tags, single and batched', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        const t = Date.now();
        await store.logParam(runId, { key: 'alpha', value: '0.5' });
        await store.logParam(runId, { key: 'alpha', value: '0.5' }); // the same value again is fine
        await store.logMetric(runId, { key: 'loss', value: 1, timestamp: t, step: 0 });
        await store.logMetric(runId, { key: 'loss', value: 0.25, timestamp: t + 2, step: 3 });
        await store.logMetric(runId, { key: 'loss', value: 0.5, timestamp: t + 1, step: 1 });
        await store.setTag(runId, { key: 'stage', value: 'dev' });
        await store.logBatch(runId, {
          params: [
            { key: 'solver', value: 'lbfgs' },
            { key: 'l1 ratio', value: '0.1' },
          ],
          metrics: [
            { key: 'rmse', value: 0.42, timestamp: t, step: 4 },
            { key: 'val/mae', value: 3.5, timestamp: t, step: 0 },
          ],
          tags: [{ key: 'k1', value: 'v1' }],
        });
        const run = await store.getRun(runId);
        expect(paramOf(run, 'alpha')).toBe('0.5');
        expect(paramOf(run, 'solver')).toBe('lbfgs');
        expect(paramOf(run, 'l1 ratio')).toBe('0.1');
        expect(metricOf(run, 'loss')).toEqual({ key: 'loss', value: 0.25, timestamp: t + 2, step: 3 });
        expect(metricOf(run, 'rmse')?.value).toBeCloseTo(0.42, 12);
        expect(metricOf(run, 'val/mae')?.value).toBeCloseTo(3.5, 12);
        expect(tagOf(run, 'stage')).toBe('dev');
        expect(tagOf(run, 'k1')).toBe('v1');
      });

      it('validates as MLflow does', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        await store.logParam(runId, { key: 'p', value: '1' });
        const changed = await expectCode(
          store.logParam(runId, { key: 'p', value: '2' }),
          'INVALID_PARAMETER_VALUE',
        );
        expect(changed.message).toContain('Changing param values is not allowed');
        const bad = await expectCode(
          store.logMetric(runId, { key: '../x', value: 1, timestamp: Date.now(), step: 0 }),
          'INVALID_PARAMETER_VALUE',
        );
        expect(bad.message).toContain('../x');
        await expectCode(
          store.logMetric(runId, { key: 'm', timestamp: Date.now(), step: 0 } as unknown as Metric),
          'INVALID_PARAMETER_VALUE',
        );
        await expectCode(store.setTag(runId, { key: 'a$b', value: 'x' }), 'INVALID_PARAMETER_VALUE');
        await expectCode(
          store.logParam(runId, { key: 'k'.repeat(251), value: 'x' }),
          'INVALID_PARAMETER_VALUE',
        );
        // long values are truncated, not rejected
        await store.logParam(runId, { key: 'long', value: 'x'.repeat(7000) });
        await store.setTag(runId, { key: 'long', value: 'y'.repeat(9000) });
        const run = await store.getRun(runId);
        expect(paramOf(run, 'long')).toBe('x'.repeat(6000));
        const tag = tagOf(run, 'long') ?? '';
        expect([5000, 8000]).toContain(tag.length); // MLflow 2.12 keeps 5000, 3.x 8000
        expect(tag).toBe('y'.repeat(tag.length));
      });

      it('enforces or chunks the log-batch limits, never storing a partial batch', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
        try {
          await store.logBatch(runId, { params });
          // a REST store splits into requests within the limits
          expect((await store.getRun(runId)).data.params).toHaveLength(101);
        } catch (err) {
          // the embedded store (and a server) answers as MLflow does
          expect(err).toBeInstanceOf(PropflowError);
          expect((err as PropflowError).code).toBe('INVALID_PARAMETER_VALUE');
          expect((err as PropflowError).message).toContain('at most 100 params');
          expect((await store.getRun(runId)).data.params).toHaveLength(0);
        }
        // a failing batch leaves nothing behind (one transaction per request)
        await store.logParam(runId, { key: 'fixed', value: 'a' });
        const before = await store.getRun(runId);
        await expectCode(
          store.logBatch(runId, {
            params: [{ key: 'fixed', value: 'b' }],
            metrics: [{ key: 'side', value: 1, timestamp: Date.now(), step: 0 }],
          }),
          'INVALID_PARAMETER_VALUE',
        );
        const after = await store.getRun(runId);
        expect(metricOf(after, 'side')).toBeUndefined();
        expect(after.data.params).toEqual(before.data.params);
      });

      it('deletes a tag; a missing tag is reported', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        await store.setTag(runId, { key: 'gone', value: 'soon' });
        await store.deleteTag(runId, 'gone');
        expect(tagOf(await store.getRun(runId), 'gone')).toBeUndefined();
        await expectCode(store.deleteTag(runId, 'never-set'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('returns the full metric history in step order, with paging', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        const t = Date.now();
        const metrics: Metric[] = Array.from({ length: 25 }, (_, step) => ({
          key: 'fold_mae',
          value: 10 - step * 0.1,
          timestamp: t + step,
          step,
        }));
        await store.logBatch(runId, { metrics: metrics.slice(10) });
        await store.logBatch(runId, { metrics: metrics.slice(0, 10) });
        const full = await store.getMetricHistory(runId, 'fold_mae');
        expect(full.items.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
        full.items.forEach((m, i) => {
          expect(m.value).toBeCloseTo(metrics[i]!.value, 12);
          expect(m.timestamp).toBe(metrics[i]!.timestamp);
        });
        expect(full.nextPageToken).toBeUndefined();
        const pages = await allPages((pageToken) =>
          store.getMetricHistory(runId, 'fold_mae', { maxResults: 10, ...(pageToken ? { pageToken } : {}) }),
        );
        expect(pages[0]).toHaveLength(10);
        expect(pages.flat().map((m) => m.step)).toEqual(metrics.map((m) => m.step));
        expect((await store.getMetricHistory(runId, 'never-logged')).items).toEqual([]);
        const latest = metricOf(await store.getRun(runId), 'fold_mae');
        expect(latest?.step).toBe(24);
      });

      it('logs dataset inputs once per dataset', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        const input = {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: `train-${uid}`,
            digest: 'abc123',
            sourceType: 'local',
            source: '{"uri": "file:///data/train.csv"}',
            schema: '{"mlflow_colspec": []}',
            profile: '{"num_rows": 3}',
          },
        };
        await store.logInputs(runId, [input]);
        await store.logInputs(runId, [input]);
        const run = await store.getRun(runId);
        expect(run.inputs.datasetInputs).toHaveLength(1);
        expect(run.inputs.datasetInputs[0]).toEqual(input);
      });

      it('deletes and restores a run; a deleted run refuses logging', async () => {
        const { runId } = (await store.createRun({ experimentId, runName: `deleted-${uid}` })).info;
        await store.deleteRun(runId);
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('deleted');
        const filter = `attributes.run_name = 'deleted-${uid}'`;
        expect((await store.searchRuns({ experimentIds: [experimentId], filter })).items).toHaveLength(0);
        const deleted = await store.searchRuns({
          experimentIds: [experimentId],
          filter,
          viewType: 'DELETED_ONLY',
        });
        expect(deleted.items.map((r) => r.info.runId)).toEqual([runId]);
        await expectCode(store.setTag(runId, { key: 'x', value: 'y' }), 'INVALID_PARAMETER_VALUE');
        await store.restoreRun(runId);
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('active');
        await store.setTag(runId, { key: 'x', value: 'y' });
      });
    });

    // ── search ───────────────────────────────────────────────────────────────

    describe('run search', () => {
      let searchExp: string;
      const ids: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
      const base = Date.now() - 100_000;

      beforeAll(async () => {
        searchExp = await newExperiment('run-search');
        const make = async (
          name: 'a' | 'b' | 'c',
          offset: number,
          rmse: number | null,
          alpha: string,
          stage: string,
        ) => {
          const run = await store.createRun({
            experimentId: searchExp,
            runName: `run-${name}`,
            startTime: base + offset,
          });
          ids[name] = run.info.runId;
          await store.logBatch(run.info.runId, {
            params: [{ key: 'alpha', value: alpha }],
            tags: [{ key: 'stage', value: stage }],
            metrics: rmse === null ? [] : [{ key: 'rmse', value: rmse, timestamp: base, step: 0 }],
          });
          return run.info.runId;
        };
        await make('a', 1000, 0.5, '0.1', 'Dev');
        await make('b', 2000, 0.9, '0.5', 'prod');
        await make('c', 3000, null, '0.5', 'dev-2');
        await store.updateRun(ids.b, { status: 'FINISHED', endTime: base + 2500 });
        await store.logInputs(ids.a, [
          {
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
            dataset: { name: 'nba-2024', digest: 'd1', sourceType: 'local', source: '{}' },
          },
        ]);
      });

      const search = (filter: string, orderBy?: string[]) =>
        store
          .searchRuns({ experimentIds: [searchExp], filter, ...(orderBy ? { orderBy } : {}) })
          .then((p) => p.items.map((r) => r.info.runName));

      it('orders by start time descending by default', async () => {
        expect(await search('')).toEqual(['run-c', 'run-b', 'run-a']);
      });

      it('filters on metrics, params, tags, attributes and datasets', async () => {
        expect(await search('metrics.rmse < 0.6')).toEqual(['run-a']);
        expect(await search('metrics.rmse >= 0.5')).toEqual(['run-b', 'run-a']);
        expect(await search('metrics.rmse != 0.5')).toEqual(['run-b']);
        expect(await search("params.alpha = '0.5'")).toEqual(['run-c', 'run-b']);
        expect(await search("params.alpha != '0.5'")).toEqual(['run-a']);
        expect(await search("tags.stage LIKE 'dev%'")).toEqual(['run-c']);
        expect(await search("tags.stage ILIKE 'dev%'")).toEqual(['run-c', 'run-a']);
        expect(await search("attributes.status = 'FINISHED'")).toEqual(['run-b']);
        expect(await search("attributes.status != 'FINISHED' and params.alpha = '0.5'")).toEqual(['run-c']);
        expect(await search("attributes.run_name = 'run-a'")).toEqual(['run-a']);
        expect(await search(`attributes.run_id IN ('${ids.a}', '${ids.c}')`)).toEqual(['run-c', 'run-a']);
        expect(await search(`attributes.run_id NOT IN ('${ids.a}')`)).toEqual(['run-c', 'run-b']);
        expect(await search(`attributes.start_time > ${base + 1500}`)).toEqual(['run-c', 'run-b']);
        expect(await search(`attributes.end_time <= ${base + 2500}`)).toEqual(['run-b']);
        expect(await search("datasets.name = 'nba-2024'")).toEqual(['run-a']);
        expect(await search("datasets.context = 'training'")).toEqual(['run-a']);
        expect(await search('metrics.`rmse` < 1 and tags."stage" = \'prod\'')).toEqual(['run-b']);
      });

      it('orders by metrics, params and attributes (missing values last, ties by start time)', async () => {
        expect(await search('', ['metrics.rmse ASC'])).toEqual(['run-a', 'run-b', 'run-c']);
        expect(await search('', ['metrics.rmse DESC'])).toEqual(['run-b', 'run-a', 'run-c']);
        expect(await search('', ['params.alpha ASC'])).toEqual(['run-a', 'run-c', 'run-b']);
        expect(await search('', ['attributes.start_time ASC'])).toEqual(['run-a', 'run-b', 'run-c']);
        expect(await search('', ['attributes.run_name DESC'])).toEqual(['run-c', 'run-b', 'run-a']);
      });

      it('pages with tokens', async () => {
        const pages = await allPages((pageToken) =>
          store.searchRuns({
            experimentIds: [searchExp],
            maxResults: 1,
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        const names = pages.flat().map((r) => r.info.runName);
        expect(names).toEqual(['run-c', 'run-b', 'run-a']);
        // MLflow 2.12 adds an empty last page when the last page is exactly full; 3.x does not.
        expect([3, 4]).toContain(pages.length);
        const two = await store.searchRuns({ experimentIds: [searchExp], maxResults: 2 });
        expect(two.items).toHaveLength(2);
        expect(two.nextPageToken).toBeTruthy();
      });

      it('rejects OR and malformed filters with INVALID_PARAMETER_VALUE', async () => {
        const or = await expectCode(
          store.searchRuns({
            experimentIds: [searchExp],
            filter: "metrics.rmse < 0.5 OR params.alpha = '0.5'",
          }),
          'INVALID_PARAMETER_VALUE',
        );
        expect(or.message).toContain("Invalid clause(s) in filter string: 'OR'");
        await expectCode(
          store.searchRuns({ experimentIds: [searchExp], filter: "metrics.rmse < 'x'" }),
          'INVALID_PARAMETER_VALUE',
        );
        await expectCode(
          store.searchRuns({ experimentIds: [searchExp], filter: 'params.alpha = 0.5 and' }),
          'INVALID_PARAMETER_VALUE',
        );
      });
    });

    // ── artifacts ────────────────────────────────────────────────────────────

    describe('artifacts', () => {
      it('logs, lists and downloads bytes, text, files and folders', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        await store.logArtifact(runId, 'notes.txt', 'hello artifact\n');
        const bytes = new Uint8Array([0, 1, 2, 250, 255]);
        await store.logArtifact(runId, 'model/weights.bin', bytes);
        const local = mkdtempSync(path.join(tmpdir(), 'pf-contract-art-'));
        try {
          mkdirSync(path.join(local, 'tree', 'sub'), { recursive: true });
          writeFileSync(path.join(local, 'tree', 'a.json'), '{"a":1}');
          writeFileSync(path.join(local, 'tree', 'sub', 'b.csv'), 'x,y\n1,2\n');
          writeFileSync(path.join(local, 'single.txt'), 'single');
          await store.logArtifactsFrom(runId, path.join(local, 'tree'), 'data');
          await store.logArtifactsFrom(runId, path.join(local, 'single.txt'));
        } finally {
          rmSync(local, { recursive: true, force: true });
        }
        const root = await store.listArtifacts(runId);
        expect(root.map((f) => [f.path, f.isDir])).toEqual([
          ['data', true],
          ['model', true],
          ['notes.txt', false],
          ['single.txt', false],
        ]);
        expect(root.find((f) => f.path === 'notes.txt')?.fileSize).toBe(15);
        expect((await store.listArtifacts(runId, 'data')).map((f) => f.path)).toEqual([
          'data/a.json',
          'data/sub',
        ]);
        expect((await store.listArtifacts(runId, 'data/sub')).map((f) => f.path)).toEqual(['data/sub/b.csv']);
        expect(new TextDecoder().decode(await store.downloadArtifact(runId, 'notes.txt'))).toBe(
          'hello artifact\n',
        );
        expect([...(await store.downloadArtifact(runId, 'model/weights.bin'))]).toEqual([...bytes]);
        expect(new TextDecoder().decode(await store.downloadArtifact(runId, 'data/sub/b.csv'))).toBe(
          'x,y\n1,2\n',
        );
        expect(new TextDecoder().decode(await store.downloadArtifact(runId, 'single.txt'))).toBe('single');
        expect(await store.listArtifacts(runId, 'no-such-folder')).toEqual([]);
      });

      it('refuses paths outside the run and reports missing files', async () => {
        const { runId } = (await store.createRun({ experimentId })).info;
        for (const bad of ['../escape.txt', 'a/../../escape.txt']) {
          const err = await rejection(store.logArtifact(runId, bad, 'x'));
          expect(['INVALID_PARAMETER_VALUE', 'BAD_REQUEST'], `${bad}: ${err.message}`).toContain(err.code);
        }
        const missing = await rejection(store.downloadArtifact(runId, 'nothing-here.txt'));
        expect(missing.status, missing.message).toBe(404);
      });
    });

    // ── registry ─────────────────────────────────────────────────────────────

    describe('registered models', () => {
      it('creates, reads, updates, renames, tags, searches and deletes', async () => {
        const name = modelName('rm');
        const created = await store.createRegisteredModel(name, {
          tags: [{ key: 'team', value: 'props' }],
          description: 'first',
        });
        expect(created.name).toBe(name);
        expect(created.description).toBe('first');
        expect(created.tags).toEqual([{ key: 'team', value: 'props' }]);
        expect(created.latestVersions).toEqual([]);
        await expectCode(store.createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS');
        await expectCode(store.getRegisteredModel(`${prefix}-missing`), 'RESOURCE_DOES_NOT_EXIST');
        expect((await store.updateRegisteredModel(name, 'second')).description).toBe('second');
        await store.setRegisteredModelTag(name, 'owner', 'lab');
        await store.deleteRegisteredModelTag(name, 'team');
        expect((await store.getRegisteredModel(name)).tags).toEqual([{ key: 'owner', value: 'lab' }]);
        const renamed = modelName('rm-renamed');
        expect((await store.renameRegisteredModel(name, renamed)).name).toBe(renamed);
        await expectCode(store.getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST');
        const other = modelName('rm-other');
        await store.createRegisteredModel(other);
        const found = await store.searchRegisteredModels({
          filter: `name LIKE '${prefix}-rm-%'`,
          orderBy: ['name DESC'],
        });
        expect(found.items.map((m) => m.name)).toEqual([renamed, other]);
        expect((await store.searchRegisteredModels({ filter: `name = '${renamed}'` })).items).toHaveLength(1);
        const tagged = await store.searchRegisteredModels({
          filter: `name LIKE '${prefix}-rm-%' and tags.owner = 'lab'`,
        });
        expect(tagged.items.map((m) => m.name)).toEqual([renamed]);
        const pages = await allPages((pageToken) =>
          store.searchRegisteredModels({
            filter: `name LIKE '${prefix}-rm-%'`,
            maxResults: 1,
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        expect(pages.flat().map((m) => m.name)).toEqual([other, renamed].sort());
        await store.deleteRegisteredModel(other);
        await expectCode(store.getRegisteredModel(other), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('hides prompts as MLflow 3 does; any other tag comparison, != included, needs the tag', async () => {
        const plain = modelName('pr-plain');
        const prompt = modelName('pr-prompt');
        const teamA = modelName('pr-team-a');
        const teamB = modelName('pr-team-b');
        await store.createRegisteredModel(plain);
        await store.createRegisteredModel(prompt, {
          tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
        });
        await store.createRegisteredModel(teamA, { tags: [{ key: 'team', value: 'a' }] });
        await store.createRegisteredModel(teamB, { tags: [{ key: 'team', value: 'b' }] });
        const names = async (filter: string) =>
          (await store.searchRegisteredModels({ filter: `name LIKE '${prefix}-pr-%' and ${filter}` })).items
            .map((m) => m.name)
            .sort();
        // What every MLflow 3 client appends to a registered-model search.
        expect(await names("tag.`mlflow.prompt.is_prompt` != 'true'")).toEqual([plain, teamA, teamB].sort());
        expect(await names("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual([prompt]);
        expect(await names("tags.team != 'a'")).toEqual([teamB]);
        const versions = await store.searchModelVersions({
          filter: `name = '${prompt}' and tags.\`mlflow.prompt.is_prompt\` != 'true'`,
        });
        expect(versions.items).toEqual([]);
        // A model-version filter with its own keys and the prompt clause MLflow 3 clients append.
        const runId = (await store.createRun({ experimentId })).info.runId;
        await store.logArtifact(runId, 'model/MLmodel', 'flavors: {}\n');
        await store.createModelVersion(plain, { source: `runs:/${runId}/model`, runId });
        const byRun = await store.searchModelVersions({
          filter: `run_id = '${runId}' and tag.\`mlflow.prompt.is_prompt\` != 'true'`,
        });
        expect(byRun.items.map((v) => `${v.name}/${v.version}`)).toEqual([`${plain}/1`]);
      });
    });

    describe('model versions, stages and aliases', () => {
      let name: string;
      let runId: string;

      beforeAll(async () => {
        name = modelName('versions');
        await store.createRegisteredModel(name);
        runId = (await store.createRun({ experimentId, runName: 'model-run' })).info.runId;
        await store.logArtifact(runId, 'model/MLmodel', 'flavors: {}\n');
        for (let i = 1; i <= 3; i++) {
          await store.createModelVersion(name, {
            source: `runs:/${runId}/model`,
            runId,
            tags: [{ key: 'n', value: String(i) }],
            description: `v${i}`,
          });
        }
      });

      it('creates numbered versions and reads them back', async () => {
        const v2 = await store.getModelVersion(name, '2');
        expect(v2).toMatchObject({
          name,
          version: '2',
          currentStage: 'None',
          description: 'v2',
          source: `runs:/${runId}/model`,
          runId,
          status: 'READY',
          tags: [{ key: 'n', value: '2' }],
        });
        expect((await store.updateModelVersion(name, '2', 'second')).description).toBe('second');
        await store.setModelVersionTag(name, '2', 'validated', 'true');
        await store.deleteModelVersionTag(name, '2', 'n');
        expect((await store.getModelVersion(name, '2')).tags).toEqual([{ key: 'validated', value: 'true' }]);
        await expectCode(store.getModelVersion(name, '99'), 'RESOURCE_DOES_NOT_EXIST');
        const uri = await store.getModelVersionDownloadUri(name, '1');
        expect(uri).toMatch(new RegExp(`${runId}/artifacts/model$`));
      });

      it('searches versions by name, run id and tags', async () => {
        const all = await store.searchModelVersions({ filter: `name = '${name}'` });
        expect(all.items.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
        const byRun = await store.searchModelVersions({ filter: `name = '${name}' and run_id = '${runId}'` });
        expect(byRun.items).toHaveLength(3);
        const byTag = await store.searchModelVersions({ filter: `name = '${name}' and tags.n = '3'` });
        expect(byTag.items.map((v) => v.version)).toEqual(['3']);
      });

      it('transitions stages, archiving existing versions on request', async () => {
        expect((await store.transitionModelVersionStage(name, '1', 'Staging', false)).currentStage).toBe(
          'Staging',
        );
        await store.transitionModelVersionStage(name, '2', 'Production', false);
        const v3 = await store.transitionModelVersionStage(name, '3', 'Production', true);
        expect(v3.currentStage).toBe('Production');
        expect((await store.getModelVersion(name, '2')).currentStage).toBe('Archived');
        expect((await store.getModelVersion(name, '1')).currentStage).toBe('Staging');
        const prod = await store.getLatestVersions(name, ['Production']);
        expect(prod.map((v) => v.version)).toEqual(['3']);
        const latest = await store.getLatestVersions(name);
        expect(latest.map((v) => `${v.version}:${v.currentStage}`).sort()).toEqual([
          '1:Staging',
          '2:Archived',
          '3:Production',
        ]);
        const model = await store.getRegisteredModel(name);
        expect(model.latestVersions.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
        const bad = await expectCode(
          store.transitionModelVersionStage(name, '1', 'Bogus' as 'None', false),
          'INVALID_PARAMETER_VALUE',
        );
        expect(bad.message).toContain('Invalid Model Version stage: Bogus');
      });

      it('sets, resolves and deletes aliases; reserved names are refused', async () => {
        await store.setRegisteredModelAlias(name, 'champion', '2');
        const v = await store.getModelVersionByAlias(name, 'champion');
        expect(v.version).toBe('2');
        expect(v.aliases).toEqual(['champion']);
        expect((await store.getRegisteredModel(name)).aliases).toEqual([{ alias: 'champion', version: '2' }]);
        await store.setRegisteredModelAlias(name, 'champion', '3');
        expect((await store.getModelVersionByAlias(name, 'champion')).version).toBe('3');
        const reserved = await expectCode(
          store.setRegisteredModelAlias(name, 'latest', '1'),
          'INVALID_PARAMETER_VALUE',
        );
        expect(reserved.message).toContain("'latest' alias name (case insensitive) is reserved.");
        await expectCode(store.setRegisteredModelAlias(name, 'v1', '1'), 'INVALID_PARAMETER_VALUE');
        await store.setRegisteredModelAlias(name, 'challenger', '1');
        await store.deleteRegisteredModelAlias(name, 'challenger');
        await expectCode(store.getModelVersionByAlias(name, 'challenger'), 'INVALID_PARAMETER_VALUE');
        // As MLflow, 2.12 and 3.x alike: deleting an alias that is not set succeeds.
        // `SqlAlchemyStore.delete_registered_model_alias` (mlflow/store/model_registry/
        // sqlalchemy_store.py, v2.12.2 and master): `self._get_registered_model(session, name)`
        // then `if existing_alias is not None: session.delete(existing_alias)`.
        await store.deleteRegisteredModelAlias(name, 'challenger');
        await store.deleteRegisteredModelAlias(name, 'never-set');
        expect((await store.getRegisteredModel(name)).aliases).toEqual([{ alias: 'champion', version: '3' }]);
        // … but the model must exist (`_get_registered_model` raises RESOURCE_DOES_NOT_EXIST).
        await expectCode(
          store.deleteRegisteredModelAlias(`${prefix}-no-such-model`, 'challenger'),
          'RESOURCE_DOES_NOT_EXIST',
        );
      });

      it('deletes a version', async () => {
        const extra = await store.createModelVersion(name, { source: `runs:/${runId}/model`, runId });
        expect(extra.version).toBe('4');
        await store.deleteModelVersion(name, '4');
        await expectCode(store.getModelVersion(name, '4'), 'RESOURCE_DOES_NOT_EXIST');
      });
    });

    // ── MLflow 3 logged models (optional) ────────────────────────────────────

    describe('logged models', () => {
      it('creates, finalizes, tags, searches and links logged models to runs', async (ctx) => {
        if (!isLoggedModelStore(store)) ctx.skip('this store does not offer MLflow 3 logged models');
        const s = store as TrackingStore & LoggedModelStore;
        const { runId } = (await store.createRun({ experimentId })).info;
        let created: LoggedModel;
        try {
          created = await s.createLoggedModel({
            experimentId,
            name: 'model',
            sourceRunId: runId,
            params: [{ key: 'alpha', value: '0.5' }],
            tags: [{ key: 'mlflow.user', value: 'contract' }],
          });
        } catch (err) {
          if (err instanceof PropflowError && err.code === 'ENDPOINT_NOT_FOUND') {
            ctx.skip(`the server has no logged-models API (MLflow 2): ${err.message}`);
          }
          throw err;
        }
        expect(created.modelId).toMatch(/^m-[0-9a-f]{32}$/);
        expect(created.status).toBe('LOGGED_MODEL_PENDING');
        expect(created.artifactUri).toMatch(new RegExp(`/models/${created.modelId}/artifacts$`));
        expect(created.params).toEqual([{ key: 'alpha', value: '0.5' }]);
        await s.logOutputs(runId, [{ modelId: created.modelId, step: 0 }]);
        await store.logBatch(runId, {
          metrics: [{ key: 'loss', value: 1, timestamp: Date.now(), step: 0, modelId: created.modelId }],
        });
        const ready = await s.finalizeLoggedModel(created.modelId, 'LOGGED_MODEL_READY');
        expect(ready.status).toBe('LOGGED_MODEL_READY');
        await s.logLoggedModelParams(created.modelId, [
          { key: 'alpha', value: '0.5' },
          { key: 'depth', value: '6' },
        ]);
        await expectCode(
          s.logLoggedModelParams(created.modelId, [{ key: 'alpha', value: '0.9' }]),
          'INVALID_PARAMETER_VALUE',
        );
        await expectCode(
          s.logLoggedModelParams('m-0123456789abcdef0123456789abcdef', [{ key: 'a', value: '1' }]),
          'RESOURCE_DOES_NOT_EXIST',
        );
        await s.setLoggedModelTags(created.modelId, [{ key: 'k', value: 'v' }]);
        await s.deleteLoggedModelTag(created.modelId, 'mlflow.user');
        const got = await s.getLoggedModel(created.modelId);
        expect(got.tags).toEqual([{ key: 'k', value: 'v' }]);
        expect(got.params).toEqual([
          { key: 'alpha', value: '0.5' },
          { key: 'depth', value: '6' },
        ]);
        expect(got.metrics.map((m) => m.key)).toEqual(['loss']);
        const found = await s.searchLoggedModels({ experimentIds: [experimentId], filter: "name = 'model'" });
        expect(found.items.map((m) => m.modelId)).toContain(created.modelId);
        const second = await s.createLoggedModel({ experimentId, name: 'model-2' });
        const ordered = await s.searchLoggedModels({ experimentIds: [experimentId], orderBy: ['name DESC'] });
        expect(ordered.items.map((m) => m.name).slice(0, 2)).toEqual(['model-2', 'model']);
        await s.deleteLoggedModel(second.modelId);
        const run = await store.getRun(runId);
        expect(run.outputs?.modelOutputs).toEqual([{ modelId: created.modelId, step: 0 }]);
        await s.deleteLoggedModel(created.modelId);
        await expectCode(s.getLoggedModel(created.modelId), 'RESOURCE_DOES_NOT_EXIST');
      });
    });
  });
}
