/**
 * Game-context features that need more than the player's own history: who is out for his team
 * (availability) and how the opponent has defended players of his role.
 *
 * What is known before tip-off: the history (every game before the date) and the game's
 * participants (the injury report / inactive list: in training the players of the game; for
 * upcoming games with an inactive list, the requested players and every regular of the team
 * who is not on the list). No stat of the game itself is read.
 *
 * - A team's regulars for a game on date D: players whose latest game before D was for the
 *   team, within the team's last `teamGames` games, averaging ≥ `minMinutes` minutes over their
 *   last `window` games. A regular who is not among the game's participants is out.
 * - Vacated minutes / PRA: the sum of the out regulars' last-`window` means.
 * - PRA share / usage share: the player's last-`window` mean PRA (used possessions,
 *   FGA + 0.44·FTA + TOV) over the sum of the same means of the game's participants of his team.
 * - Opponent PRA allowed to the role: the mean PRA of the players who faced the opponent this
 *   season before D and had the player's role then (starter-like: last-`window` mean minutes
 *   ≥ `threshold`; else bench).
 */
import type { PlayerGames } from '../data/index.js';
import type { GameKeys } from './builder.js';

export interface ContextOptions {
  window: number;
  minMinutes: number;
  teamGames: number;
  /** Minutes that make a role starter-like. */
  threshold: number;
}

export const DEFAULT_CONTEXT: ContextOptions = { window: 10, minMinutes: 12, teamGames: 10, threshold: 24 };

/** Per target row (target order): the context columns. */
export interface GameContext {
  minutesVacated: Float32Array;
  praVacated: Float32Array;
  regularsOut: Float32Array;
  praShare: Float32Array;
  usageShare: Float32Array;
  oppPraAllowedRole: Float32Array;
}

/** Prefix sums of a player's history in (player, date) order, for last-N means before a date. */
interface Sorted {
  date: Int32Array;
  team: string[];
  ranges: Map<number, [number, number]>;
  /** Prefix sums (length n + 1) of minutes, PRA and used possessions. */
  min: Float64Array;
  pra: Float64Array;
  used: Float64Array;
}

function sortHistory(h: PlayerGames): Sorted {
  const n = h.n;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => h.playerId[a]! - h.playerId[b]! || h.date[a]! - h.date[b]!);
  const s: Sorted = {
    date: new Int32Array(n),
    team: new Array<string>(n),
    ranges: new Map(),
    min: new Float64Array(n + 1),
    pra: new Float64Array(n + 1),
    used: new Float64Array(n + 1),
  };
  const val = (c: Float32Array | undefined, i: number) => (c && Number.isFinite(c[i]!) ? c[i]! : 0);
  let start = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    s.date[k] = h.date[i]!;
    s.team[k] = h.team[i]!;
    s.min[k + 1] = s.min[k]! + val(h.minutes, i);
    s.pra[k + 1] = s.pra[k]! + val(h.pra, i);
    s.used[k + 1] = s.used[k]! + val(h.fga, i) + 0.44 * val(h.fta, i) + val(h.tov, i);
    if (k + 1 === n || h.playerId[order[k + 1]!] !== h.playerId[i]) {
      s.ranges.set(h.playerId[i]!, [start, k + 1]);
      start = k + 1;
    }
  }
  return s;
}

