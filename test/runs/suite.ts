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
  createFromTemplate,
  experimentTree,
  foldChartSpec,
  lintRunNames,
  listArtifactsDeep,
  listRuns,
  MIGRATED_FROM,
  MIGRATED_TO,
  MIGRATION_PARTIAL_TAG,
  migrate,
  parseRules,
  planMigration,
  renderTree,
  showRun,
} from '../../src/runs/index.js';
import type { Metric, Run, TrackingStore } from '../../src/tracking/index.js';
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

    it('takes fold dates from fold_<i>_date tags when there is no fold_date metric, and warns about undated folds', async () => {
      const dates = dateSeries('2024-01-02', 3);
      const tagged = await makeFoldRun(s.store, exp, {
        name: 'tags_only',
        dates,
        maes: [5.1, 5.2, 5.3],
        dateTags: true,
        noDateMetric: true,
      });
      const undated = await makeFoldRun(s.store, exp, {
        name: 'undated',
        dates,
        maes: [1, 2, 3],
        noDateMetric: true,
      });
      const c = await compareRuns(s.store, [ids['a']!, tagged, undated]);
      expect(c.runs[1]).toMatchObject({ fold_dates_from: 'fold_<i>_date tags', n_folds: 3 });
      expect(c.folds.find((f) => f.date === '2024-01-03')!.values).toEqual([5.1, 5.2, null]);
      expect(c.runs[2]!.n_folds).toBe(0);
      expect(c.warnings.join('\n')).toMatch(/undated: 3 values of fold_mae without a fold date/);
      await s.store.deleteRun(tagged);
      await s.store.deleteRun(undated);
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

    it('lists runs with filters and shows one with its fold summary', async () => {
      const rows = await listRuns(s.store, {
        experiments: [exp],
        filter: 'metrics.val_mae < 5.2',
        orderBy: ['metrics.val_mae ASC'],
      });
      expect(rows.map((r) => r.run_id)).toEqual([ids['b'], ids['a']]);
      const d = await showRun(s.store, ids['b']!);
      expect(d.params['learning_rate']).toBe('0.1');
      expect(d.folds).toMatchObject({ n: 7, first_date: '2024-01-02', last_date: '2024-01-08' });
      expect(d.folds!.min).toEqual({ value: 4.7, date: '2024-01-04' });
      expect(d.artifacts.map((a) => a.path)).toEqual([
        'feature_lineage.json',
        'pipeline_config.json',
        'training_info.json',
      ]);
      expect(d.datasets[0]).toMatchObject({ name: 'league', context: 'training' });
    });

    it('lints run names with the tracker rules', async () => {
      const report = await lintRunNames(s.store, { experiments: [exp] });
      expect(report.checked).toBe(3);
      expect(report.problems.map((p) => p.run_id)).toEqual([ids['c']]);
      expect(report.problems[0]!.problem).toBe('does not follow the naming rule');
    });
  });

  describe(`experiments (${label})`, () => {
    let s: SuiteStore;
    const suffix = Math.random().toString(36).slice(2, 8);
    const legacy = `Phase1_Foundation_${suffix}`;
    const target = `NBA_Props_Model_${suffix}/Phase1_Baseline`;
    let big: string;
    let small: string;

    beforeAll(async () => {
      s = await open();
      const e = await s.store.createExperiment(legacy);
      const dates = dateSeries('2023-10-24', 200);
      big = await makeFoldRun(s.store, e, {
        name: 'baseline_gbdt_final',
        dates,
        maes: dates.map((_, i) => 5 + Math.cos(i / 5) / 3),
        tags: { model_type: 'gbdt', feature_set: 'v1_baseline' },
        dateTags: true,
      });
      // a nested artifact folder and binary content
      await s.store.logArtifact(big, 'model/MLmodel', 'artifact_path: model\nflavors: {}\n');
      await s.store.logArtifact(big, 'model/data/weights.bin', new Uint8Array([0, 1, 2, 250, 255, 7]));
      small = await makeFoldRun(s.store, e, {
        name: 'day4_test',
        dates: dates.slice(0, 3),
        maes: [6, 6.1, 6.2],
        tags: { model_type: 'gbdt', feature_set: 'v1_baseline' },
      });
      await makeFoldRun(s.store, e, {
        name: 'unrelated',
        dates: dates.slice(0, 2),
        maes: [7, 7],
        tags: { model_type: 'ridge' },
      });
    });
    afterAll(async () => s?.cleanup());

    const rules = () =>
      parseRules(
        `rules:\n  - match: { experiment: ${legacy}, tags: { model_type: gbdt } }\n    target: ${target}\n    rename: "{date}_p1_{tags.feature_set}_wf7d_v{n}"\n`,
      );

    async function history(runId: string, key: string): Promise<Metric[]> {
      const items = (await s.store.getMetricHistory(runId, key)).items;
      return items
        .map((m) => ({ key: m.key, value: m.value, step: m.step, timestamp: m.timestamp }))
        .sort((a, b) => a.step - b.step);
    }

    async function expectExactCopy(orig: Run, copy: Run): Promise<void> {
      expect(copy.info.status).toBe(orig.info.status);
      expect(copy.info.startTime).toBe(orig.info.startTime);
      expect(copy.info.endTime).toBe(orig.info.endTime);
      const sortKv = (xs: Array<{ key: string; value: string }>) =>
        [...xs].sort((a, b) => a.key.localeCompare(b.key));
      expect(sortKv(copy.data.params)).toEqual(sortKv(orig.data.params));
      const skip = new Set(['mlflow.runName', MIGRATED_FROM, MIGRATED_TO]);
      expect(sortKv(copy.data.tags.filter((t) => !skip.has(t.key)))).toEqual(
        sortKv(orig.data.tags.filter((t) => !skip.has(t.key))),
      );
      expect(copy.data.tags.find((t) => t.key === MIGRATED_FROM)?.value).toBe(orig.info.runId);
      const keys = [...new Set(orig.data.metrics.map((m) => m.key))].sort();
      expect([...new Set(copy.data.metrics.map((m) => m.key))].sort()).toEqual(keys);
      for (const k of keys)
        expect(await history(copy.info.runId, k)).toEqual(await history(orig.info.runId, k));
      expect(copy.inputs.datasetInputs).toEqual(orig.inputs.datasetInputs);
      const files = async (id: string) =>
        (await listArtifactsDeep(s.store, id, 10)).map((f) => `${f.path}${f.isDir ? '/' : ''}`);
      expect(await files(copy.info.runId)).toEqual(await files(orig.info.runId));
      for (const f of (await listArtifactsDeep(s.store, orig.info.runId, 10)).filter((x) => !x.isDir)) {
        expect(Buffer.from(await s.store.downloadArtifact(copy.info.runId, f.path))).toEqual(
          Buffer.from(await s.store.downloadArtifact(orig.info.runId, f.path)),
        );
      }
    }

    async function activeCopies(): Promise<Run[]> {
      const t = await s.store.getExperimentByName(target);
      if (!t) return [];
      return (await s.store.searchRuns({ experimentIds: [t.experimentId], maxResults: 1000 })).items;
    }

    it('plans a dry run that changes nothing', async () => {
      const plan = await planMigration(s.store, rules());
      expect(plan.moves.map((m) => [m.run_name, m.action])).toEqual([
        ['baseline_gbdt_final', 'copy'],
        ['day4_test', 'copy'],
      ]);
      const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      expect(plan.moves.map((m) => m.new_name)).toEqual([
        `${day}_p1_v1_baseline_wf7d_v1`,
        `${day}_p1_v1_baseline_wf7d_v2`,
      ]);
      expect(plan.unmatched).toBe(1);
      expect(await s.store.getExperimentByName(target)).toBeNull();
      expect((await s.store.getRun(big)).data.tags.some((t) => t.key === MIGRATED_TO)).toBe(false);
    });

    it('resumes an interrupted migration without duplicates, copies exactly, and is idempotent', async () => {
      // interrupted while copying the first run's artifacts
      await expect(
        migrate(s.store, rules(), {
          onEvent: (e) => {
            if (e.run_id === big && e.step === 'artifacts') throw new Error('interrupted');
          },
        }),
      ).rejects.toThrow('interrupted');
      let copies = await activeCopies();
      expect(copies).toHaveLength(1);
      expect(copies[0]!.data.tags.some((t) => t.key === MIGRATION_PARTIAL_TAG)).toBe(true);
      expect((await s.store.getRun(big)).data.tags.some((t) => t.key === MIGRATED_TO)).toBe(false);
      const plan = await planMigration(s.store, rules());
      expect(plan.moves.map((m) => m.action)).toEqual(['recopy_partial', 'copy']);

      // interrupted again after the second copy is complete but before its original is tagged
      await expect(
        migrate(s.store, rules(), {
          onEvent: (e) => {
            if (e.run_id === small && e.step === 'finished') throw new Error('interrupted');
          },
        }),
      ).rejects.toThrow('interrupted');
      expect((await planMigration(s.store, rules())).moves.map((m) => m.action)).toEqual([
        'already_migrated',
        'tag_original',
      ]);

      const done = await migrate(s.store, rules());
      expect(done).toMatchObject({ copied: 0, resumed: 1, skipped: 1 });
      copies = await activeCopies();
      expect(copies).toHaveLength(2);
      expect(copies.every((c) => !c.data.tags.some((t) => t.key === MIGRATION_PARTIAL_TAG))).toBe(true);
      for (const id of [big, small]) {
        const orig = await s.store.getRun(id);
        const copyId = orig.data.tags.find((t) => t.key === MIGRATED_TO)!.value;
        const copy = await s.store.getRun(copyId);
        expect(copy.info.experimentId).toBe((await s.store.getExperimentByName(target))!.experimentId);
        await expectExactCopy(orig, copy);
      }
      expect(
        (await history(copies.find((c) => c.data.tags.some((t) => t.value === big))!.info.runId, 'fold_mae'))
          .length,
      ).toBe(200);

      // a second migrate does nothing
      const again = await migrate(s.store, rules());
      expect(again).toMatchObject({ copied: 0, resumed: 0, skipped: 2 });
      expect(await activeCopies()).toHaveLength(2);
    });

    it('refuses bad rules files with the field at fault', () => {
      expect(() => parseRules('rules: []')).toThrow(/rules/);
      expect(() => parseRules('rules:\n  - match: {}\n    target: X\n')).toThrow(/match is empty/);
      expect(() => parseRules('rules:\n  - match: { name: x }\n    taget: X\n')).toThrow(/target/);
    });

    it('creates experiments from templates and draws the tree with run counts and best val_mae', async () => {
      const created = await createFromTemplate(s.store, 'phase1_features');
      expect(created).toMatchObject({ experiment: 'NBA_Props_Model/Phase1_Features', created: true });
      const again = await createFromTemplate(s.store, 'phase1_features');
      expect(again).toMatchObject({ created: false, tags_set: [] });
      const e = await s.store.getExperiment(created.experiment_id);
      expect(e.tags.find((t) => t.key === 'propflow.template')?.value).toBe('phase1_features');
      await makeFoldRun(s.store, created.experiment_id, { name: 'x', dates: ['2024-01-01'], maes: [4.25] });
      await makeFoldRun(s.store, created.experiment_id, { name: 'y', dates: ['2024-01-01'], maes: [4.5] });
      await expect(createFromTemplate(s.store, 'nope')).rejects.toThrow(/Templates: phase1_baseline/);

      const tree = await experimentTree(s.store);
      const root = tree.find((n) => n.name === 'NBA_Props_Model')!;
      expect(tree[0]!.name).toBe('NBA_Props_Model');
      const features = root.children.find((c) => c.name === 'Phase1_Features')!;
      expect(features).toMatchObject({ runs: 2, best_val_mae: 4.25, missing: false });
      expect(root.children.find((c) => c.name === 'Production')!.missing).toBe(true);
      const migrated = tree.find((n) => n.name === `NBA_Props_Model_${suffix}`)!;
      expect(migrated.children[0]).toMatchObject({ name: 'Phase1_Baseline', runs: 2 });
      const text = renderTree(tree, (x) => x.toFixed(4));
      expect(text).toMatch(/├── Phase1_Features\s+2\s+4\.2500/);
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    });
  });
}
