/**
 * `propflow runs …`: list, show, compare, lint and reproduce runs on any tracking store.
 * Every command but `reproduce` only reads: it opens the store read-only (creates nothing).
 */
import type { Command } from 'commander';
import { type StoreFlags, TRACKING_URI_HELP } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function output() {
  return import('../output.js');
}

async function runsModule() {
  return import('../../runs/index.js');
}

function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number from 1, got '${v}'`);
    return n;
  };
}

function defineList(runs: Command): void {
  runs
    .command('list')
    .description('list runs (newest first) across experiments, with MLflow filters and ordering')
    .option('--experiment <name>', 'experiment name or id (repeatable; default: all)', collect)
    .option('--filter <expr>', `MLflow filter, e.g. "metrics.val_mae < 6 and tags.phase = 'p1'"`)
    .option('--order-by <clause>', 'e.g. "metrics.val_mae ASC" (repeatable)', collect)
    .option('--max <n>', 'at most this many runs', positiveInt('--max'), 100)
    .option('--csv', 'print CSV')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(
      async (
        flags: StoreFlags & {
          experiment?: string[];
          filter?: string;
          orderBy?: string[];
          max: number;
          csv?: boolean;
        },
      ) => {
        const o = await output();
        const { listRuns } = await runsModule();
        await o.withStore(flags, { readOnly: true }, async (store, uri) => {
          const rows = await listRuns(store, {
            ...(flags.experiment ? { experiments: flags.experiment } : {}),
            ...(flags.filter ? { filter: flags.filter } : {}),
            ...(flags.orderBy ? { orderBy: flags.orderBy } : {}),
            max: flags.max,
          });
          if (flags.json) return o.printJson({ runs: rows }, { store: uri });
          if (flags.csv) {
            const { stringify } = await import('csv-stringify/sync');
            process.stdout.write(stringify(rows, { header: true }));
            return;
          }
          if (rows.length === 0) {
            o.out('No runs match. Drop --filter or --experiment, or log a run (propflow demo).');
            return;
          }
          o.out(
            o.renderTable(
              ['run', 'id', 'experiment', 'status', 'started', 'val_mae'],
              rows.map((r) => [
                r.run_name,
                r.run_id.slice(0, 8),
                r.experiment_name,
                r.status,
                r.start_time.slice(0, 16).replace('T', ' '),
                r.val_mae,
              ]),
            ),
          );
          o.out(
            `${rows.length} run${rows.length === 1 ? '' : 's'}${rows.length === flags.max ? ` (--max ${flags.max})` : ''}`,
          );
        });
      },
    );
}

function defineShow(runs: Command): void {
  runs
    .command('show <run>')
    .description('one run (id or name): params, metrics, tags, datasets, artifacts and its fold summary')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(async (ref: string, flags: StoreFlags) => {
      const o = await output();
      const { showRun } = await runsModule();
      await o.withStore(flags, { readOnly: true }, async (store, uri) => {
        const d = await showRun(store, ref);
        if (flags.json) return o.printJson(d, { store: uri });
        o.out(`${d.run_name} (${d.run_id})`);
        o.out(`experiment ${d.experiment_name} (${d.experiment_id}), ${d.status}, started ${d.start_time}`);
        o.out(`artifacts ${d.artifact_uri}`);
        const kv = (title: string, m: Record<string, string | number>) => {
          const entries = Object.entries(m);
          if (entries.length === 0) return;
          o.out(`\n${title}`);
          o.out(o.renderTable(['key', 'value'], entries));
        };
        kv('Params', d.params);
        kv('Metrics', d.metrics);
        kv('Tags', Object.fromEntries(Object.entries(d.tags).filter(([k]) => !/^fold_\d+_date$/.test(k))));
        if (d.datasets.length > 0) {
          o.out('\nDatasets');
          o.out(
            o.renderTable(
              ['name', 'digest', 'source', 'context'],
              d.datasets.map((x) => [x.name, x.digest, x.source, x.context]),
            ),
          );
        }
        if (d.artifacts.length > 0) {
          o.out('\nArtifacts');
          o.out(
            o.renderTable(
              ['path', 'size'],
              d.artifacts.map((a) => [a.is_dir ? `${a.path}/` : a.path, a.size]),
            ),
          );
        }
        if (d.folds) {
          const f = d.folds;
          o.out(
            `\nFolds: ${f.n} ${f.metric} values${f.first_date ? `, ${f.first_date} … ${f.last_date}` : ''}; mean ${o.formatNumber(f.mean ?? Number.NaN)}, best ${o.formatNumber(f.min!.value)}${f.min!.date ? ` (${f.min!.date})` : ''}, worst ${o.formatNumber(f.max!.value)}${f.max!.date ? ` (${f.max!.date})` : ''}`,
          );
        }
      });
    });
}

interface CompareFlags extends StoreFlags {
  baseline?: string;
  onlyDiff?: boolean;
  format: string;
  chart?: string;
  foldMetric: string;
}

function defineCompare(runs: Command): void {
  runs
    .command('compare <runs...>')
    .description(
      'compare runs (ids or names): params and metrics side by side, fold scores matched by date, paired tests',
    )
    .option('--baseline <run>', 'compare every other run against this one (deltas and paired tests)')
    .option('--only-diff', 'show only params, metrics and tags that differ')
    .option('--format <format>', 'table, csv, json or markdown', 'table')
    .option('--chart <file.png>', 'also write a PNG chart of the fold metric by date, one line per run')
    .option('--fold-metric <key>', 'per-fold metric (logged at step = fold index)', 'fold_mae')
    .option('--json', 'print JSON (same as --format json)')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(async (refs: string[], flags: CompareFlags) => {
      const o = await output();
      const r = await runsModule();
      const { InvalidParameterError } = await import('../../errors.js');
      const format = flags.json ? 'json' : flags.format;
      if (!['table', 'csv', 'json', 'markdown'].includes(format)) {
        throw new InvalidParameterError(
          `--format '${flags.format}' is not one of table, csv, json, markdown.`,
        );
      }
      if (flags.chart !== undefined && !/\.png$/i.test(flags.chart)) {
        throw new InvalidParameterError(`--chart '${flags.chart}' must name a .png file.`);
      }
      await o.withStore(flags, { readOnly: true }, async (store, uri) => {
        const c = await r.compareRuns(store, refs, {
          ...(flags.baseline ? { baseline: flags.baseline } : {}),
          onlyDiff: Boolean(flags.onlyDiff),
          foldMetric: flags.foldMetric,
        });
        if (flags.chart !== undefined) await writeChart(flags.chart, r.foldChartSpec(c));
        if (format === 'json') return o.printJson(c, { store: uri });
        process.stdout.write(
          `${r.formatComparison(c, format as 'table' | 'csv' | 'markdown').replace(/\n$/, '')}\n`,
        );
        if (flags.chart !== undefined) process.stderr.write(`chart: ${flags.chart}\n`);
      });
    });
}

async function writeChart(file: string, spec: import('../../charts/index.js').ChartSpec): Promise<void> {
  const { existsSync } = await import('node:fs');
  const { writeFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) {
    const { InvalidParameterError } = await import('../../errors.js');
    throw new InvalidParameterError(
      `--chart ${file}: folder ${dir} does not exist; create it or choose another path.`,
    );
  }
  const { renderPng } = await import('../../charts/index.js');
  await writeFile(file, await renderPng(spec));
}

function defineLint(runs: Command): void {
  runs
    .command('lint')
    .description(
      'list runs whose names break the rules YYYYMMDD_pN_<feature_set>_<validation>_vN (exit 3 if any)',
    )
    .option('--experiment <name>', 'experiment name or id (repeatable; default: all)', collect)
    .option('--include-migrated', 'also check originals already migrated into the hierarchy')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(async (flags: StoreFlags & { experiment?: string[]; includeMigrated?: boolean }) => {
      const o = await output();
      const { lintRunNames, RUN_NAME_RULE } = await runsModule();
      await o.withStore(flags, { readOnly: true }, async (store, uri) => {
        const report = await lintRunNames(store, {
          ...(flags.experiment ? { experiments: flags.experiment } : {}),
          includeMigrated: Boolean(flags.includeMigrated),
        });
        if (flags.json) o.printJson(report, { store: uri });
        else if (report.problems.length === 0) o.out(`All ${report.checked} run names follow the rules.`);
        else {
          o.out(
            o.renderTable(
              ['run', 'id', 'experiment', 'problem'],
              report.problems.map((p) => [p.run_name, p.run_id.slice(0, 8), p.experiment_name, p.problem]),
            ),
          );
          o.out(
            `${report.problems.length} of ${report.checked} runs break the naming rule:\n  ${RUN_NAME_RULE}`,
          );
          o.out("Rename them with 'propflow experiments migrate --rules rules.yaml' (a rule's rename:).");
        }
        if (report.problems.length > 0) o.checkFailed();
      });
    });
}

function defineReproduce(runs: Command): void {
  runs
    .command('reproduce <run>')
    .description(
      'rerun a run from its logged config, data and features; a new run tagged reproduces=<run>; every metric difference (exit 3 unless all zero)',
    )
    .option(
      '--data <dir>',
      'dataset folder to read (default: the folder the run read, or its synthetic league)',
    )
    .option('--allow-data-change', "rerun even when the data's hash differs from the run's")
    .option('--all', 'list every metric, not only those that differ')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(
      async (
        ref: string,
        flags: StoreFlags & { data?: string; allowDataChange?: boolean; all?: boolean },
      ) => {
        const o = await output();
        const { reproduceRun } = await runsModule();
        await o.withStore(flags, { readOnly: false }, async (store, uri) => {
          const report = await reproduceRun(store, ref, {
            trackingUri: uri,
            ...(flags.data ? { dataDir: flags.data } : {}),
            allowDataChange: Boolean(flags.allowDataChange),
            out: (line) => process.stderr.write(`${line}\n`),
          });
          if (flags.json) o.printJson(report, { store: uri });
          else {
            o.out(
              `reproduced ${report.run_name} (${report.run_id}) as ${report.reproduction_run_name} (${report.reproduction_run_id})`,
            );
            o.out(
              `data ${report.data.current_hash.slice(0, 16)}… ${report.data.matches ? 'same as the run' : `differs from the run's ${report.data.logged_hash.slice(0, 16)}…`}; features ${report.features.feature_set} ${report.features.version} (${report.features.n_features})`,
            );
            const shown = report.metrics.filter((m) => !m.timing && (flags.all || m.difference !== 0));
            if (shown.length > 0) {
              o.out(
                o.renderTable(
                  ['metric', 'original', 'reproduced', 'difference'],
                  shown.map((m) => [m.key, m.original, m.reproduced, m.difference]),
                ),
              );
            }
            const compared = report.metrics.filter((m) => !m.timing).length;
            const steps = report.fold_histories.reduce((n, f) => n + f.steps, 0);
            const folds = `${report.fold_histories.length} fold histories, ${steps} steps`;
            o.out(
              report.identical
                ? `identical: all ${compared} metrics and every fold step (${folds}) differ by 0 (timings left out).`
                : `NOT identical: largest difference ${o.formatNumber(report.max_abs_difference)} over ${compared} metrics and the fold histories (${folds}).`,
            );
          }
          if (!report.identical) o.checkFailed();
        });
      },
    );
}

/** `propflow runs …`. */
export function define(program: Command): void {
  const runs = program.command('runs').description('list, show, compare, lint and reproduce runs');
  defineList(runs);
  defineShow(runs);
  defineCompare(runs);
  defineLint(runs);
  defineReproduce(runs);
}
