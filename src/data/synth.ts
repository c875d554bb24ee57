/**
 * A seeded synthetic NBA league that looks like the real logs (compared in `synth.test.ts`
 * against `../shared/data/nba/`): 30 teams, an 82-game schedule per team with back-to-backs
 * and home/away, rosters of players with latent per-minute production, starters and bench
 * minutes, injuries and coach's decisions, rest effects, home advantage, opponent defence and
 * pace, and a market line with over/under odds per rotation player-game.
 *
 * Same seed and options → the same league, value for value.
 */
import { InvalidParameterError } from '../errors.js';
import { deriveTeamGames } from './derive.js';
import { consensusLines } from './lines.js';
import { type PlayerGames, type PropLines, seasonLabel, toEpochDay } from './schema.js';
import type { Dataset } from './storage.js';

export interface SynthOptions {
  seed: number;
  /** Number of seasons (1–30). */
  seasons: number;
  /** Start year of the first season (default 2015). */
  firstSeason?: number;
}

// ---- random numbers ---------------------------------------------------------------------------

/** sfc32: small, fast, good quality; seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uniform();
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.uniform();
    while (p > l) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
    return k;
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---- league -----------------------------------------------------------------------------------

// biome-ignore format: a table
export const TEAMS = [
  'ATL', 'BOS', 'BKN', 'CHA', 'CHI', 'CLE', 'DAL', 'DEN', 'DET', 'GSW', 'HOU', 'IND', 'LAC', 'LAL', 'MEM',
  'MIA', 'MIL', 'MIN', 'NOP', 'NYK', 'OKC', 'ORL', 'PHI', 'PHX', 'POR', 'SAC', 'SAS', 'TOR', 'UTA', 'WAS',
] as const;

// biome-ignore format: a table
const FIRST = [
  'Marcus', 'Jalen', 'Tyrese', 'Devin', 'Aaron', 'Kevin', 'Luka', 'Nikola', 'Jaylen', 'Trae', 'Damian', 'Jamal',
  'Darius', 'Malik', 'Andre', 'Brandon', 'Cameron', 'DeMar', 'Evan', 'Franz', 'Gary', 'Isaiah', 'Josh', 'Kyle',
  'Lonzo', 'Mikal', 'Norman', 'OG', 'Paolo', 'Quentin', 'Rudy', 'Scottie', 'Terry', 'Victor', 'Walker', 'Zach',
];
// biome-ignore format: a table
const LAST = [
  'Adams', 'Barnes', 'Carter', 'Davis', 'Edwards', 'Fox', 'Green', 'Harris', 'Irving', 'Johnson', 'Knox', 'Lopez',
  'Mitchell', 'Nance', 'Oubre', 'Payton', 'Quickley', 'Robinson', 'Smith', 'Thompson', 'Upshaw', 'Vucevic',
  'Williams', 'Young', 'Zubac', 'Allen', 'Brooks', 'Collins', 'Dunn', 'Ellis', 'Fournier', 'Gordon', 'Holiday',
  'Ingram', 'Jackson', 'Kuzma',
];

/** Base minutes per game by role (rank within the roster by talent). */
const ROLE_MINUTES = [33.5, 33, 32, 31, 29.5, 24, 21.5, 19, 16, 13, 10.5, 8.5, 6, 5, 4, 3.5, 3, 3];
const ROSTER = ROLE_MINUTES.length;
/** Chance that bench players (ranks 9–12) get in the game, and fringe players (13+) during their stint. */
const BENCH_PLAY = [0.85, 0.72, 0.58, 0.45];
const FRINGE_PLAY = 0.3;
/** Game-to-game form: lognormal spread of a player's per-minute production. */
const FORM_SD = 0.14;
/**
 * Pre-game news (role, matchup plan, a knock, a minutes limit): a lognormal factor on a player's
 * production that the market learns before the game and the box-score history does not show.
 */
const NEWS_SD = 0.08;
/**
 * The market's own pricing error: small, so that its line is an efficient estimate given what
 * is known before the game (as real closing lines are: simple averages of past games do not beat
 * them). An error the outcome does not share would be a free edge for anyone averaging games.
 */
