/** Ingest files into a dataset, and open a dataset from a folder or a single file. */
import path from 'node:path';
import { DataError } from '../errors.js';
import { deriveTeamGames } from './derive.js';
import { readPlayerGames, readTeamGames } from './ingest.js';
import { consensusLines, readPropLines } from './lines.js';
import type { ColumnMapping } from './mapping.js';
import type { PlayerGames, TeamGames } from './schema.js';
import { type Dataset, isDirectory, readArrowTable, readDataset } from './storage.js';

export interface IngestOptions {
  /** Player game logs (CSV, plain or gzip): required. */
  playerLogs: string;
  /** Team game logs (CSV, plain or gzip). */
  teamLogs?: string;
  /** Prop lines (CSV, plain or gzip). */
  lines?: string;
  /** Column mapping for layouts other than nba_api's. */
  mapping?: ColumnMapping;
}

/** Read and check the files of a dataset into memory (nothing is written). */
export function ingestFiles(options: IngestOptions): Dataset {
  const p = readPlayerGames(options.playerLogs, options.mapping);
  const ds: Dataset = { players: p.table, source: path.resolve(options.playerLogs), reports: [p.report] };
  const sources = [path.resolve(options.playerLogs)];
  if (options.teamLogs) {
    const t = readTeamGames(options.teamLogs, options.mapping);
    ds.teams = t.table;
    t.report.checks = compareTeamTotals(p.table, t.table);
    ds.reports.push(t.report);
    sources.push(path.resolve(options.teamLogs));
  }
  if (options.lines) {
    const l = readPropLines(options.lines, options.mapping);
    ds.lines = l.table;
    ds.consensus = consensusLines(l.table);
    ds.reports.push(l.report);
    sources.push(path.resolve(options.lines));
  }
  ds.source = sources.join(',');
  return ds;
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
