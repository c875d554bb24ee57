/**
 * Canonical columnar tables. Every table is one object of parallel columns (typed arrays for
 * numbers, plain string arrays for text), never an array of row objects. A missing number is NaN.
 *
 * Dates are whole days since 1970-01-01 (UTC) in an Int32Array; a season is its start year
 * (2023 = the 2023-24 season).
 */

/** Column storage types, shared by hashing, storage and filtering. */
export type ColumnType = 'string' | 'date' | 'int32' | 'int16' | 'uint8' | 'float32';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** Required columns exist in every table of this kind; optional ones when the source has them. */
  readonly required: boolean;
}

/** Box-score counts that a source may or may not carry. */
export const OPTIONAL_STATS = [
  'fgm',
  'fga',
  'fg3m',
  'fg3a',
  'ftm',
  'fta',
  'oreb',
  'dreb',
  'stl',
  'blk',
  'tov',
  'pf',
  'plusMinus',
] as const;
export type OptionalStat = (typeof OPTIONAL_STATS)[number];

type OptionalStatColumns = { [K in OptionalStat]?: Float32Array };

/** The columns every game table has: one row per team (or player) and game. */
export interface GameColumns extends OptionalStatColumns {
  n: number;
  /** NBA game id as text, leading zeros kept (`0022300061`). */
  gameId: string[];
  date: Int32Array;
  season: Int16Array;
  team: string[];
  opponent: string[];
  /** 1 = home, 0 = away. */
  home: Uint8Array;
  minutes: Float32Array;
  pts: Float32Array;
  reb: Float32Array;
  ast: Float32Array;
}

/** One row per player per game played (regular season). */
export interface PlayerGames extends GameColumns {
  playerId: Int32Array;
  playerName: string[];
  /** Points + rebounds + assists, always derived here. */
  pra: Float32Array;
}

/** One row per team per game (regular season). */
export type TeamGames = GameColumns;

/** One row per book's over/under line for one player in one game (first snapshot only). */
export interface PropLines {
  n: number;
  date: Int32Array;
  gameId: string[];
  playerId: Int32Array;
  playerName: string[];
  /** `PRA` for points + rebounds + assists. */
  market: string[];
  book: string[];
  line: Float32Array;
  /** American odds; NaN when the book did not price that side. */
  overOdds: Float32Array;
  underOdds: Float32Array;
  /** ISO 8601 UTC time of the odds snapshot: the first (opening) snapshot of the game, where bets are placed. */
  snapshotTime: string[];
  /**
   * The same book's closing quote: its last snapshot before tip-off (the opening one when the
   * file has no tip-off time or no later pre-game snapshot). Absent in datasets written
   * before closing lines were kept.
   */
  closeLine?: Float32Array;
  closeOverOdds?: Float32Array;
  closeUnderOdds?: Float32Array;
  closeSnapshotTime?: string[];
}

/**
 * One row per player-game and market: the consensus (median) line over books, the best price
 * for each side over books, and the number of books.
 */
export interface ConsensusLines
  extends Omit<PropLines, 'book' | 'closeOverOdds' | 'closeUnderOdds' | 'closeSnapshotTime'> {
  /**
   * The consensus line: the quoted line nearest the median over books (ties: the line more books
   * quote, then the lower), so it is always a line some book offers.
   */
  line: Float32Array;
  /**
   * Best (highest-paying) American odds per side among the books quoting the consensus line;
   * NaN when none of them priced that side.
   */
  overOdds: Float32Array;
  underOdds: Float32Array;
  /** The plain median of the books' lines (can be a whole number no book quotes). */
  medianLine?: Float32Array;
  /** The book whose price is `overOdds` / `underOdds`. */
  overBook?: string[];
  underBook?: string[];
  /** The consensus (same rule) of the books' closing lines. */
  closeLine?: Float32Array;
  nBooks: Int32Array;
  /** The earliest snapshot time over books. */
  snapshotTime: string[];
}

const c = (name: string, type: ColumnType, required = true): ColumnSpec => ({ name, type, required });
const optionalStats = OPTIONAL_STATS.map((s) => c(s, 'float32', false));

const GAME_KEY_COLUMNS = [c('gameId', 'string'), c('date', 'date'), c('season', 'int16')];
const GAME_BODY_COLUMNS = [
  c('team', 'string'),
  c('opponent', 'string'),
  c('home', 'uint8'),
  c('minutes', 'float32'),
  c('pts', 'float32'),
  c('reb', 'float32'),
  c('ast', 'float32'),
];

export const PLAYER_GAME_COLUMNS: readonly ColumnSpec[] = [
  ...GAME_KEY_COLUMNS,
  c('playerId', 'int32'),
  c('playerName', 'string'),
  ...GAME_BODY_COLUMNS,
  c('pra', 'float32'),
  ...optionalStats,
];

export const TEAM_GAME_COLUMNS: readonly ColumnSpec[] = [
  ...GAME_KEY_COLUMNS,
  ...GAME_BODY_COLUMNS,
  ...optionalStats,
];

export const PROP_LINE_COLUMNS: readonly ColumnSpec[] = [
  c('date', 'date'),
  c('gameId', 'string'),
  c('playerId', 'int32'),
  c('playerName', 'string'),
  c('market', 'string'),
  c('book', 'string'),
  c('line', 'float32'),
  c('overOdds', 'float32'),
  c('underOdds', 'float32'),
  c('snapshotTime', 'string'),
  c('closeLine', 'float32', false),
  c('closeOverOdds', 'float32', false),
  c('closeUnderOdds', 'float32', false),
  c('closeSnapshotTime', 'string', false),
];