const LINE_NOISE_SD = 0.02;
/** Games' weight of the market's model against the player's season so far (shrinkage). */
const CALIB_GAMES = 10;
/**
 * Where the market sets its x.5 line relative to its mean estimate: a little below, between the
 * mean and the median of a right-skewed PRA (real closing lines: mean error about 0, the over
 * hits about 48% of the time).
 */
const LINE_SHIFT = -0.25;

interface Player {
  id: number;
  name: string;
  /** Latent ability; drifts between seasons. */
  talent: number;
  /** Per-minute PRA multiplier beyond what the role implies. */
  skill: number;
  /** Shares of PRA that are points, rebounds, assists. */
  ptsShare: number;
  rebShare: number;
  threeRate: number;
  ftRate: number;
}

interface Team {
  abbr: string;
  defense: number;
  pace: number;
  roster: Player[];
}

interface Game {
  day: number;
  home: number;
  away: number;
}

/** Orient the edges so every team is at home in exactly half its games (Euler circuit orientation). */
function balanceHome(n: number, edges: Array<[number, number]>): Array<[number, number]> {
  const adj: number[][] = Array.from({ length: n }, () => []);
  edges.forEach(([a, b], e) => {
    adj[a]!.push(e);
    adj[b]!.push(e);
  });
  const used = new Uint8Array(edges.length);
  const out: Array<[number, number]> = [];
  const ptr = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    const stack = [start];
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      const list = adj[v]!;
      while (ptr[v]! < list.length && used[list[ptr[v]!]!]) ptr[v]!++;
      if (ptr[v]! === list.length) {
        stack.pop();
        continue;
      }
      const e = list[ptr[v]!]!;
      used[e] = 1;
      const [a, b] = edges[e]!;
      const w = a === v ? b : a;
      out.push([v, w]); // v hosts w: each pass through a vertex is one home and one away game
      stack.push(w);
    }
  }
  return out;
}

/**
 * An 82-game schedule: two full round robins (home and away) plus 24 rounds of a third with
 * home sides balanced, laid out day by day: each team waits a drawn number of days after its
 * previous game (1 = back-to-back) and is paired with another waiting team it still has to play.
 */
function makeSchedule(rng: Rng, startDay: number): Game[] {
  const n = TEAMS.length;
  const rounds: Array<Array<[number, number]>> = [];
  const ring = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < n - 1; r++) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < n / 2; i++) pairs.push([ring[i]!, ring[n - 1 - i]!]);
    rounds.push(pairs);
    ring.splice(1, 0, ring.pop()!);
  }
  const remaining = Array.from({ length: n }, () => new Int32Array(n)); // remaining[home][away]
  for (const r of rounds) {
    for (const [a, b] of r) {
      remaining[a]![b]! += 1;
      remaining[b]![a]! += 1;
    }
  }
  const extra = rng
    .shuffle([...rounds])
    .slice(0, 24)
    .flat();
  for (const [h, a] of balanceHome(n, extra)) remaining[h]![a]! += 1;
  const left = new Int32Array(n).fill(82);
  const last = Int32Array.from({ length: n }, () => startDay - 2 - rng.int(3));
  const drawGap = (): number => {
    const u = rng.uniform();
    return u < 0.19 ? 1 : u < 0.84 ? 2 : u < 0.975 ? 3 : 4;
  };
  const due = Int32Array.from({ length: n }, (_, t) => last[t]! + drawGap());
  const games: Game[] = [];
  let todo = 82 * n;
  for (let day = startDay; todo > 0; day++) {
    const ready: number[] = [];
    for (let t = 0; t < n; t++) if (left[t]! > 0 && due[t]! <= day) ready.push(t);
    rng.shuffle(ready);
    const taken = new Uint8Array(n);
    for (const a of ready) {
      if (taken[a]) continue;
      // partner: a ready team it still plays; late in the season (or after waiting) any rested team
      const late = day - due[a]! >= 2;
      let best = -1;
      let bestScore = 0;
      for (let b = 0; b < n; b++) {
        if (b === a || taken[b] || left[b] === 0) continue;
        const pair = remaining[a]![b]! + remaining[b]![a]!;
        if (pair === 0) continue;
        const isReady = due[b]! <= day;
        if (!isReady && !(late && day - last[b]! >= 2)) continue;
        const score = pair + (isReady ? 10 : 0) + rng.uniform();
        if (score > bestScore) {
          bestScore = score;
          best = b;
        }
      }
      if (best < 0) continue;
      const b = best;
      const hostA = remaining[a]![b]! > 0 && (remaining[b]![a]! === 0 || rng.uniform() < 0.5);
      const [h, w] = hostA ? [a, b] : [b, a];
      remaining[h]![w]! -= 1;
      games.push({ day, home: h, away: w });
      for (const t of [a, b]) {
        taken[t] = 1;
        left[t]! -= 1;
        last[t] = day;
        due[t] = day + drawGap();
      }
      todo -= 2;
    }
  }
  games.sort((x, y) => x.day - y.day || x.home - y.home);
  return games;
}

