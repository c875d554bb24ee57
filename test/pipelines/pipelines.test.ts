/**
 * The three pipelines (through the demo) on a small synthetic league, into an embedded store
 * and through a live `propflow server`, checked through the store: params, per-date fold
 * metrics, the standard tags, the six artifacts, the registry workflow; and a crash ends a
 * run FAILED.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo, runPipeline } from '../../src/pipelines/index.js';
import { startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';
import { download, expectStandardRun } from './helpers.js';

/** Tiny models and fortnightly refits: the point is the wiring, not the numbers. */
const TINY = { n_estimators: 15, max_depth: 4, learning_rate: 0.3, min_child_weight: 20 };
const CONFIGS = {
  'walk-forward': { model: TINY, validation: { refit_every_days: 14 }, target_mae: 8 },
  'two-stage': {
    two_stage: { folds: 2, minutes: { ...TINY, n_estimators: 8 }, target: TINY },
    validation: { refit_every_days: 21 },
    target_mae: 8,
  },
  validate: { model: TINY, validation: { refit_every_days: 21 } },
};

const dir = mkdtempSync(path.join(tmpdir(), 'pf-pipelines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demo(trackingUri: string, sub: string): Promise<DemoResult> {
  return runDemo({
    trackingUri,
    seed: 3,
    seasons: 1,
    datasetDir: path.join(dir, sub, 'datasets', 'demo'),
    configs: CONFIGS,
    env: {},
  });
}

for (const backend of ['embedded store', 'REST store → live propflow server'] as const) {
  describe(`the three pipelines into the ${backend}`, () => {
    let store: TrackingStore;
    let result: DemoResult;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const sub = backend === 'embedded store' ? 'embedded' : 'rest';
      let uri: string;
      if (backend === 'embedded store') {
        uri = `sqlite:///${path.join(dir, sub, 'tracking.db')}`;
        cleanup = async () => undefined;
      } else {
        const server = await startServer({
          backendStoreUri: `sqlite:///${path.join(dir, sub, 'server.db')}`,
          artifactsDestination: path.join(dir, sub, 'artifacts'),
          host: '127.0.0.1',
          port: 0,
        });
        uri = server.url;
        cleanup = () => server.close();
      }
      result = await demo(uri, sub);
      store = await openStore(uri, { env: {} });
    }, 240_000);

    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('each pipeline run has the standard shape', async () => {
      for (const kind of ['walk-forward', 'two-stage', 'validate'] as const) {
        await expectStandardRun(store, result.runs[kind].runId, kind);
      }
    });

    it('the demo wrote its league as a dataset folder and the runs point at it', async () => {
      const info = JSON.parse(await download(store, result.runs['walk-forward'].runId, 'training_info.json'));
      expect(info.dataset_dir).toBe(result.datasetDir);
      expect(info.dataset.source).toMatch(/^synthetic:seed=3,seasons=1/);
    });

    it('two-stage logs both stages, the minutes MAE and calibration scores; validate compares with its baseline run', async () => {
      const two = await store.getRun(result.runs['two-stage'].runId);
      const params = Object.fromEntries(two.data.params.map((p) => [p.key, p.value]));
      expect(params['stage1_n_estimators']).toBe('8');
      expect(params['stage2_n_estimators']).toBe('15');
      const metrics = Object.fromEntries(two.data.metrics.map((m) => [m.key, m.value]));
      expect(metrics['val_minutes_mae']).toBeGreaterThan(0);
      expect(metrics['calibration_brier']).toBeGreaterThan(0);
      expect(metrics['calibration_brier']).toBeLessThan(0.3);
      expect(metrics['calibration_log_loss']).toBeGreaterThan(0);
      expect((await store.listArtifacts(two.info.runId)).map((f) => f.path)).toContain('reliability.png');

      const val = await store.getRun(result.runs.validate.runId);
      const tags = Object.fromEntries(val.data.tags.map((t) => [t.key, t.value]));
      expect(tags['baseline_run_id']).toBe(result.runs['walk-forward'].runId);
      const vm = Object.fromEntries(val.data.metrics.map((m) => [m.key, m.value]));
      expect(vm['baseline_mae']).toBeCloseTo(result.runs['walk-forward'].metrics['val_mae']!, 9);
      expect(result.runs.validate.registration).toBeNull();
    });

    it('predictions back the metrics: the CSV reproduces val_mae and the bets reproduce ROI', async () => {
      const id = result.runs['walk-forward'].runId;
      const rows = parseCsv(await download(store, id, 'validation_predictions.csv'), {
        columns: true,
      }) as Record<string, string>[];
      const m = result.runs['walk-forward'].metrics;
      expect(rows.length).toBe(m['val_n_predictions']);
      const mae =
        rows.reduce((s, r) => s + Math.abs(Number(r['actual']) - Number(r['prediction'])), 0) / rows.length;
      expect(mae).toBeCloseTo(m['val_mae']!, 2);
      const bets = rows.filter((r) => r['bet'] !== '');
      expect(bets.length).toBe(m['n_bets']);
      const profit = bets.reduce((s, r) => s + Number(r['bet_profit']), 0);
      expect(m['betting_roi']).toBeCloseTo(profit / bets.length, 3);
      for (const r of bets) expect(['win', 'loss', 'push']).toContain(r['outcome']);
    });

    it('registers through the gate, evaluates, and promotes the best version to Staging and Production', async () => {
      expect(result.registry.production).not.toBeNull();
      const v = await store.getModelVersion('NBAPropsModel', result.registry.production!);
      expect([result.runs['walk-forward'].runId, result.runs['two-stage'].runId]).toContain(v.runId);
      expect(v.currentStage).toBe('Production');
      expect(result.registry.history.map((e) => e.action)).toEqual(
        expect.arrayContaining(['register', 'evaluate', 'promote']),
      );
    });
  });
}

describe('a crash inside a pipeline', () => {
  it('ends the run FAILED and rethrows', async () => {
    const uri = `sqlite:///${path.join(dir, 'crash.db')}`;
    const store = await openStore(uri);
    try {
      await expect(
        runPipeline(
          'validate',
          {
            model: TINY,
            validation: { start: 'season_mid', refit_every_days: 28 },
            baseline_run: 'f'.repeat(32),
          },
          { store, trackingUri: uri, synthetic: { seed: 3, seasons: 1 } },
        ),
      ).rejects.toThrow(/baseline run|not found|does not exist/i);
      const exp = await store.getExperimentByName('NBA_Props_Model/Phase1_Features');
      const runs = await store.searchRuns({ experimentIds: [exp!.experimentId] });
      expect(runs.items).toHaveLength(1);
      expect(runs.items[0]!.info.status).toBe('FAILED');
      expect(runs.items[0]!.info.endTime).not.toBeNull();
    } finally {
      await store.close();
    }
  }, 120_000);
});
