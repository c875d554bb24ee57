/** Ingest files into a dataset, and open a dataset from a folder or a single file. */
import path from 'node:path';
import { DataError } from '../errors.js';
import { combineTables, expandInputs, type TablePart } from './combine.js';
import { deriveTeamGames } from './derive.js';
import { type IngestReport, readPlayerGames, readTeamGames } from './ingest.js';
import { consensusLines, readPropLines } from './lines.js';
import type { ColumnMapping } from './mapping.js';
import type { AnyTable, PlayerGames, PropLines, TeamGames } from './schema.js';
import {
  type Dataset,
  type DatasetManifest,
  isDirectory,
  readArrowTable,
  readDataset,
  writeDataset,
} from './storage.js';

export interface IngestOptions {
  /** Player game logs (CSV, plain or gzip): required. One file, several, or folders of them. */
  playerLogs: string | readonly string[];
  /** Team game logs (CSV, plain or gzip): files or folders. */
  teamLogs?: string | readonly string[];
  /** Prop lines (CSV, plain or gzip): files or folders. */
  lines?: string | readonly string[];
  /** Column mapping for layouts other than nba_api's. */
  mapping?: ColumnMapping;
}

/** Read each file of a table (each checked as usual) and combine them, checking duplicates across files. */
function readAll<T extends AnyTable>(
  kind: 'players' | 'teams' | 'lines',
  inputs: string | readonly string[],
  read: (file: string) => { table: T; report: IngestReport },
  existing?: TablePart<T>,
): { table: T; reports: IngestReport[]; files: string[] } {
  const files = expandInputs(inputs, `the ${kind} table`);
  const parts: TablePart<T>[] = existing ? [existing] : [];
  const reports: IngestReport[] = [];
  for (const f of files) {
    const r = read(f);
    parts.push({ source: f, table: r.table });
    reports.push(r.report);
  }
  return { table: combineTables(kind, parts), reports, files: files.map((f) => path.resolve(f)) };
}

/**
 * Read and check the files of a dataset into memory (nothing is written). Each table may come
 * from several files or folders; with `base`, the files are appended to that dataset's tables
 * (a season added to an existing dataset), duplicates checked across everything.
 */
export function ingestFiles(options: IngestOptions, base?: { dataset: Dataset; dir: string }): Dataset {
  const from = (t: AnyTable | undefined) =>
    base && t ? { source: `dataset ${base.dir}`, table: t } : undefined;
  const m = options.mapping;
  const p = readAll(
    'players',
    options.playerLogs,
    (f) => readPlayerGames(f, m),
    from(base?.dataset.players) as never,
  );
  const sources = [...(base ? [base.dataset.source] : []), ...p.files];
  const ds: Dataset = {
    players: p.table as PlayerGames,
    source: '',
    reports: [...(base?.dataset.reports ?? []), ...p.reports],
  };
  let teams = base?.dataset.teams;
  if (options.teamLogs) {
    const t = readAll('teams', options.teamLogs, (f) => readTeamGames(f, m), from(teams) as never);
    teams = t.table as TeamGames;
    ds.reports.push(...t.reports);
    sources.push(...t.files);
  }
  if (teams) {
    ds.teams = teams;
    const last = [...ds.reports].reverse().find((r) => r.table === 'teams');
    if (last) last.checks = compareTeamTotals(ds.players, teams);
  }
  let lines = base?.dataset.lines;
  if (options.lines) {
    const l = readAll('lines', options.lines, (f) => readPropLines(f, m), from(lines) as never);
    lines = l.table as PropLines;
    ds.reports.push(...l.reports);
    sources.push(...l.files);
  }
  if (lines) {
    ds.lines = lines;
    ds.consensus = consensusLines(lines);
  }
  ds.source = sources.join(',');
  return ds;
}

/**
 * Append files (e.g. a new season) to the dataset folder `dir`: its tables plus the new files,
 * duplicates checked across all of them, the consensus recomputed, written as a new version
 * (to `out`, default `dir` itself, replaced atomically).
 */
export function appendToDataset(dir: string, options: IngestOptions, out = dir): DatasetManifest {
  const dataset = readDataset(dir);
  const ds = ingestFiles(options, { dataset, dir });
  return writeDataset(out, ds, { force: path.resolve(out) === path.resolve(dir) });
}

/**
 * Open data for reading: a dataset folder, an Arrow file of player games, or a player-logs CSV
 * (plain or gzip, read through `mapping`).
 */
export function openDataset(target: string, mapping?: ColumnMapping): Dataset {
  if (isDirectory(target)) return readDataset(target);
  if (/\.(arrow|feather|ipc)$/i.test(target)) {
    const { kind, table } = readArrowTable(target);
    if (kind !== 'players') {
      throw new DataError(
        `${target}: holds the ${kind} table, not player games. Fix: pass players.arrow or the dataset folder.`,
      );
    }
    return { players: table as PlayerGames, source: path.resolve(target), reports: [] };
  }
  const opts: IngestOptions = { playerLogs: target };
  if (mapping) opts.mapping = mapping;
  return ingestFiles(opts);
}

/**
 * Team-games of the player logs checked against the team logs: how many match on points,
 * rebounds, assists and minutes, how many differ, and how many team-games are in one file only.
 */
export function compareTeamTotals(players: PlayerGames, teams: TeamGames): Record<string, number> {
  const derived = deriveTeamGames(players);
  const at = new Map<string, number>();
  for (let i = 0; i < teams.n; i++) at.set(`${teams.gameId[i]}|${teams.team[i]}`, i);
  let matched = 0;
  let differ = 0;
  let missing = 0;
  for (let g = 0; g < derived.n; g++) {
    const i = at.get(`${derived.gameId[g]}|${derived.team[g]}`);
    if (i === undefined) {
      missing++;
      continue;
    }
    const same =
      derived.pts[g] === teams.pts[i] &&
      derived.reb[g] === teams.reb[i] &&
      derived.ast[g] === teams.ast[i] &&
      Math.abs(derived.minutes[g]! - teams.minutes[i]!) < 1.5;
    if (same) matched++;
    else differ++;
  }
  return {
    team_games_matching_player_sums: matched,
    team_games_differing_from_player_sums: differ,
    player_team_games_missing_from_team_logs: missing,
    team_log_games_without_player_rows: teams.n - matched - differ,
  };
}