function newPlayer(rng: Rng, id: number, talent: number): Player {
  const ptsShare = Math.min(0.8, Math.max(0.4, 0.62 + 0.07 * rng.normal()));
  const rebShare = Math.min(0.5, Math.max(0.1, 0.236 + 0.07 * rng.normal()));
  return {
    id,
    name: `${rng.pick(FIRST)} ${rng.pick(LAST)}`,
    talent,
    skill: Math.exp(0.16 * rng.normal()),
    ptsShare,
    rebShare: Math.min(rebShare, 0.95 - ptsShare),
    threeRate: Math.min(0.6, Math.max(0.02, 0.3 + 0.12 * rng.normal())),
    ftRate: Math.min(0.35, Math.max(0.05, 0.17 + 0.05 * rng.normal())),
  };
}

/** Grow a players table column by column. */
class PlayerRows {
  n = 0;
  gameId: string[] = [];
  date: number[] = [];
  season: number[] = [];
  playerId: number[] = [];
  playerName: string[] = [];
  team: string[] = [];
  opponent: string[] = [];
  home: number[] = [];
  minutes: number[] = [];
  pts: number[] = [];
  reb: number[] = [];
  ast: number[] = [];
  fgm: number[] = [];
  fga: number[] = [];
  fg3m: number[] = [];
  fg3a: number[] = [];
  ftm: number[] = [];
  fta: number[] = [];
  oreb: number[] = [];
  dreb: number[] = [];
  stl: number[] = [];
  blk: number[] = [];
  tov: number[] = [];
  pf: number[] = [];
  plusMinus: number[] = [];

  table(): PlayerGames {
    const f = (xs: number[]): Float32Array => Float32Array.from(xs);
    const pra = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) pra[i] = this.pts[i]! + this.reb[i]! + this.ast[i]!;
    return {
      n: this.n,
      gameId: this.gameId,
      date: Int32Array.from(this.date),
      season: Int16Array.from(this.season),
      playerId: Int32Array.from(this.playerId),
      playerName: this.playerName,
      team: this.team,
      opponent: this.opponent,
      home: Uint8Array.from(this.home),
      minutes: f(this.minutes),
      pts: f(this.pts),
      reb: f(this.reb),
      ast: f(this.ast),
      pra,
      fgm: f(this.fgm),
      fga: f(this.fga),
      fg3m: f(this.fg3m),
      fg3a: f(this.fg3a),
      ftm: f(this.ftm),
      fta: f(this.fta),
      oreb: f(this.oreb),
      dreb: f(this.dreb),
      stl: f(this.stl),
      blk: f(this.blk),
      tov: f(this.tov),
      pf: f(this.pf),
      plusMinus: f(this.plusMinus),
    };
  }
}

const BOOKS = ['BookA', 'BookB', 'BookC', 'BookD', 'BookE'];

const ODDS_PAIRS: Array<[number, number]> = [
  [-110, -110],
  [-115, -105],
  [-105, -115],
  [-120, 100],
  [100, -120],
  [-112, -108],
];

