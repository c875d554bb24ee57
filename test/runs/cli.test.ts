/**
 * `propflow runs …` and `propflow experiments …` through the command line (in-process
 * `main`), on the embedded store and through a live `propflow server`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';
import { cli } from '../helpers/cli.js';
import { dateSeries, makeFoldRun } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pf-runs-cli-'));
const embeddedUri = `sqlite:///${path.join(dir, 'tracking.db')}`;
let server: Awaited<ReturnType<typeof startServer>>;
/** Run ids per store (the same three runs on each). */
const runIds: Record<'embedded' | 'server', string[]> = { embedded: [], server: [] };

async function seed(store: TrackingStore, into: string[]): Promise<void> {
  const legacy = await store.createExperiment('Phase1_Foundation');
  const dates = dateSeries('2024-01-01', 12);
  for (let r = 0; r < 3; r++) {
    const own = r === 1 ? dates.slice(2) : dates;
    into.push(
      await makeFoldRun(store, legacy, {
        name: r === 2 ? 'day4_test' : `20240101_p1_v3_advanced_wfdaily_v${r + 1}`,
        dates: own,
        maes: own.map((_, i) => 5 + 0.2 * Math.sin(i + r) - 0.05 * r),
        params: { learning_rate: String(0.05 * (r + 1)) },
      }),
    );
  }
}

