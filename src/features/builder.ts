/**
 * The feature builder: one code path for training and serving. Features of a game on date D
 * are computed from the history games strictly before D (a player's prior games, the
 * opponent's prior games); for training the history is the table itself, for serving it is
 * everything known and the targets are upcoming games without box scores.
 *
 * Output is a column-major Float32Array (NaN = missing) plus row keys, rows sorted by date.
 */
import type { ConsensusLines, PlayerGames } from '../data/index.js';
import { InvalidParameterError } from '../errors.js';
import {
  type ContextHistory,
  type ContextOptions,
  contextFor,
  type GameContext,
  prepareContext,
} from './context.js';
import type { FeatureDefinition, FeatureSet, Transform } from './definitions.js';

/** What is known about a game before it is played: the schedule facts and who plays. */
export interface GameKeys {
  n: number;
  gameId: string[];
  date: Int32Array;
  season: Int16Array;
  playerId: Int32Array;
  team: string[];
  opponent: string[];
  home: Uint8Array;
}

/** The feature matrix, ready for training without copies. */
export interface FeatureMatrix {
  nRows: number;
  nCols: number;
  /** Feature names, in column order. */
  names: string[];
  /** Column-major values: column j is `values.subarray(j * nRows, (j + 1) * nRows)`; NaN = missing. */
  values: Float32Array;
  /** Row keys, rows sorted by date (then game, team, player). */
  keys: {
    gameId: string[];
    playerId: Int32Array;
    /** Days since 1970-01-01. */
    date: Int32Array;
    season: Int16Array;
    team: string[];
    opponent: string[];
  };
  /** PRA of each row (NaN for upcoming games). */
  target: Float32Array;
  /** Minutes played of each row (NaN for upcoming games), for minutes-first models. */
  minutes: Float32Array;
  featureSet: { name: string; version: string };
}

/** Column `name` of a matrix as a view (no copy). */
export function featureColumn(m: FeatureMatrix, name: string): Float32Array {
  const j = m.names.indexOf(name);
  if (j < 0)
    throw new InvalidParameterError(`feature '${name}' is not in the matrix (${m.names.join(', ')}).`);
  return m.values.subarray(j * m.nRows, (j + 1) * m.nRows);
}

type Kernel = (t: number, s: number, j: number) => number;

/** History of player games re-ordered by (player, date), with ranges per player. */
interface PlayerHistory {
  date: Int32Array;
  season: Int16Array;
  team: string[];
  ranges: Map<number, [number, number]>;
  cols: Map<string, Float64Array>;
  order: Int32Array;
}

/** Team totals per team-game derived from the history's player games, ordered by (team, date). */
interface TeamHistory {
  date: Int32Array;
  season: Int16Array;
  ranges: Map<string, [number, number]>;
  ptsAllowed: Float64Array;
  possOwn: Float64Array;
  possOpp: Float64Array;
  praAllowed: Float64Array;
  minutes: Float64Array;
  /** For each history row (original order): its team-game's totals. */
  rowTeamUsed: Float64Array;
  rowTeamMinutes: Float64Array;
}

function col(p: PlayerGames, name: string): Float32Array | undefined {
  return (p as unknown as Record<string, Float32Array | undefined>)[name];
}

function nanArray(n: number): Float32Array {
  return new Float32Array(n).fill(Number.NaN);
}

function buildPlayerHistory(h: PlayerGames, inputs: Set<string>, team: TeamHistory): PlayerHistory {
  const n = h.n;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort(
    (a, b) =>
      h.playerId[a]! - h.playerId[b]! || h.date[a]! - h.date[b]! || (h.gameId[a]! < h.gameId[b]! ? -1 : 1),
  );
  const date = new Int32Array(n);
  const season = new Int16Array(n);
  const teamOf = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    date[k] = h.date[order[k]!]!;
    season[k] = h.season[order[k]!]!;
    teamOf[k] = h.team[order[k]!]!;
  }
  const cols = new Map<string, Float64Array>();
  const gather = (src: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = src[order[k]!]!;
    return out;
  };
  for (const name of inputs) cols.set(name, gather(col(h, name) ?? nanArray(n)));
  cols.set('teamUsed', gather(team.rowTeamUsed));
  cols.set('teamMinutes', gather(team.rowTeamMinutes));
  const ranges = new Map<number, [number, number]>();
  let s = 0;
  for (let k = 1; k <= n; k++) {
    if (k === n || h.playerId[order[k]!] !== h.playerId[order[s]!]) {
      ranges.set(h.playerId[order[s]!]!, [s, k]);
      s = k;
    }
  }
  return { date, season, team: teamOf, ranges, cols, order };
}