/** Generate a synthetic league (players, derived team games, lines and their consensus). */
export function synthesizeLeague(options: SynthOptions): Dataset {
  const { seed, seasons } = options;
  const firstSeason = options.firstSeason ?? 2015;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidParameterError(`synth: seed must be an integer in [0, 4294967295] (got ${seed}).`);
  }
  if (!Number.isInteger(seasons) || seasons < 1 || seasons > 30) {
    throw new InvalidParameterError(`synth: seasons must be an integer from 1 to 30 (got ${seasons}).`);
  }
  const rng = new Rng(seed);
  let nextId = 1_000_001;
  const teams: Team[] = TEAMS.map((abbr) => ({
    abbr,
    defense: Math.exp(0.035 * rng.normal()),
    pace: Math.exp(0.025 * rng.normal()),
    roster: [],
  }));
  for (const t of teams) {
    for (let r = 0; r < ROSTER; r++) t.roster.push(newPlayer(rng, nextId++, rng.normal()));
  }
  const rows = new PlayerRows();
  const lines: Record<string, unknown[]> = {
    date: [],
    gameId: [],
    playerId: [],
    playerName: [],
    book: [],
    line: [],
    overOdds: [],
    underOdds: [],
    snapshotTime: [],
  };
  for (let s = 0; s < seasons; s++) {
    const year = firstSeason + s;
    if (s > 0) offseason(rng, teams, () => nextId++);
    simulateSeason(rng, teams, year, rows, lines);
  }
  const players = rows.table();
  const nl = lines['date']!.length;
  const propLines: PropLines = {
    n: nl,
    date: Int32Array.from(lines['date'] as number[]),
    gameId: lines['gameId'] as string[],
    playerId: Int32Array.from(lines['playerId'] as number[]),
    playerName: lines['playerName'] as string[],
    market: new Array<string>(nl).fill('PRA'),
    book: lines['book'] as string[],
    line: Float32Array.from(lines['line'] as number[]),
    overOdds: Float32Array.from(lines['overOdds'] as number[]),
    underOdds: Float32Array.from(lines['underOdds'] as number[]),
    snapshotTime: lines['snapshotTime'] as string[],
  };
  return {
    players,
    teams: deriveTeamGames(players),
    lines: propLines,
    consensus: consensusLines(propLines),
    source: `synthetic:seed=${seed},seasons=${seasons},first=${seasonLabel(firstSeason)}`,
    reports: [],
  };
}

function offseason(rng: Rng, teams: Team[], id: () => number): void {
  const pool: Player[] = [];
  for (const t of teams) {
    const stay: Player[] = [];
    for (const p of t.roster) {
      p.talent = 0.85 * p.talent + 0.5 * rng.normal();
      p.skill *= Math.exp(0.06 * rng.normal());
      const rank = t.roster.indexOf(p);
      const leave = rank >= 12 ? 0.45 : 0.12;
      if (rng.uniform() < leave) continue;
      if (rng.uniform() < 0.18) pool.push(p);
      else stay.push(p);
    }
    t.roster = stay;
  }
  rng.shuffle(pool);
  for (const t of teams) {
    while (t.roster.length < ROSTER) {
      const p = pool.pop();
      t.roster.push(p ?? newPlayer(rng, id(), rng.normal() - 0.6));
    }
  }
}

