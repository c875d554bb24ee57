/**
 * The history the service computes features from: an ingested dataset folder, with an index of
 * the players and teams it knows. Immutable once loaded; a newer folder is loaded beside it.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  type ConsensusLines,
  type DatasetVersion,
  formatDay,
  type PlayerGames,
  readDataset,
  versionOf,
} from '../data/index.js';
import { NotFoundError } from '../errors.js';

export interface PlayerInfo {
  name: string;
  /** Team of the player's latest game. */
  team: string;
  lastDay: number;
  games: number;
}

export interface ServingData {
  readonly dir: string;
  readonly version: DatasetVersion;
  readonly players: PlayerGames;
  readonly consensus: ConsensusLines | null;
  /** Last game day in the history (days since 1970-01-01); requests must be after it. */
  readonly historyEnd: number;
  readonly playerIndex: ReadonlyMap<number, PlayerInfo>;
  readonly teams: ReadonlySet<string>;
  /** `dataset.json`'s modification time when it was read: a newer one means new games. */
  readonly stamp: number;
}

/** When `dataset.json` in `dir` was last written (0 when it is missing). */
export function datasetStamp(dir: string): number {
  try {
    return statSync(path.join(dir, 'dataset.json')).mtimeMs;
  } catch {
    return 0;
  }
}

/** Read a dataset folder for serving. */
export function loadServingData(dir: string): ServingData {
  const abs = path.resolve(dir);
  const stamp = datasetStamp(abs);
  if (stamp === 0) {
    throw new NotFoundError(
      `${abs}: not a propflow dataset (no dataset.json). Point --data at a folder written by \`propflow data ingest\` or \`propflow data synth\`.`,
    );
  }
  const ds = readDataset(abs);
  const p = ds.players;
  const playerIndex = new Map<number, PlayerInfo>();
  const teams = new Set<string>();
  let historyEnd = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < p.n; i++) {
    const id = p.playerId[i]!;
    const day = p.date[i]!;
    teams.add(p.team[i]!);
    if (day > historyEnd) historyEnd = day;
    const cur = playerIndex.get(id);
    if (!cur) playerIndex.set(id, { name: p.playerName[i]!, team: p.team[i]!, lastDay: day, games: 1 });
    else {
      cur.games++;
      if (day >= cur.lastDay) {
        cur.lastDay = day;
        cur.team = p.team[i]!;
        cur.name = p.playerName[i]!;
      }
    }
  }
  if (p.n === 0) throw new NotFoundError(`${abs}: the dataset has no player games to compute features from.`);
  return Object.freeze({
    dir: abs,
    version: versionOf(ds),
    players: p,
    consensus: ds.consensus ?? null,
    historyEnd,
    playerIndex,
    teams,
    stamp,
  });
}

/** A request that works against this history: the busiest player of the latest day, the day after. */
export function exampleGame(data: ServingData): {
  player_id: number;
  game_date: string;
  team: string;
  opponent: string;
  home: boolean;
  line: number;
} {
  let best: [number, PlayerInfo] | null = null;
  for (const entry of data.playerIndex) {
    if (entry[1].lastDay !== data.historyEnd) continue;
    if (!best || entry[1].games > best[1].games) best = entry;
  }
  const [id, info] = best ?? [...data.playerIndex][0]!;
  const opponent = [...data.teams].sort().find((t) => t !== info.team) ?? info.team;
  // a round line near the player's recent PRA
  let sum = 0;
  let k = 0;
  for (let i = data.players.n - 1; i >= 0 && k < 10; i--) {
    if (data.players.playerId[i] === id) {
      sum += data.players.pra[i]!;
      k++;
    }
  }
  const line = k > 0 ? Math.round(sum / k) + 0.5 : 20.5;
  return {
    player_id: id,
    game_date: formatDay(data.historyEnd + 1),
    team: info.team,
    opponent,
    home: true,
    line,
  };
}