function lowerBound(date: Int32Array, lo: number, hi: number, day: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (date[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A player's last-`w` means before `day` and his latest team then; null without history. */
function recent(s: Sorted, player: number, day: number, w: number) {
  const r = s.ranges.get(player);
  if (!r) return null;
  const j = lowerBound(s.date, r[0], r[1], day);
  if (j === r[0]) return null;
  const a = Math.max(r[0], j - w);
  const k = j - a;
  return {
    minutes: (s.min[j]! - s.min[a]!) / k,
    pra: (s.pra[j]! - s.pra[a]!) / k,
    used: (s.used[j]! - s.used[a]!) / k,
    team: s.team[j - 1]!,
    lastDate: s.date[j - 1]!,
  };
}

/** Each team's games in the history: dates ascending, with the players of each. */
type TeamGames = Map<string, Array<{ date: number; players: number[] }>>;

function teamGames(h: PlayerGames): TeamGames {
  const byKey = new Map<string, { team: string; date: number; players: number[] }>();
  for (let i = 0; i < h.n; i++) {
    const key = `${h.gameId[i]}|${h.team[i]}`;
    let g = byKey.get(key);
    if (!g) {
      g = { team: h.team[i]!, date: h.date[i]!, players: [] };
      byKey.set(key, g);
    }
    g.players.push(h.playerId[i]!);
  }
  const out = new Map<string, Array<{ date: number; players: number[] }>>();
  for (const g of byKey.values()) {
    const list = out.get(g.team) ?? [];
    list.push({ date: g.date, players: g.players });
    out.set(g.team, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.date - b.date);
  return out;
}

/** The regulars of `team` for a game on `day` (see the module comment). */
function regulars(
  s: Sorted,
  games: Array<{ date: number; players: number[] }> | undefined,
  team: string,
  day: number,
  o: ContextOptions,
): Map<number, { minutes: number; pra: number }> {
  const out = new Map<number, { minutes: number; pra: number }>();
  if (!games) return out;
  let j = games.length;
  while (j > 0 && games[j - 1]!.date >= day) j--;
  const from = Math.max(0, j - o.teamGames);
  for (let g = from; g < j; g++) {
    for (const p of games[g]!.players) {
      if (out.has(p)) continue;
      const r = recent(s, p, day, o.window);
      if (r && r.team === team && r.minutes >= o.minMinutes && r.lastDate >= games[from]!.date) {
        out.set(p, { minutes: r.minutes, pra: r.pra });
      }
    }
  }
  return out;
}

/** The availability columns of the targets' rows, game by game. */
function availability(
  s: Sorted,
  tg: TeamGames,
  t: GameKeys,
  o: ContextOptions,
  inactive: ReadonlySet<number> | undefined,
  out: GameContext,
): void {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < t.n; i++) {
    const key = `${t.gameId[i]}|${t.team[i]}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  for (const rows of groups.values()) {
    const day = t.date[rows[0]!]!;
    const team = t.team[rows[0]!]!;
    // The game's participants: in training the rows (who played); for upcoming games with an
    // inactive list, the rows and every regular of the team who is not on the list.
    const present = new Set<number>();
    for (const i of rows) if (!inactive?.has(t.playerId[i]!)) present.add(t.playerId[i]!);
    const regs = regulars(s, tg.get(team), team, day, o);
    if (inactive) for (const p of regs.keys()) if (!inactive.has(p)) present.add(p);
    let minV = 0;
    let praV = 0;
    let nOut = 0;
    for (const [p, r] of regs) {
      if (present.has(p)) continue;
      minV += r.minutes;
      praV += r.pra;
      nOut++;
    }
    let praSum = 0;
    let usedSum = 0;
    const means = new Map<number, { pra: number; used: number }>();
    for (const p of present) {
      const r = recent(s, p, day, o.window);
      if (!r) continue;
      means.set(p, r);
      praSum += r.pra;
      usedSum += r.used;
    }
    for (const i of rows) {
      out.minutesVacated[i] = minV;
      out.praVacated[i] = praV;
      out.regularsOut[i] = nOut;
      const m = means.get(t.playerId[i]!);
      out.praShare[i] = m && praSum > 0 ? m.pra / praSum : Number.NaN;
      out.usageShare[i] = m && usedSum > 0 ? m.used / usedSum : Number.NaN;
    }
  }
}

/** Per defending team, its opponents' player-games in date order: prefix sums of PRA and counts by role. */
interface DefenseByRole {
  date: Int32Array;
  season: Int16Array;
  sum: Float64Array[];
  cnt: Float64Array[];
}

/** The opponents' player-games of every defending team with the player's role then (from the history only). */
function defenseByRole(s: Sorted, h: PlayerGames, o: ContextOptions): Map<string, DefenseByRole> {
  const byDefense = new Map<string, Array<{ date: number; season: number; role: number; pra: number }>>();
  for (let i = 0; i < h.n; i++) {
    const r = recent(s, h.playerId[i]!, h.date[i]!, o.window);
    if (!r) continue;
    const list = byDefense.get(h.opponent[i]!) ?? [];
    list.push({
      date: h.date[i]!,
      season: h.season[i]!,
      role: r.minutes >= o.threshold ? 1 : 0,
      pra: h.pra[i]!,
    });
    byDefense.set(h.opponent[i]!, list);
  }
  const prefix = new Map<string, DefenseByRole>();
  for (const [team, list] of byDefense) {
    list.sort((a, b) => a.date - b.date);
    const n = list.length;
    const p = {
      date: Int32Array.from(list, (x) => x.date),
      season: Int16Array.from(list, (x) => x.season),
      sum: [new Float64Array(n + 1), new Float64Array(n + 1)],
      cnt: [new Float64Array(n + 1), new Float64Array(n + 1)],
    };
    list.forEach((x, k) => {
      for (const role of [0, 1]) {
        p.sum[role]![k + 1] = p.sum[role]![k]! + (x.role === role ? x.pra : 0);
        p.cnt[role]![k + 1] = p.cnt[role]![k]! + (x.role === role ? 1 : 0);
      }
    });
    prefix.set(team, p);
  }
  return prefix;
}

/** Opponent PRA allowed to the role, season to date (see the module comment). */
function oppRoleAllowed(
  s: Sorted,
  prefix: Map<string, DefenseByRole>,
  t: GameKeys,
  o: ContextOptions,
  out: Float32Array,
): void {
  for (let i = 0; i < t.n; i++) {
    const p = prefix.get(t.opponent[i]!);
    const r = recent(s, t.playerId[i]!, t.date[i]!, o.window);
    if (!p || !r) {
      out[i] = Number.NaN;
      continue;
    }
    const role = r.minutes >= o.threshold ? 1 : 0;
    const j = lowerBound(p.date, 0, p.date.length, t.date[i]!);
    let a = j;
    while (a > 0 && p.season[a - 1] === t.season[i]) a--;
    const c = p.cnt[role]![j]! - p.cnt[role]![a]!;
    out[i] = c > 0 ? (p.sum[role]![j]! - p.sum[role]![a]!) / c : Number.NaN;
  }
}

/** What the context features need from a history, built once per history (a service prepares it at load). */
export interface ContextHistory {
  options: ContextOptions;
  sorted: Sorted;
  teamGames: TeamGames;
  defense: Map<string, DefenseByRole>;
}

export function prepareContext(
  history: PlayerGames,
  options: ContextOptions = DEFAULT_CONTEXT,
): ContextHistory {
  const sorted = sortHistory(history);
  return { options, sorted, teamGames: teamGames(history), defense: defenseByRole(sorted, history, options) };
}

/** The context columns of the target rows from a prepared history. */
export function contextFor(
  prepared: ContextHistory,
  targets: GameKeys,
  inactive?: ReadonlySet<number>,
): GameContext {
  const n = targets.n;
  const col = () => new Float32Array(n).fill(Number.NaN);
  const out: GameContext = {
    minutesVacated: col(),
    praVacated: col(),
    regularsOut: col(),
    praShare: col(),
    usageShare: col(),
    oppPraAllowedRole: col(),
  };
  const { options, sorted } = prepared;
  availability(sorted, prepared.teamGames, targets, options, inactive, out);
  oppRoleAllowed(sorted, prepared.defense, targets, options, out.oppPraAllowedRole);
  return out;
}

/** The context columns of every target row, from the history before each row's date. */
export function gameContext(
  history: PlayerGames,
  targets: GameKeys,
  options: ContextOptions = DEFAULT_CONTEXT,
  inactive?: ReadonlySet<number>,
): GameContext {
  return contextFor(prepareContext(history, options), targets, inactive);
}