function simulateSeason(
  rng: Rng,
  teams: Team[],
  year: number,
  rows: PlayerRows,
  lines: Record<string, unknown[]>,
): void {
  const startDay = toEpochDay(year, 10, 22) + rng.int(5);
  const games = makeSchedule(rng, startDay);
  // roles: rank by talent within each team
  const baseMin = new Map<number, number>();
  const rate = new Map<number, number>();
  for (const t of teams) {
    t.roster.sort((a, b) => b.talent - a.talent);
    t.roster.forEach((p, r) => {
      const m = ROLE_MINUTES[r]! * Math.exp(0.1 * rng.normal());
      baseMin.set(p.id, m);
      rate.set(p.id, (0.44 + 0.0105 * m) * p.skill);
    });
  }
  // availability: injury spells for everyone; fringe players are with the team for a stint only
  const injuredUntil = new Map<number, number>();
  const stint = new Map<number, [number, number]>();
  for (const t of teams) {
    t.roster.forEach((p, r) => {
      if (r >= 12) {
        const len = 8 + rng.int(75);
        const from = rng.int(Math.max(1, 82 - len));
        stint.set(p.id, [from, from + len]);
      }
    });
  }
  /** The market's record per player this season: actual PRA and its model's PRA, summed over priced games. */
  const calib = new Map<number, [number, number]>();
  const gamesPlayed = new Int32Array(teams.length);
  const lastDay = new Int32Array(teams.length).fill(-100);
  let gameNo = 0;
  for (const g of games) {
    gameNo++;
    const gameId = `002${String(year % 100).padStart(2, '0')}${String(gameNo).padStart(5, '0')}`;
    const margin = Math.round(13 * rng.normal());
    const overtime = rng.uniform() < 0.055 ? 1 + (rng.uniform() < 0.12 ? 1 : 0) : 0;
    const pace = (teams[g.home]!.pace + teams[g.away]!.pace) / 2;
    for (const side of [0, 1] as const) {
      const ti = side === 0 ? g.home : g.away;
      const oi = side === 0 ? g.away : g.home;
      const team = teams[ti]!;
      const opp = teams[oi]!;
      const k = gamesPlayed[ti]!;
      const rest = g.day - lastDay[ti]!;
      const b2b = rest === 1;
      // who plays
      const playing: Player[] = [];
      const want: number[] = [];
      const expect: number[] = [];
      team.roster.forEach((p, r) => {
        const inj = injuredUntil.get(p.id) ?? -1;
        if (inj > k) return;
        if (rng.uniform() < (r < 6 ? 0.024 : 0.015)) {
          injuredUntil.set(p.id, k + 1 + Math.floor(-Math.log(1 - rng.uniform()) * 5));
          return;
        }
        const st = stint.get(p.id);
        if (st && (k < st[0] || k >= st[1])) return;
        const play = r < 8 ? 0.985 : r < 12 ? BENCH_PLAY[r - 8]! : FRINGE_PLAY;
        if (rng.uniform() > play) return;
        playing.push(p);
        let m = baseMin.get(p.id)!;
        if (b2b && r < 6) m *= 0.96;
        // the coach's spread around the role's minutes; the market knows its mean
        const sd = r < 5 ? 0.1 : r < 8 ? 0.18 : r < 12 ? 0.32 : 0.45;
        expect.push(m * Math.exp((sd * sd) / 2));
        m *= Math.exp(sd * rng.normal());
        if (Math.abs(margin) > 18 && r < 6) m *= 0.88;
        if (Math.abs(margin) > 18 && r >= 9) m *= 1.6;
        want.push(m);
      });
      const total = 240 + 25 * overtime;
      let sum = 0;
      let sumExpect = 0;
      for (let q = 0; q < want.length; q++) {
        sum += want[q]!;
        sumExpect += expect[q]!;
      }
      const scale = sum > 0 ? total / sum : 0;
      const expectScale = sumExpect > 0 ? 240 / sumExpect : 0;
      // coaches rarely play anyone past 38 minutes in regulation: the excess goes to the bench
      const minutesOf = want.map((w) => w * scale);
      let excess = 0;
      let benchMinutes = 0;
      for (let q = 0; q < minutesOf.length; q++) {
        const m = minutesOf[q]!;
        if (m > 38) {
          excess += (m - 38) * 0.6;
          minutesOf[q] = 38 + (m - 38) * 0.4;
        } else if (m < 30) benchMinutes += m;
      }
      if (excess > 0 && benchMinutes > 0) {
        for (let q = 0; q < minutesOf.length; q++) {
          if (minutesOf[q]! < 30) minutesOf[q] = minutesOf[q]! * (1 + excess / benchMinutes);
        }
      }
      playing.forEach((p, idx) => {
        const m = Math.max(0, Math.round(Math.min(48 + 5 * overtime, minutesOf[idx]!)));
        const home = side === 0 ? 1 : 0;
        const form = Math.exp(FORM_SD * rng.normal() - (FORM_SD * FORM_SD) / 2);
        const news = Math.exp(NEWS_SD * rng.normal() - (NEWS_SD * NEWS_SD) / 2);
        const context = pace * opp.defense * (home ? 1.012 : 0.988) * (b2b ? 0.975 : rest >= 3 ? 1.01 : 1);
        const lam = rate.get(p.id)! * m * context * news * form;
        const ptsLam = lam * p.ptsShare;
        const rebLam = lam * p.rebShare;
        const astLam = lam * (1 - p.ptsShare - p.rebShare);
        // points from free throws, twos and threes
        const ftm = rng.poisson(ptsLam * p.ftRate);
        const rest2 = Math.max(0, ptsLam - ftm);
        const fg3m = rng.poisson((rest2 * p.threeRate) / 3);
        const fg2m = rng.poisson((rest2 * (1 - p.threeRate)) / 2);
        const pts = ftm + 2 * fg2m + 3 * fg3m;
        const reb = rng.poisson(rebLam);
        const ast = rng.poisson(astLam);
        const fg3a = fg3m + rng.poisson(fg3m * 1.8 + 0.05 * m * p.threeRate);
        const fga = fg2m + fg3m + rng.poisson(fg2m * 0.95 + 0.02 * m) + (fg3a - fg3m);
        const fta = ftm + rng.poisson(ftm * 0.28);
        const oreb = rng.binomial(reb, 0.22);
        const plusMinus = Math.round(((side === 0 ? margin : -margin) * m) / 48 + 4 * rng.normal());
        rows.n++;
        rows.gameId.push(gameId);
        rows.date.push(g.day);
        rows.season.push(year);
        rows.playerId.push(p.id);
        rows.playerName.push(p.name);
        rows.team.push(team.abbr);
        rows.opponent.push(opp.abbr);
        rows.home.push(home);
        rows.minutes.push(m);
        rows.pts.push(pts);
        rows.reb.push(reb);
        rows.ast.push(ast);
        rows.fgm.push(fg2m + fg3m);
        rows.fga.push(fga);
        rows.fg3m.push(fg3m);
        rows.fg3a.push(fg3a);
        rows.ftm.push(ftm);
        rows.fta.push(fta);
        rows.oreb.push(oreb);
        rows.dreb.push(reb - oreb);
        rows.stl.push(rng.poisson(0.025 * m));
        rows.blk.push(rng.poisson(0.016 * m));
        rows.tov.push(rng.poisson(0.012 * m + 0.08 * (fga + 0.44 * fta)));
        rows.pf.push(Math.min(6, rng.poisson(0.06 * m)));
        rows.plusMinus.push(plusMinus);
        // the market prices rotation players from their role, skill, the rotation, the matchup and
        // the pre-game news, with a small error of its own
        const base = baseMin.get(p.id)!;
        if (base >= 17) {
          const model = rate.get(p.id)! * expect[idx]! * expectScale * context * news;
          // what its model misses (the minutes cap, blowouts) it learns from the season so far
          const [sumPra, sumModel] = calib.get(p.id) ?? [0, 0];
          const k = CALIB_GAMES * model;
          const noise = Math.exp(LINE_NOISE_SD * rng.normal());
          const est = model * ((sumPra + k) / (sumModel + k)) * noise;
          calib.set(p.id, [sumPra + pts + reb + ast, sumModel + model]);
          // two to four books; most post the main line, some shade it by a point
          const nBooks = 2 + rng.int(3);
          const first = rng.int(BOOKS.length);
          const snapshot = `${new Date(g.day * 86_400_000).toISOString().slice(0, 10)}T23:00:00Z`;
          for (let b = 0; b < nBooks; b++) {
            const shade = rng.uniform() < 0.25 ? (rng.uniform() < 0.5 ? -1 : 1) : 0;
            const [o, u] = rng.pick(ODDS_PAIRS);
            lines['date']!.push(g.day);
            lines['gameId']!.push(gameId);
            lines['playerId']!.push(p.id);
            lines['playerName']!.push(p.name);
            lines['book']!.push(BOOKS[(first + b) % BOOKS.length]!);
            lines['line']!.push(Math.floor(est + LINE_SHIFT) + 0.5 + shade);
            lines['overOdds']!.push(o);
            lines['underOdds']!.push(u);
            lines['snapshotTime']!.push(snapshot);
          }
        }
      });
      gamesPlayed[ti]! += 1;
      lastDay[ti] = g.day;
    }
  }
}