/** The team-games of a player-games table: one per (game, team), with each row's team-game. */
interface TeamGames {
  m: number;
  key: Map<string, number>;
  rowTg: Int32Array;
  game: string[];
  team: string[];
  opp: string[];
  date: number[];
  season: number[];
}

function indexTeamGames(h: PlayerGames): TeamGames {
  const n = h.n;
  const key = new Map<string, number>();
  const rowTg = new Int32Array(n);
  const tg = { game: [] as string[], team: [] as string[], opp: [] as string[] };
  const date: number[] = [];
  const season: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = `${h.gameId[i]}|${h.team[i]}`;
    let g = key.get(k);
    if (g === undefined) {
      g = tg.game.length;
      key.set(k, g);
      tg.game.push(h.gameId[i]!);
      tg.team.push(h.team[i]!);
      tg.opp.push(h.opponent[i]!);
      date.push(h.date[i]!);
      season.push(h.season[i]!);
    }
    rowTg[i] = g;
  }
  return { m: tg.game.length, key, rowTg, ...tg, date, season };
}

/** Per team-game totals: points, rebounds, assists, minutes, possessions and possessions used. */
function teamGameTotals(h: PlayerGames, tg: TeamGames) {
  const { m, rowTg } = tg;
  const sum = (c: Float32Array | undefined): Float64Array => {
    const out = new Float64Array(m);
    if (!c) return out.fill(Number.NaN);
    for (let i = 0; i < h.n; i++) out[rowTg[i]!]! += c[i]!;
    return out;
  };
  const pts = sum(h.pts);
  const reb = sum(h.reb);
  const ast = sum(h.ast);
  const fga = sum(h.fga);
  const fta = sum(h.fta);
  const oreb = sum(h.oreb);
  const tov = sum(h.tov);
  const mins = sum(h.minutes);
  const poss = new Float64Array(m);
  const used = new Float64Array(m);
  for (let g = 0; g < m; g++) {
    poss[g] = fga[g]! + 0.44 * fta[g]! - oreb[g]! + tov[g]!;
    used[g] = fga[g]! + 0.44 * fta[g]! + tov[g]!;
  }
  return { pts, reb, ast, mins, poss, used };
}

function buildTeamHistory(h: PlayerGames): TeamHistory {
  const n = h.n;
  const tg = indexTeamGames(h);
  const { m, key, rowTg } = tg;
  const { pts, reb, ast, mins, poss, used } = teamGameTotals(h, tg);
  // order team-games by (team, date)
  const order = Array.from({ length: m }, (_, g) => g);
  order.sort((a, b) =>
    tg.team[a]! < tg.team[b]! ? -1 : tg.team[a]! > tg.team[b]! ? 1 : tg.date[a]! - tg.date[b]!,
  );
  const t: TeamHistory = {
    date: new Int32Array(m),
    season: new Int16Array(m),
    ranges: new Map(),
    ptsAllowed: new Float64Array(m),
    possOwn: new Float64Array(m),
    possOpp: new Float64Array(m),
    praAllowed: new Float64Array(m),
    minutes: new Float64Array(m),
    rowTeamUsed: new Float64Array(n),
    rowTeamMinutes: new Float64Array(n),
  };
  for (let k = 0; k < m; k++) {
    const g = order[k]!;
    const o = key.get(`${tg.game[g]}|${tg.opp[g]}`);
    t.date[k] = tg.date[g]!;
    t.season[k] = tg.season[g]!;
    t.possOwn[k] = poss[g]!;
    t.minutes[k] = mins[g]!;
    t.possOpp[k] = o === undefined ? Number.NaN : poss[o]!;
    t.ptsAllowed[k] = o === undefined ? Number.NaN : pts[o]!;
    t.praAllowed[k] = o === undefined ? Number.NaN : pts[o]! + reb[o]! + ast[o]!;
  }
  let s = 0;
  for (let k = 1; k <= m; k++) {
    if (k === m || tg.team[order[k]!] !== tg.team[order[s]!]) {
      t.ranges.set(tg.team[order[s]!]!, [s, k]);
      s = k;
    }
  }
  for (let i = 0; i < n; i++) {
    t.rowTeamUsed[i] = used[rowTg[i]!]!;
    t.rowTeamMinutes[i] = mins[rowTg[i]!]!;
  }
  return t;
}

