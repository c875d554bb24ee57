/**
 * Leakage guard: for sample dates D, the features of D's games computed from the history
 * before D alone (the serving path) must equal the full build's values exactly.
 */
import { type ConsensusLines, filterRows, type PlayerGames } from '../data/index.js';
import { buildFeatures, buildFeaturesForUpcoming, type FeatureMatrix, type GameKeys } from './builder.js';
import type { FeatureSet } from './definitions.js';

export interface LeakageMismatch {
  date: number;
  gameId: string;
  playerId: number;
  feature: string;
  full: number;
  fromHistory: number;
}

export interface LeakageReport {
  dates: number[];
  rowsChecked: number;
  valuesChecked: number;
  mismatches: LeakageMismatch[];
}

/** The schedule facts of some rows, without their box scores. */
export function gameKeysOf(players: PlayerGames, rows: ArrayLike<number>): GameKeys {
  const n = rows.length;
  const k: GameKeys = {
    n,
    gameId: new Array<string>(n),
    date: new Int32Array(n),
    season: new Int16Array(n),
    playerId: new Int32Array(n),
    team: new Array<string>(n),
    opponent: new Array<string>(n),
    home: new Uint8Array(n),
  };
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    k.gameId[r] = players.gameId[i]!;
    k.date[r] = players.date[i]!;
    k.season[r] = players.season[i]!;
    k.playerId[r] = players.playerId[i]!;
    k.team[r] = players.team[i]!;
    k.opponent[r] = players.opponent[i]!;
    k.home[r] = players.home[i]!;
  }
  return k;
}

/** `k` distinct game dates of a table, spread evenly (deterministic). */
export function sampleDates(players: PlayerGames, k: number): number[] {
  const dates = [...new Set(players.date)].sort((a, b) => a - b);
  if (dates.length <= k) return dates;
  const out: number[] = [];
  for (let q = 0; q < k; q++) out.push(dates[Math.floor(((q + 0.5) * dates.length) / k)]!);
  return out;
}

function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Compare, for each date D, the full build with the build from history before D only. */
export function checkNoLeakage(
  players: PlayerGames,
  set: FeatureSet,
  dates: readonly number[],
  full?: FeatureMatrix,
  options: { lines?: ConsensusLines } = {},
): LeakageReport {
  const lineOpt = options.lines ? { lines: options.lines } : {};
  full ??= buildFeatures(players, set, lineOpt);
  const report: LeakageReport = { dates: [...dates], rowsChecked: 0, valuesChecked: 0, mismatches: [] };
  const fullRow = new Map<string, number>();
  for (let r = 0; r < full.nRows; r++) fullRow.set(`${full.keys.gameId[r]}|${full.keys.playerId[r]}`, r);
  for (const day of dates) {
    const history = filterRows('players', players, (i) => players.date[i]! < day);
    const rows: number[] = [];
    for (let i = 0; i < players.n; i++) if (players.date[i] === day) rows.push(i);
    // the day's lines are its opening quotes, posted before tip-off: the serving path has them too
    const m = buildFeaturesForUpcoming(history, gameKeysOf(players, rows), set, lineOpt);
    for (let r = 0; r < m.nRows; r++) {
      const fr = fullRow.get(`${m.keys.gameId[r]}|${m.keys.playerId[r]}`);
      if (fr === undefined) continue;
      report.rowsChecked++;
      for (let c = 0; c < m.nCols; c++) {
        const a = full.values[c * full.nRows + fr]!;
        const b = m.values[c * m.nRows + r]!;
        report.valuesChecked++;
        if (!same(a, b)) {
          report.mismatches.push({
            date: day,
            gameId: m.keys.gameId[r]!,
            playerId: m.keys.playerId[r]!,
            feature: m.names[c]!,
            full: a,
            fromHistory: b,
          });
        }
      }
    }
  }
  return report;
}