beforeAll(async () => {
  const store = await openStore(embeddedUri);
  await seed(store, runIds.embedded);
  await store.close();
  server = await startServer({
    backendStoreUri: `sqlite:///${path.join(dir, 'server', 'tracking.db')}`,
    artifactsDestination: path.join(dir, 'server', 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  const rest = await openStore(server.url, { env: {} });
  await seed(rest, runIds.server);
  await rest.close();
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read-only commands create nothing', () => {
  it('refuses a missing store, naming it, and leaves no file behind', async () => {
    const missing = path.join(dir, 'nothing-here', 'tracking.db');
    for (const args of [
      ['runs', 'list'],
      ['runs', 'compare', 'a', 'b'],
      ['runs', 'lint'],
      ['experiments', 'tree'],
    ]) {
      const r = await cli(...args, '--tracking-uri', `sqlite:///${missing}`);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`store: sqlite:///${missing}`);
      expect(r.stderr).toContain(missing);
    }
    expect(existsSync(path.dirname(missing))).toBe(false);
  });
});

for (const kind of ['embedded', 'server'] as const) {
  describe(`propflow runs / experiments (${kind})`, () => {
    const at = () => ['--tracking-uri', kind === 'embedded' ? embeddedUri : server.url];
    let ids: string[] = [];
    beforeAll(() => {
      ids = runIds[kind];
    });

    it('lists runs (table, JSON, CSV) and shows one', async () => {
      const list = await cli('runs', 'list', '--filter', 'metrics.val_mae < 100', ...at());
      expect(list.code).toBe(0);
      expect(list.stderr).toMatch(/^store: /m);
      for (const l of list.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
      expect(list.stdout).toContain(ids[0]!.slice(0, 8));
      const json = JSON.parse(
        (await cli('runs', 'list', '--json', '--order-by', 'metrics.val_mae ASC', ...at())).stdout,
      );
      expect(json.store).toBeDefined();
      expect(json.runs).toHaveLength(3);
      const csv = (await cli('runs', 'list', '--csv', ...at())).stdout;
      expect(csv.split('\n')[0]).toContain('run_id');
      const show = await cli('runs', 'show', ids[1]!.slice(0, 8), ...at());
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('Folds: 10 fold_mae values, 2024-01-03 … 2024-01-12');
      expect(show.stdout).toContain('training_info.json');
    });

    it('compares in every format, with --only-diff, --baseline and a PNG chart', async () => {
      const chart = path.join(dir, `compare-${kind}.png`);
      const t = await cli('runs', 'compare', ...ids, '--chart', chart, ...at());
      expect(t.code).toBe(0);
      for (const l of t.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
      expect(t.stdout).toMatch(/Paired tests on fold_mae/);
      expect(t.stdout).toContain('2024-01-03');
      const png = readFileSync(chart);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeGreaterThan(800); // width in pixels
      const json = JSON.parse((await cli('runs', 'compare', ids[0]!, ids[1]!, '--json', ...at())).stdout);
      expect(json.pairs[0]).toMatchObject({ n: 10, a: ids[0], b: ids[1] });
      expect(json.pairs[0].wilcoxon.p_value).toBeGreaterThan(0);
      const csv = (await cli('runs', 'compare', ids[0]!, ids[1]!, '--format', 'csv', ...at())).stdout;
      expect(csv).toMatch(/^fold_mae,2024-01-01,[\d.]+,$/m);
      const md = (
        await cli('runs', 'compare', ids[0]!, ids[1]!, '--format', 'markdown', '--only-diff', ...at())
      ).stdout;
      expect(md).toContain('| learning_rate |');
      expect(md).not.toContain('| max_depth |');
      const base = JSON.parse(
        (await cli('runs', 'compare', ids[1]!, ids[2]!, '--baseline', ids[0]!, '--json', ...at())).stdout,
      );
      expect(base.baseline_run_id).toBe(ids[0]);
      expect(base.pairs.map((p: { b: string }) => p.b)).toEqual([ids[0], ids[0]]);
      const bad = await cli('runs', 'compare', ids[0]!, '--format', 'xml', ...at());
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--format 'xml' is not one of/);
    });

    it('lints names (exit 3 when a name breaks the rules)', async () => {
      const r = await cli('runs', 'lint', ...at());
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('day4_test');
      expect(r.stdout).toMatch(/1 of 3 runs break the naming rule:/);
    });
  });
}

describe('experiments create, tree and migrate (embedded and through the server)', () => {
  it('creates from a template, migrates by rules with a dry run first, and draws the tree', async () => {
    const cfg = path.join(dir, 'configs', 'phase1_baseline.yaml');
    const created = await cli(
      'experiments',
      'create',
      '--template',
      'phase1_baseline',
      '--config-out',
      cfg,
      '--tracking-uri',
      embeddedUri,
    );
    expect(created.code).toBe(0);
    expect(readFileSync(cfg, 'utf8')).toMatch(/^pipeline: walk-forward$/m);
    const again = await cli(
      'experiments',
      'create',
      '--template',
      'phase1_baseline',
      '--config-out',
      cfg,
      '--tracking-uri',
      embeddedUri,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; pass --force/);

    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      'rules:\n  - match: { experiment: Phase1_Foundation, name: day4_* }\n    target: NBA_Props_Model/Phase1_Baseline\n    rename: "{date}_p1_{tags.feature_set}_wfdaily_v{n}"\n',
    );
    const migrateCli = async (uri: string, ...extra: string[]) =>
      cli('experiments', 'migrate', '--rules', rules, ...extra, '--tracking-uri', uri);
    for (const uri of [embeddedUri, server.url]) {
      const dry = await migrateCli(uri, '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/dry run: 1 to migrate, nothing changed/);
      expect(JSON.parse((await migrateCli(uri, '--json')).stdout)).toMatchObject({
        dry_run: false,
        copied: 1,
      });
      expect(JSON.parse((await migrateCli(uri, '--json')).stdout)).toMatchObject({ copied: 0, skipped: 1 });
    }
    // the migrated original no longer counts in lint; its copy has a valid name
    expect((await cli('runs', 'lint', '--tracking-uri', embeddedUri)).code).toBe(0);

    const tree = await cli('experiments', 'tree', '--tracking-uri', server.url);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toMatch(/^NBA_Props_Model\s+1\s+[\d.]+$/m);
    const local = await cli('experiments', 'tree', '--tracking-uri', embeddedUri);
    expect(local.stdout).toMatch(/├── Phase1_Baseline\s+1\s+[\d.]+/);
    expect(tree.stdout).toMatch(/├── Phase1_Baseline\s+1\s+[\d.]+/);
    expect(tree.stdout).toMatch(/Production\s+\(not created\)/);
    expect(tree.stdout).toMatch(/^Phase1_Foundation\s+3\s+[\d.]+$/m);
  });
});