/** First index in [lo, hi) with date[k] >= day. */
function lowerBound(date: Int32Array, lo: number, hi: number, day: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (date[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Count of the values the last `presentSum` call added (a scratch to avoid allocating a pair). */
let presentCount = 0;

/** Sum of the non-missing values of x[a..j); their count is left in `presentCount`. */
function presentSum(x: Float64Array, a: number, j: number): number {
  let sum = 0;
  let k = 0;
  for (let q = a; q < j; q++) {
    const v = x[q]!;
    if (!Number.isNaN(v)) {
      sum += v;
      k++;
    }
  }
  presentCount = k;
  return sum;
}

const CONTEXT_COLUMNS: Partial<Record<Transform, keyof GameContext>> = {
  avail_minutes_vacated: 'minutesVacated',
  avail_pra_vacated: 'praVacated',
  avail_regulars_out: 'regularsOut',
  avail_pra_share: 'praShare',
  avail_usage_share: 'usageShare',
  opp_pra_allowed_role: 'oppPraAllowedRole',
};

/** The context options of a set's context features (they must agree), or null when it has none. */
function contextOptions(set: FeatureSet): ContextOptions | null {
  let opts: ContextOptions | null = null;
  for (const f of set.features) {
    if (!CONTEXT_COLUMNS[f.transform]) continue;
    const o = {
      window: f.params['window']!,
      minMinutes: f.params['minMinutes']!,
      teamGames: f.params['teamGames']!,
      threshold: f.params['threshold']!,
    };
    if (opts && JSON.stringify(opts) !== JSON.stringify(o)) {
      throw new InvalidParameterError(
        `feature '${f.name}': context features of one set share window, minMinutes, teamGames and threshold.`,
      );
    }
    opts = o;
  }
  return opts;
}

/** What a feature's compiler reads: its definition, the histories, the targets and the prepared extras. */
interface KernelEnv {
  def: FeatureDefinition;
  p: FeatureDefinition['params'];
  ph: PlayerHistory;
  th: TeamHistory;
  targets: GameKeys;
  ctx: GameContext | null;
  lines: ConsensusLines | undefined;
  /** The prepared column of the feature's k-th input. */
  input: (k: number) => Float64Array;
}

type KernelCompiler = (env: KernelEnv) => Kernel;

/** The consensus PRA line the market opened at for the target game. */
function compileMarketLine({ def, targets, lines }: KernelEnv): Kernel {
  if (!lines) {
    throw new InvalidParameterError(
      `feature '${def.name}' reads the prop lines: pass { lines } (the dataset's consensus lines) to the builder.`,
    );
  }
  const at = new Map<string, number>();
  for (let j = 0; j < lines.n; j++)
    if (lines.market[j] === 'PRA') at.set(`${lines.gameId[j]}|${lines.playerId[j]}`, j);
  return (t) => {
    const j = at.get(`${targets.gameId[t]}|${targets.playerId[t]}`);
    return j === undefined ? Number.NaN : lines.line[j]!;
  };
}

/** A column of the precomputed game context (availability, role-adjusted opponent). */
function compileContext({ def, ctx }: KernelEnv): Kernel {
  const values = ctx![CONTEXT_COLUMNS[def.transform]!];
  return (t) => values[t]!;
}

function compileRollingMean({ p, input }: KernelEnv): Kernel {
  const x = input(0);
  const w = p['window']!;
  const minP = p['minPeriods']!;
  return (_t, s, j) => {
    const sum = presentSum(x, Math.max(s, j - w), j);
    return presentCount >= minP ? sum / presentCount : Number.NaN;
  };
}

function compileSeasonMean({ ph, targets, input }: KernelEnv): Kernel {
  const x = input(0);
  const tSeason = targets.season;
  return (t, s, j) => {
    const season = tSeason[t]!;
    let a = j;
    while (a > s && ph.season[a - 1] === season) a--;
    const sum = presentSum(x, a, j);
    return presentCount > 0 ? sum / presentCount : Number.NaN;
  };
}

function compileRollingStd({ p, input }: KernelEnv): Kernel {
  const x = input(0);
  const w = p['window']!;
  const minP = p['minPeriods']!;
  return (_t, s, j) => {
    const a = Math.max(s, j - w);
    const sum = presentSum(x, a, j);
    const k = presentCount;
    if (k < minP) return Number.NaN;
    const mean = sum / k;
    let ss = 0;
    for (let q = a; q < j; q++) {
      const v = x[q]!;
      if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
    }
    return Math.sqrt(ss / k);
  };
}

function compileRollingSlope({ p, input }: KernelEnv): Kernel {
  const x = input(0);
  const w = p['window']!;
  const minP = p['minPeriods']!;
  return (_t, s, j) => {
    const a = Math.max(s, j - w);
    const k = j - a;
    if (k < minP) return Number.NaN;
    const xm = (k - 1) / 2;
    let ym = 0;
    for (let q = a; q < j; q++) ym += x[q]!;
    ym /= k;
    let num = 0;
    let den = 0;
    for (let q = a; q < j; q++) {
      const dx = q - a - xm;
      num += dx * (x[q]! - ym);
      den += dx * dx;
    }
    return num / den;
  };
}

function compileRollingPer36({ p, input }: KernelEnv): Kernel {
  const x = input(0);
  const mins = input(1);
  const w = p['window']!;
  return (_t, s, j) => {
    let sx = 0;
    let sm = 0;
    for (let q = Math.max(s, j - w); q < j; q++) {
      sx += x[q]!;
      sm += mins[q]!;
    }
    return sm > 0 ? (sx / sm) * 36 : Number.NaN;
  };
}

function compileUsageProxy({ p, ph, input }: KernelEnv): Kernel {
  const fga = input(0);
  const fta = input(1);
  const tov = input(2);
  const mins = input(3);
  const teamUsed = ph.cols.get('teamUsed')!;
  const teamMin = ph.cols.get('teamMinutes')!;
  const w = p['window']!;
  return (_t, s, j) => {
    let used = 0;
    let m = 0;
    let tu = 0;
    let tm = 0;
    for (let q = Math.max(s, j - w); q < j; q++) {
      used += fga[q]! + 0.44 * fta[q]! + tov[q]!;
      m += mins[q]!;
      tu += teamUsed[q]!;
      tm += teamMin[q]!;
    }
    return m > 0 && tu > 0 ? (used * (tm / 5)) / (m * tu) : Number.NaN;
  };
}

/** The opponent's defence, pace or PRA allowed over its last `window` games (0: season to date). */
function compileOpponent({ def, p, th, targets }: KernelEnv): Kernel {
  const w = p['window']!;
  const kind = def.transform;
  const tSeason = targets.season;
  const tDate = targets.date;
  return (t) => {
    const r = th.ranges.get(targets.opponent[t]!);
    if (!r) return Number.NaN;
    const j = lowerBound(th.date, r[0], r[1], tDate[t]!);
    let a = j;
    if (w === 0) {
      const season = tSeason[t]!;
      while (a > r[0] && th.season[a - 1] === season) a--;
    } else {
      a = Math.max(r[0], j - w);
    }
    let num = 0;
    let den = 0;
    for (let q = a; q < j; q++) {
      if (kind === 'opp_def_rating') {
        const pa = th.ptsAllowed[q]!;
        const po = th.possOpp[q]!;
        if (!Number.isNaN(pa) && !Number.isNaN(po)) {
          num += pa;
          den += po;
        }
      } else if (kind === 'opp_pace') {
        const po = th.possOpp[q]!;
        const pw = th.possOwn[q]!;
        if (!Number.isNaN(po) && !Number.isNaN(pw)) {
          num += (po + pw) / 2;
          den += th.minutes[q]! / 5;
        }
      } else {
        const v = th.praAllowed[q]!;
        if (!Number.isNaN(v)) {
          num += v;
          den += 1;
        }
      }
    }
    if (!(den > 0)) return Number.NaN;
    return kind === 'opp_def_rating' ? (100 * num) / den : kind === 'opp_pace' ? (48 * num) / den : num / den;
  };
}

function compileRestDays({ p, ph, targets }: KernelEnv): Kernel {
  const cap = p['cap']!;
  const tDate = targets.date;
  return (t, s, j) => (j > s ? Math.min(cap, tDate[t]! - ph.date[j - 1]!) : Number.NaN);
}

function compileBackToBack({ ph, targets }: KernelEnv): Kernel {
  const tDate = targets.date;
  return (t, s, j) => (j > s && tDate[t]! - ph.date[j - 1]! === 1 ? 1 : 0);
}

function compileGamesInDays({ p, ph, targets }: KernelEnv): Kernel {
  const days = p['days']!;
  const tDate = targets.date;
  return (t, s, j) => {
    const from = tDate[t]! - days;
    let k = 0;
    for (let q = j - 1; q >= s && ph.date[q]! >= from; q--) k++;
    return k;
  };
}

function compileHome({ targets }: KernelEnv): Kernel {
  return (t) => targets.home[t]!;
}

function compileRollingShareAbove({ p, input }: KernelEnv): Kernel {
  const x = input(0);
  const w = p['window']!;
  const threshold = p['threshold']!;
  return (_t, s, j) => {
    const a = Math.max(s, j - w);
    if (j === a) return Number.NaN;
    let k = 0;
    for (let q = a; q < j; q++) if (x[q]! >= threshold) k++;
    return k / (j - a);
  };
}

function compileGamesWithTeam({ p, ph, targets }: KernelEnv): Kernel {
  const cap = p['cap']!;
  const team = ph.team;
  return (t, s, j) => {
    let k = 0;
    for (let q = j - 1; q >= s && k < cap && team[q] === targets.team[t]; q--) k++;
    return k;
  };
}

/** The compiler of each transform with a kernel of its own (context columns are looked up apart). */
const KERNEL_COMPILERS: Partial<Record<Transform, KernelCompiler>> = {
  market_open_line: compileMarketLine,
  rolling_mean: compileRollingMean,
  season_mean: compileSeasonMean,
  rolling_std: compileRollingStd,
  rolling_slope: compileRollingSlope,
  rolling_per36: compileRollingPer36,
  usage_proxy: compileUsageProxy,
  opp_def_rating: compileOpponent,
  opp_pace: compileOpponent,
  opp_pra_allowed: compileOpponent,
  rest_days: compileRestDays,
  back_to_back: compileBackToBack,
  games_in_days: compileGamesInDays,
  home: compileHome,
  rolling_share_above: compileRollingShareAbove,
  games_with_team: compileGamesWithTeam,
};

function compileKernel(
  def: FeatureDefinition,
  ph: PlayerHistory,
  th: TeamHistory,
  targets: GameKeys,
  ctx: GameContext | null,
  lines: ConsensusLines | undefined,
): Kernel {
  const compile = CONTEXT_COLUMNS[def.transform] ? compileContext : KERNEL_COMPILERS[def.transform];
  if (!compile)
    throw new InvalidParameterError(`feature '${def.name}': transform ${def.transform} has no kernel.`);
  const input = (k: number): Float64Array => {
    const name = def.inputs[k]!;
    const c = ph.cols.get(name);
    if (!c) throw new InvalidParameterError(`feature '${def.name}': input '${name}' was not prepared.`);
    return c;
  };
  return compile({ def, p: def.params, ph, th, targets, ctx, lines, input });
}

function sortByDate(k: GameKeys): Int32Array {
  const n = k.n;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const cmp = (a: number, b: number): number => {
    const d = k.date[a]! - k.date[b]!;
    if (d !== 0) return d;
    if (k.gameId[a] !== k.gameId[b]) return k.gameId[a]! < k.gameId[b]! ? -1 : 1;
    if (k.team[a] !== k.team[b]) return k.team[a]! < k.team[b]! ? -1 : 1;
    return k.playerId[a]! - k.playerId[b]!;
  };
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (cmp(i - 1, i) > 0) sorted = false;
  if (!sorted) idx.sort(cmp);
  return idx;
}

function inputsOf(set: FeatureSet): Set<string> {
  const out = new Set<string>();
  for (const f of set.features)
    for (const i of f.inputs)
      if (!i.includes('.') && i !== 'date' && i !== 'home' && i !== 'team') out.add(i);
  return out;
}

/** The per-team and per-player history a feature set reads, built once per history. */
interface PreparedHistory {
  th: TeamHistory;
  ph: PlayerHistory;
  /** The context features' history (null when the set has none). */
  context: ContextHistory | null;
}

function prepareHistory(history: PlayerGames, set: FeatureSet): PreparedHistory {
  const th = buildTeamHistory(history);
  const copts = contextOptions(set);
  return {
    th,
    ph: buildPlayerHistory(history, inputsOf(set), th),
    context: copts ? prepareContext(history, copts) : null,
  };
}

function compute(
  history: PlayerGames,
  targets: GameKeys,
  set: FeatureSet,
  actual: { pra?: Float32Array; minutes?: Float32Array },
  inactive?: ReadonlySet<number>,
  lines?: ConsensusLines,
): FeatureMatrix {
  return computePrepared(prepareHistory(history, set), targets, set, actual, inactive, lines);
}

function computePrepared(
  { th, ph, context }: PreparedHistory,
  targets: GameKeys,
  set: FeatureSet,
  actual: { pra?: Float32Array; minutes?: Float32Array },
  inactive?: ReadonlySet<number>,
  lines?: ConsensusLines,
): FeatureMatrix {
  const ctx = context ? contextFor(context, targets, inactive) : null;
  const kernels = set.features.map((f) => compileKernel(f, ph, th, targets, ctx, lines));
  const order = sortByDate(targets);
  const n = targets.n;
  const nCols = kernels.length;
  const values = new Float32Array(n * nCols);
  const date = new Int32Array(n);
  const season = new Int16Array(n);
  const playerId = new Int32Array(n);
  const gameId = new Array<string>(n);
  const team = new Array<string>(n);
  const opponent = new Array<string>(n);
  const target = new Float32Array(n);
  const minutes = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const t = order[r]!;
    date[r] = targets.date[t]!;
    season[r] = targets.season[t]!;
    playerId[r] = targets.playerId[t]!;
    gameId[r] = targets.gameId[t]!;
    team[r] = targets.team[t]!;
    opponent[r] = targets.opponent[t]!;
    target[r] = actual.pra ? actual.pra[t]! : Number.NaN;
    minutes[r] = actual.minutes ? actual.minutes[t]! : Number.NaN;
    const range = ph.ranges.get(targets.playerId[t]!);
    let s = 0;
    let j = 0;
    if (range) {
      s = range[0];
      j = lowerBound(ph.date, range[0], range[1], targets.date[t]!);
    }
    for (let c = 0; c < nCols; c++) values[c * n + r] = kernels[c]!(t, s, j);
  }
  return {
    nRows: n,
    nCols,
    names: set.features.map((f) => f.name),
    values,
    keys: { gameId, playerId, date, season, team, opponent },
    target,
    minutes,
    featureSet: { name: set.name, version: set.version },
  };
}

/**
 * Training matrix: one row per player-game of `players`, each row's features computed from the
 * games strictly before its date.
 */
export function buildFeatures(
  players: PlayerGames,
  set: FeatureSet,
  options: { lines?: ConsensusLines } = {},
): FeatureMatrix {
  return compute(
    players,
    players,
    set,
    { pra: players.pra, minutes: players.minutes },
    undefined,
    options.lines,
  );
}

/**
 * Serving: features of upcoming games (no box score yet) from the history alone, with the same
 * code as training. Games on or after an upcoming game's date in `history` are not used for it.
 * The rows of a team-game are its expected participants; `inactive` names players (ids) who are
 * listed but will not play (the injury report): availability features count them as out.
 */
export function buildFeaturesForUpcoming(
  history: PlayerGames,
  upcoming: GameKeys,
  set: FeatureSet,
  options: { inactive?: Iterable<number>; lines?: ConsensusLines } = {},
): FeatureMatrix {
  return compute(
    history,
    upcoming,
    set,
    {},
    options.inactive ? new Set(options.inactive) : undefined,
    options.lines,
  );
}

/**
 * `buildFeaturesForUpcoming` with the history prepared once: the team and player histories are
 * built here, and each call of the returned function only evaluates the features of its games
 * (what a prediction service does per request). Same code, same values.
 */
export function prepareUpcomingFeatures(
  history: PlayerGames,
  set: FeatureSet,
): (upcoming: GameKeys, options?: { inactive?: Iterable<number>; lines?: ConsensusLines }) => FeatureMatrix {
  const prepared = prepareHistory(history, set);
  return (upcoming, options = {}) =>
    computePrepared(
      prepared,
      upcoming,
      set,
      {},
      options.inactive ? new Set(options.inactive) : undefined,
      options.lines,
    );
}