export const CONSENSUS_LINE_COLUMNS: readonly ColumnSpec[] = [
  c('date', 'date'),
  c('gameId', 'string'),
  c('playerId', 'int32'),
  c('playerName', 'string'),
  c('market', 'string'),
  c('line', 'float32'),
  c('overOdds', 'float32'),
  c('underOdds', 'float32'),
  c('nBooks', 'int32'),
  c('snapshotTime', 'string'),
  c('medianLine', 'float32', false),
  c('overBook', 'string', false),
  c('underBook', 'string', false),
  c('closeLine', 'float32', false),
];

export type TableKind = 'players' | 'teams' | 'lines' | 'consensus';

export const TABLE_COLUMNS: Record<TableKind, readonly ColumnSpec[]> = {
  players: PLAYER_GAME_COLUMNS,
  teams: TEAM_GAME_COLUMNS,
  lines: PROP_LINE_COLUMNS,
  consensus: CONSENSUS_LINE_COLUMNS,
};

/** Any of the canonical tables, seen generically. */
export interface AnyTable {
  n: number;
}

export type ColumnValues = string[] | Int32Array | Int16Array | Uint8Array | Float32Array;

/** A table's present columns in schema order: `[spec, values]`. */
export function presentColumns(kind: TableKind, table: AnyTable): Array<[ColumnSpec, ColumnValues]> {
  const out: Array<[ColumnSpec, ColumnValues]> = [];
  const rec = table as unknown as Record<string, ColumnValues | undefined>;
  for (const spec of TABLE_COLUMNS[kind]) {
    const v = rec[spec.name];
    if (v !== undefined) out.push([spec, v]);
  }
  return out;
}

/** Allocate an empty column of a type. */
export function allocColumn(type: ColumnType, n: number): ColumnValues {
  switch (type) {
    case 'string':
      return new Array<string>(n).fill('');
    case 'date':
    case 'int32':
      return new Int32Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'float32':
      return new Float32Array(n);
  }
}

/** A new table holding the rows `index` (in that order) of `table`. */
export function takeRows<T extends AnyTable>(kind: TableKind, table: T, index: ArrayLike<number>): T {
  const out: Record<string, unknown> = { n: index.length };
  for (const [spec, values] of presentColumns(kind, table)) {
    const dst = allocColumn(spec.type, index.length);
    if (Array.isArray(values)) {
      const d = dst as string[];
      for (let i = 0; i < index.length; i++) d[i] = values[index[i]!]!;
    } else {
      const d = dst as Float32Array;
      const s = values as Float32Array;
      for (let i = 0; i < index.length; i++) d[i] = s[index[i]!]!;
    }
    out[spec.name] = dst;
  }
  return out as unknown as T;
}

/** Row indices `i` of a table for which `keep(i)` holds. */
export function filterRows<T extends AnyTable>(kind: TableKind, table: T, keep: (i: number) => boolean): T {
  const idx: number[] = [];
  for (let i = 0; i < table.n; i++) if (keep(i)) idx.push(i);
  return takeRows(kind, table, idx);
}

// ---- dates ------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a calendar date. */
export function toEpochDay(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** `YYYY-MM-DD` for a day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Parse `YYYY-MM-DD` (strict) into a day number, or NaN. */
export function parseIsoDay(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return Number.NaN;
  return checkedDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

function checkedDay(y: number, mo: number, d: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return Number.NaN;
  const day = toEpochDay(y, mo, d);
  const back = new Date(day * DAY_MS);
  if (back.getUTCMonth() + 1 !== mo || back.getUTCDate() !== d) return Number.NaN;
  return day;
}

const MONTHS: Record<string, number> = {
  JAN: 1,
  FEB: 2,
  MAR: 3,
  APR: 4,
  MAY: 5,
  JUN: 6,
  JUL: 7,
  AUG: 8,
  SEP: 9,
  OCT: 10,
  NOV: 11,
  DEC: 12,
};

/**
 * Parse the date layouts NBA exports use: `2023-10-24`, `2023-10-24T00:00:00` (PlayerGameLogs),
 * `OCT 24, 2023` (playergamelog) and `10/24/2023`. Returns NaN when none fits.
 */
export function parseGameDate(raw: string): number {
  const s = raw.trim();
  if (s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    // fast path for YYYY-MM-DD
    const y = num4(s, 0);
    const mo = num2(s, 5);
    const d = num2(s, 8);
    if (y >= 0 && mo >= 0 && d >= 0) return checkedDay(y, mo, d);
    return Number.NaN;
  }
  let m = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?$/.exec(s);
  if (m) return checkedDay(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^([A-Za-z]{3})[a-z]* (\d{1,2}), (\d{4})$/.exec(s);
  if (m) {
    const mo = MONTHS[m[1]!.toUpperCase()];
    return mo === undefined ? Number.NaN : checkedDay(Number(m[3]), mo, Number(m[2]));
  }
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (m) return checkedDay(Number(m[3]), Number(m[1]), Number(m[2]));
  return Number.NaN;
}

function num2(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function num4(s: string, at: number): number {
  const a = num2(s, at);
  const b = num2(s, at + 2);
  return a >= 0 && b >= 0 ? a * 100 + b : -1;
}

/** The season (start year) a game date belongs to: September onwards starts a new season. */
export function seasonOfDay(day: number): number {
  const d = new Date(day * DAY_MS);
  const y = d.getUTCFullYear();
  return d.getUTCMonth() + 1 >= 9 ? y : y - 1;
}

/** `2023` → `2023-24`. */
export function seasonLabel(startYear: number): string {
  return `${startYear}-${String((startYear + 1) % 100).padStart(2, '0')}`;
}
