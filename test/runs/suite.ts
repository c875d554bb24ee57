/**
 * One suite for `src/runs` run against every store: the embedded store and the REST store
 * talking to a live `propflow server` (see embedded.test.ts and server.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareRuns,
  comparisonCsv,
  comparisonMarkdown,
  comparisonTable,
  foldChartSpec,
} from '../../src/runs/index.js';
import type { TrackingStore } from '../../src/tracking/index.js';
import { dateSeries, makeFoldRun } from './fixtures.js';

export interface SuiteStore {
  store: TrackingStore;
  uri: string;
  cleanup(): Promise<void>;
}

export function describeRunsSuite(label: string, open: () => Promise<SuiteStore>): void {
  describe(`runs (${label})`, () => {
    let s: SuiteStore;
    let exp: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      s = await open();
      exp = await s.store.createExperiment(`runs-suite-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      const dates = dateSeries('2024-01-01', 8);
      // B starts one date later than A: its step 0 is A's step 1 (matching by index would be wrong)
      ids['a'] = await makeFoldRun(s.store, exp, {
        name: '20240101_p1_v3_advanced_wfdaily_v1',
        dates,
        maes: [5.0, 5.2, 5.1, 4.9, 5.3, 5.0, 5.4, 5.2],
        params: { learning_rate: '0.05' },
      });
      ids['b'] = await makeFoldRun(s.store, exp, {
        name: '20240101_p1_v3_advanced_wfdaily_v2',
        dates: dates.slice(1),
        maes: [5.0, 4.8, 4.7, 5.1, 4.9, 5.2, 5.0],
        params: { learning_rate: '0.1' },
        dateTags: true,
      });
      ids['c'] = await makeFoldRun(s.store, exp, {
        name: 'legacy run',
        dates: dates.slice(0, 6),
        maes: [5.5, 5.6, 5.4, 5.3, 5.7, 5.5],
      });
    });
    afterAll(async () => s?.cleanup());

    it('matches folds by date, counts wins and runs the paired tests', async () => {
      const c = await compareRuns(s.store, [ids['a']!, ids['b']!]);
      expect(c.runs.map((r) => r.run_id)).toEqual([ids['a'], ids['b']]);
      expect(c.folds.map((f) => f.date)).toEqual(dateSeries('2024-01-01', 8));
      expect(c.folds[0]!.values).toEqual([5.0, null]);
      // 2024-01-02: A's step 1 (5.2) against B's step 0 (5.0)
      expect(c.folds[1]!.values).toEqual([5.2, 5.0]);
      expect(c.common_dates).toBe(7);
      const pair = c.pairs[0]!;
      expect(pair.n).toBe(7);
      // A − B on the shared dates: 0.2, 0.3, 0.2, 0.2, 0.1, 0.2, 0.2
      expect(pair.mean_difference).toBeCloseTo(1.4 / 7, 10);
      expect(pair.wins_a).toBe(0);
      expect(pair.wins_b).toBe(7);
      expect(pair.better).toBe(ids['b']);
      expect(pair.wilcoxon!.p_value).toBeLessThan(0.05);
      expect(pair.t_test!.p_value).toBeLessThan(0.001);
      expect(pair.ci95![0]).toBeGreaterThan(0);
      expect(c.wins.map((w) => w.dates_won)).toEqual([0, 7]);
      expect(c.params.find((p) => p.key === 'learning_rate')).toMatchObject({
        values: ['0.05', '0.1'],
        differs: true,
      });
      expect(c.metrics.find((m) => m.key === 'val_mae')!.differs).toBe(true);
      expect(c.metrics.some((m) => m.key.startsWith('fold_'))).toBe(false);
      expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    });

    it('accepts run names, --only-diff and a baseline with deltas', async () => {
      const c = await compareRuns(s.store, ['20240101_p1_v3_advanced_wfdaily_v2', ids['c']!], {
        baseline: ids['a']!,
        onlyDiff: true,
      });
      expect(c.baseline_run_id).toBe(ids['a']);
      expect(c.runs[0]!.run_id).toBe(ids['a']);
      expect(c.params.every((p) => p.differs)).toBe(true);
      expect(c.params.find((p) => p.key === 'max_depth')).toBeUndefined();
      expect(c.pairs.map((p) => [p.a, p.b])).toEqual([
        [ids['b'], ids['a']],
        [ids['c'], ids['a']],
      ]);
      const val = c.metrics.find((m) => m.key === 'val_mae')!;
      expect(val.delta_vs_baseline![0]).toBeNull();
      expect(val.delta_vs_baseline![1]).toBeCloseTo(val.values[1]! - val.values[0]!, 12);
      // every run has 6 dates in common (C's), the wins add up with ties
      expect(c.common_dates).toBe(5);
      expect(c.wins.reduce((n, w) => n + w.dates_won, 0) + c.tied_dates).toBe(5);
    });

    it('formats as a table within 100 columns, CSV, Markdown and a chart spec', async () => {
      const c = await compareRuns(s.store, [ids['a']!, ids['b']!, ids['c']!]);
      const table = comparisonTable(c);
      for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
      expect(table).toContain('Paired tests');
      expect(table).toContain(ids['a']!.slice(0, 8));
      const csv = comparisonCsv(c);
      expect(csv.split('\n')[0]).toContain(`(${ids['a']})`);
      expect(csv).toMatch(/^fold_mae,2024-01-02,5\.2,5,5\.6$/m);
      const md = comparisonMarkdown(c);
      expect(md).toContain('| 2024-01-04 |');
      const spec = foldChartSpec(c) as unknown as { data: { values: Array<{ run: string }> } };
      expect(spec.data.values.length).toBe(8 + 7 + 6);
      expect(new Set(spec.data.values.map((v) => v.run))).toEqual(new Set(c.runs.map((r) => r.label)));
    });

    it('refuses fewer than two runs and unknown runs, naming them', async () => {
      await expect(compareRuns(s.store, [ids['a']!])).rejects.toThrow(/at least two runs/);
      await expect(compareRuns(s.store, [ids['a']!, 'no-such-run'])).rejects.toThrow(
        /No run with id or name 'no-such-run'/,
      );
      await expect(compareRuns(s.store, [ids['a']!, ids['a']!])).rejects.toThrow(/named twice/);
    });

    it('compares 10 runs with 200-step fold histories in under a second', async () => {
      const e = await s.store.createExperiment(
        `runs-speed-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      );
      const dates = dateSeries('2023-10-24', 200);
      const many: string[] = [];
      for (let r = 0; r < 10; r++) {
        many.push(
          await makeFoldRun(s.store, e, {
            name: `speed_${r}`,
            dates,
            maes: dates.map((_, i) => 5 + 0.3 * Math.sin(i / 7 + r) + r * 0.01),
            artifacts: false,
          }),
        );
      }
      const t0 = performance.now();
      const c = await compareRuns(s.store, many);
      const ms = performance.now() - t0;
      expect(c.folds.length).toBe(200);
      expect(c.pairs.length).toBe(45);
      expect(ms).toBeLessThan(1000);
    });
  });
}
