/** Tables derived from others. */
import { OPTIONAL_STATS, type PlayerGames, type TeamGames } from './schema.js';

/**
 * Team games as the sums of the team's player games (box-score counts and minutes). On the
 * real logs this reproduces the team logs exactly for every regular-season game.
 */
export function deriveTeamGames(p: PlayerGames): TeamGames {
  const key = new Map<string, number>();
  const rowTg = new Int32Array(p.n);
  const first: number[] = [];
  for (let i = 0; i < p.n; i++) {
    const k = `${p.gameId[i]}|${p.team[i]}`;
    let g = key.get(k);
    if (g === undefined) {
      g = first.length;
      key.set(k, g);
      first.push(i);
    }
    rowTg[i] = g;
  }
  const m = first.length;
  const sum = (c: Float32Array): Float32Array => {
    const acc = new Float64Array(m);
    for (let i = 0; i < p.n; i++) acc[rowTg[i]!]! += c[i]!;
    return Float32Array.from(acc);
  };
  const t: TeamGames = {
    n: m,
    gameId: first.map((i) => p.gameId[i]!),
    date: Int32Array.from(first, (i) => p.date[i]!),
    season: Int16Array.from(first, (i) => p.season[i]!),
    team: first.map((i) => p.team[i]!),
    opponent: first.map((i) => p.opponent[i]!),
    home: Uint8Array.from(first, (i) => p.home[i]!),
    minutes: sum(p.minutes),
    pts: sum(p.pts),
    reb: sum(p.reb),
    ast: sum(p.ast),
  };
  for (const s of OPTIONAL_STATS) {
    const c = p[s];
    if (!c) continue;
    const total = sum(c);
    // the players' plus-minus adds up to five times the team's margin
    if (s === 'plusMinus') for (let g = 0; g < m; g++) total[g] = total[g]! / 5;
    t[s] = total;
  }
  return t;
}
