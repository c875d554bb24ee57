import type { Command } from 'commander';
import { intArg } from '../args.js';

function line(s = ''): void {
  process.stdout.write(`${s}\n`);
}

/** `propflow data …`: ingest, describe and synthesize datasets. */
export function define(program: Command): void {
  const data = program
    .command('data')
    .description(
      'datasets: ingest NBA game logs and prop lines, describe a dataset, make a synthetic league',
    );
  ingestCommand(data);
  describeCommand(data);
  synthCommand(data);
}

function ingestCommand(data: Command): void {
  data
    .command('ingest')
    .description(
      'check and store player game logs (+ team logs, prop lines) as a versioned Arrow dataset; ' +
        'several files or folders per table, or --append-to add a season to an existing dataset',
    )
    .argument(
      '<player-logs...>',
      'player game logs CSV files or folders of them (nba_api leaguegamefinder / PlayerGameLogs), plain or .gz',
    )
    .option('--team-logs <files...>', 'team game logs CSV files or folders, plain or .gz')
    .option('--lines <files...>', 'prop lines CSV files or folders (odds file layout), plain or .gz')
    .option('--mapping <file>', 'JSON column mapping for other layouts (see README "Data and features")')
    .option('--out <dir>', 'dataset folder to create (written whole or not at all)')
    .option(
      '--append-to <dir>',
      'existing dataset folder to add the files to (duplicates checked across all files); written back in place unless --out is given',
    )
    .option('--force', 'replace the --out folder if it exists')
    .option('--json', 'print the dataset version and ingest reports as JSON')
    .action(
      async (
        playerLogs: string[],
        opts: {
          teamLogs?: string[];
          lines?: string[];
          mapping?: string;
          out?: string;
          appendTo?: string;
          force?: boolean;
          json?: boolean;
        },
      ) => {
        const { appendToDataset, ingestFiles, readMappingFile, writeDataset } = await import(
          '../../data/index.js'
        );
        if (!opts.out && !opts.appendTo) {
          const { InvalidParameterError } = await import('../../errors.js');
          throw new InvalidParameterError(
            'say where the dataset goes: --out <dir> for a new dataset, or --append-to <dir> to add to one.',
          );
        }
        const mapping = opts.mapping ? readMappingFile(opts.mapping) : undefined;
        const input = {
          playerLogs,
          ...(opts.teamLogs ? { teamLogs: opts.teamLogs } : {}),
          ...(opts.lines ? { lines: opts.lines } : {}),
          ...(mapping ? { mapping } : {}),
        };
        const out = opts.out ?? opts.appendTo!;
        const manifest = opts.appendTo
          ? appendToDataset(opts.appendTo, input, out)
          : writeDataset(out, ingestFiles(input), { force: opts.force === true });
        if (opts.json) {
          const { printJson } = await import('../output.js');
          printJson({ out, ...manifest.version, reports: manifest.reports });
          return;
        }
        reportLines(manifest.reports);
        describeLines(manifest.version);
        line(`written: ${out}`);
      },
    );
}

function describeCommand(data: Command): void {
  data
    .command('describe')
    .description('version and profile of a dataset folder, an Arrow file or a player-logs CSV')
    .argument('<target>', 'dataset folder, .arrow file, or player game logs CSV (plain or .gz)')
    .option('--mapping <file>', 'JSON column mapping (for a CSV in another layout)')
    .option('--json', 'print JSON (hash, n_samples, n_players, seasons, date_min, date_max, …)')
    .action(async (target: string, opts: { mapping?: string; json?: boolean }) => {
      const { openDataset, readMappingFile, versionOf } = await import('../../data/index.js');
      const mapping = opts.mapping ? readMappingFile(opts.mapping) : undefined;
      const ds = openDataset(target, mapping);
      const version = versionOf(ds);
      if (opts.json) {
        const { printJson } = await import('../output.js');
        printJson(version);
        return;
      }
      describeLines(version);
    });
}

function synthCommand(data: Command): void {
  data
    .command('synth')
    .description('generate a seeded synthetic league (players, team games, market lines) as a dataset')
    .requiredOption('--seed <n>', 'random seed', intArg('--seed', 0, 4294967295))
    .requiredOption('--seasons <n>', 'number of seasons', intArg('--seasons', 1, 30))
    .requiredOption('--out <dir>', 'dataset folder to create')
    .option('--force', 'replace the --out folder if it exists')
    .option('--json', 'print the dataset version as JSON')
    .action(async (opts: { seed: number; seasons: number; out: string; force?: boolean; json?: boolean }) => {
      const { synthesizeLeague, writeDataset } = await import('../../data/index.js');
      const ds = synthesizeLeague({ seed: opts.seed, seasons: opts.seasons });
      const manifest = writeDataset(opts.out, ds, { force: opts.force === true });
      if (opts.json) {
        const { printJson } = await import('../output.js');
        printJson({ out: opts.out, ...manifest.version });
        return;
      }
      describeLines(manifest.version);
      line(`written: ${opts.out}`);
    });
}

function reportLines(reports: readonly import('../../data/index.js').IngestReport[]): void {
  for (const r of reports) {
    line(`${r.table}: ${r.file}`);
    line(`  ${r.rowsKept} of ${r.rowsRead} rows kept`);
    for (const [why, k] of Object.entries(r.excluded)) line(`  left out ${k}: ${why}`);
    if (r.ignoredColumns.length) line(`  columns not used: ${r.ignoredColumns.join(', ')}`);
    for (const [check, k] of Object.entries(r.checks ?? {})) line(`  ${check.replaceAll('_', ' ')}: ${k}`);
  }
}

function describeLines(v: import('../../data/index.js').DatasetVersion): void {
  line(`hash        ${v.hash} (${v.hash_algorithm})`);
  line(
    `samples     ${v.n_samples} player-games, ${v.n_players} players, ${v.n_games} games, ${v.n_teams} teams`,
  );
  line(`seasons     ${v.seasons.join(', ')}`);
  line(`dates       ${v.date_min} … ${v.date_max}`);
  const nulls = Object.entries(v.null_counts).filter(([, k]) => k > 0);
  line(`nulls       ${nulls.length ? nulls.map(([c, k]) => `${c}=${k}`).join(', ') : 'none'}`);
  line(`columns     ${v.columns.map((c) => c.name).join(', ')}`);
  for (const [name, t] of Object.entries(v.tables))
    line(`table       ${name}: ${t.rows} rows, ${t.hash.slice(0, 16)}…`);
  line(`source      ${v.source}`);
}
