/** Helpers around the matrix for serving and betting: who plays an upcoming game, and the lines of each row. */
import { type ConsensusLines, type PlayerGames, type PropLines, seasonOfDay } from '../data/index.js';
import type { FeatureMatrix, GameKeys } from './builder.js';

/** A scheduled team-game: the facts known before tip-off. */
export interface ScheduledGame {
  gameId: string;
  /** Days since 1970-01-01. */
  date: number;
  team: string;
  opponent: string;
  home: boolean;
}

/**
 * The expected players of scheduled team-games, from history alone: everyone who played for the
 * team in its last `lookbackGames` games before the date and whose latest game was for that team
 * (so traded players follow their new team).
 */
export function upcomingFromSchedule(
  history: PlayerGames,
  schedule: readonly ScheduledGame[],
  options: { lookbackGames?: number } = {},
): GameKeys {
  const lookback = options.lookbackGames ?? 5;
  const out = {
    gameId: [] as string[],
    date: [] as number[],
    season: [] as number[],
    playerId: [] as number[],
    team: [] as string[],
    opponent: [] as string[],
    home: [] as number[],
  };
  // each player's latest game before a date: the same for every game of the date, so once per date
  const latestByDate = new Map<number, Map<number, { date: number; team: string }>>();
  const latestBefore = (day: number) => {
    let latest = latestByDate.get(day);
    if (latest) return latest;
    latest = new Map();
    for (let i = 0; i < history.n; i++) {
      if (history.date[i]! >= day) continue;
      const p = history.playerId[i]!;
      const cur = latest.get(p);
      if (!cur || history.date[i]! > cur.date)
        latest.set(p, { date: history.date[i]!, team: history.team[i]! });
    }
    latestByDate.set(day, latest);
    return latest;
  };
  for (const g of schedule) {
    // the team's games before the date, newest first
    const teamDates = new Set<number>();
    for (let i = 0; i < history.n; i++)
      if (history.team[i] === g.team && history.date[i]! < g.date) teamDates.add(history.date[i]!);
    const recent = [...teamDates].sort((a, b) => b - a).slice(0, lookback);
    const since = recent.length ? recent[recent.length - 1]! : Number.POSITIVE_INFINITY;
    const latest = latestBefore(g.date);
    const players = [...latest.entries()]
      .filter(([, v]) => v.team === g.team && v.date >= since)
      .map(([p]) => p)
      .sort((a, b) => a - b);
    for (const p of players) {
      out.gameId.push(g.gameId);
      out.date.push(g.date);
      out.season.push(seasonOfDay(g.date));
      out.playerId.push(p);
      out.team.push(g.team);
      out.opponent.push(g.opponent);
      out.home.push(g.home ? 1 : 0);
    }
  }
  return {
    n: out.gameId.length,
    gameId: out.gameId,
    date: Int32Array.from(out.date),
    season: Int16Array.from(out.season),
    playerId: Int32Array.from(out.playerId),
    team: out.team,
    opponent: out.opponent,
    home: Uint8Array.from(out.home),
  };
}

/**
 * The consensus line (a quoted line) and the best prices at it of each matrix row, and the
 * closing consensus line (NaN where the row has no line). Only the
 * row keys are read, so player games (`{ nRows: p.n, keys: p }`) join the same way.
 */
export function linesForRows(
  m: { nRows: number; keys: Pick<FeatureMatrix['keys'], 'gameId' | 'playerId'> },
  lines: ConsensusLines,
  market = 'PRA',
): {
  line: Float32Array;
  overOdds: Float32Array;
  underOdds: Float32Array;
  nBooks: Int32Array;
  /** The consensus of the books' closing lines (NaN where unknown). */
  closeLine: Float32Array;
} {
  const at = new Map<string, number>();
  for (let j = 0; j < lines.n; j++)
    if (lines.market[j] === market) at.set(`${lines.gameId[j]}|${lines.playerId[j]}`, j);
  const line = new Float32Array(m.nRows).fill(Number.NaN);
  const overOdds = new Float32Array(m.nRows).fill(Number.NaN);
  const underOdds = new Float32Array(m.nRows).fill(Number.NaN);
  const nBooks = new Int32Array(m.nRows);
  const closeLine = new Float32Array(m.nRows).fill(Number.NaN);
  for (let r = 0; r < m.nRows; r++) {
    const j = at.get(`${m.keys.gameId[r]}|${m.keys.playerId[r]}`);
    if (j === undefined) continue;
    line[r] = lines.line[j]!;
    overOdds[r] = lines.overOdds[j]!;
    underOdds[r] = lines.underOdds[j]!;
    nBooks[r] = lines.nBooks[j]!;
    closeLine[r] = lines.closeLine ? lines.closeLine[j]! : lines.line[j]!;
  }
  return { line, overOdds, underOdds, nBooks, closeLine };
}

/**
 * Every book's quote of each matrix row (opening line and prices, and the same book's closing
 * quote), compressed by row: row r's quotes are `[offset[r], offset[r + 1])`. The input of
 * `simulateQuoteBets` in `validation/`.
 */
export function quotesForRows(
  m: { nRows: number; keys: Pick<FeatureMatrix['keys'], 'gameId' | 'playerId'> },
  lines: PropLines,
  market = 'PRA',
): {
  offset: Int32Array;
  book: string[];
  line: Float32Array;
  overOdds: Float32Array;
  underOdds: Float32Array;
  closeLine: Float32Array;
  closeOverOdds: Float32Array;
  closeUnderOdds: Float32Array;
} {
  const at = new Map<string, number[]>();
  for (let j = 0; j < lines.n; j++) {
    if (lines.market[j] !== market) continue;
    const key = `${lines.gameId[j]}|${lines.playerId[j]}`;
    const list = at.get(key);
    if (list) list.push(j);
    else at.set(key, [j]);
  }
  const offset = new Int32Array(m.nRows + 1);
  const picks: number[] = [];
  for (let r = 0; r < m.nRows; r++) {
    const list = at.get(`${m.keys.gameId[r]}|${m.keys.playerId[r]}`);
    if (list) picks.push(...list);
    offset[r + 1] = picks.length;
  }
  const k = picks.length;
  const pick = (col: Float32Array | undefined, fallback?: Float32Array): Float32Array => {
    const out = new Float32Array(k);
    for (let i = 0; i < k; i++) out[i] = col ? col[picks[i]!]! : fallback ? fallback[picks[i]!]! : Number.NaN;
    return out;
  };
  return {
    offset,
    book: picks.map((j) => lines.book[j]!),
    line: pick(lines.line),
    overOdds: pick(lines.overOdds),
    underOdds: pick(lines.underOdds),
    // a dataset without closing quotes: the opening quote is the last one known
    closeLine: pick(lines.closeLine, lines.line),
    closeOverOdds: pick(lines.closeOverOdds, lines.overOdds),
    closeUnderOdds: pick(lines.closeUnderOdds, lines.underOdds),
  };
}
