/**
 * Summary statistics of a league's player games (and lines): what the synthetic league is
 * compared against the real data with.
 */
import type { ConsensusLines, PlayerGames } from './schema.js';

export const MINUTES_BUCKETS = [0, 10, 20, 30, 40] as const;

export interface BucketSummary {
  /** Lower edge of the minutes bucket (the bucket is [from, next from)). */
  from: number;
  share: number;
  praMean: number;
  praSd: number;
}

export interface LeagueSummary {
  rows: number;
  praMean: number;
  praSd: number;
  minutes: { mean: number; sd: number; p10: number; p25: number; p50: number; p75: number; p90: number };
  byMinutes: BucketSummary[];
  /** Games per player and season. */
  gamesPerPlayerSeason: { mean: number; p10: number; p50: number; p90: number };
  /** Players who played per team-game. */
  playersPerTeamGame: number;
  /** Days since the team's previous game in the season: shares of 1 (back-to-back), 2, 3, 4+. */
  teamRest: [number, number, number, number];
  /** Share of player-games whose PRA is 0. */
  zeroPraShare: number;
  /** PRA − consensus line over player-games with a line (absent without lines). */
  lineError?: { n: number; mean: number; mae: number; sd: number; overRate: number };
}

function quantile(sorted: Float64Array | Float32Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function meanSd(xs: ArrayLike<number>): [number, number] {
  let s = 0;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i]!;
    ss += xs[i]! * xs[i]!;
  }
  const m = s / xs.length;
  return [m, Math.sqrt(Math.max(0, ss / xs.length - m * m))];
}

/** Summary statistics of player games (and of the line error when lines are given). */
export function leagueSummary(p: PlayerGames, lines?: ConsensusLines): LeagueSummary {
  const [praMean, praSd] = meanSd(p.pra);
  const mins = Float32Array.from(p.minutes).sort();
  const [mMean, mSd] = meanSd(p.minutes);
  const byMinutes: BucketSummary[] = MINUTES_BUCKETS.map((from, b) => {
    const to = MINUTES_BUCKETS[b + 1] ?? Number.POSITIVE_INFINITY;
    const xs: number[] = [];
    for (let i = 0; i < p.n; i++) if (p.minutes[i]! >= from && p.minutes[i]! < to) xs.push(p.pra[i]!);
    const [m, s] = meanSd(xs);
    return { from, share: xs.length / p.n, praMean: m, praSd: s };
  });
  const perPS = new Map<string, number>();
  const teamGames = new Set<string>();
  const teamDates = new Map<string, Set<number>>();
  let zero = 0;
  for (let i = 0; i < p.n; i++) {
    const k = `${p.playerId[i]}|${p.season[i]}`;
    perPS.set(k, (perPS.get(k) ?? 0) + 1);
    teamGames.add(`${p.gameId[i]}|${p.team[i]}`);
    const tk = `${p.team[i]}|${p.season[i]}`;
    let s = teamDates.get(tk);
    if (!s) {
      s = new Set();
      teamDates.set(tk, s);
    }
    s.add(p.date[i]!);
    if (p.pra[i] === 0) zero++;
  }
  const gp = Float64Array.from(perPS.values()).sort();
  const rest = [0, 0, 0, 0];
  let restN = 0;
  for (const s of teamDates.values()) {
    const ds = [...s].sort((a, b) => a - b);
    for (let i = 1; i < ds.length; i++) {
      const d = ds[i]! - ds[i - 1]!;
      rest[Math.min(d, 4) - 1]! += 1;
      restN++;
    }
  }
  const summary: LeagueSummary = {
    rows: p.n,
    praMean,
    praSd,
    minutes: {
      mean: mMean,
      sd: mSd,
      p10: quantile(mins, 0.1),
      p25: quantile(mins, 0.25),
      p50: quantile(mins, 0.5),
      p75: quantile(mins, 0.75),
      p90: quantile(mins, 0.9),
    },
    byMinutes,
    gamesPerPlayerSeason: {
      mean: meanSd(gp)[0],
      p10: quantile(gp, 0.1),
      p50: quantile(gp, 0.5),
      p90: quantile(gp, 0.9),
    },
    playersPerTeamGame: p.n / teamGames.size,
    teamRest: rest.map((r) => r / restN) as [number, number, number, number],
    zeroPraShare: zero / p.n,
  };
  if (lines) {
    const byKey = new Map<string, number>();
    for (let i = 0; i < p.n; i++) byKey.set(`${p.gameId[i]}|${p.playerId[i]}`, i);
    const errs: number[] = [];
    let over = 0;
    for (let j = 0; j < lines.n; j++) {
      if (lines.market[j] !== 'PRA') continue;
      const i = byKey.get(`${lines.gameId[j]}|${lines.playerId[j]}`);
      if (i === undefined) continue;
      const e = p.pra[i]! - lines.line[j]!;
      errs.push(e);
      if (e > 0) over++;
    }
    const [m, s] = meanSd(errs);
    let mae = 0;
    for (const e of errs) mae += Math.abs(e);
    summary.lineError = {
      n: errs.length,
      mean: m,
      mae: mae / errs.length,
      sd: s,
      overRate: over / errs.length,
    };
  }
  return summary;
}
