/** Ingest files into a dataset, and open a dataset from a folder or a single file. */
import path from 'node:path';
import { readPlayerGames, readTeamGames } from './ingest.js';
import { consensusLines, readPropLines } from './lines.js';
import type { ColumnMapping } from './mapping.js';
import type { PlayerGames } from './schema.js';
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
    const { table } = readArrowTable(target, 'players');
    return { players: table as PlayerGames, source: path.resolve(target), reports: [] };
  }
  const opts: IngestOptions = { playerLogs: target };
  if (mapping) opts.mapping = mapping;
  return ingestFiles(opts);
}
