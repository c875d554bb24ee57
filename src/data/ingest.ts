/**
 * Ingest of game logs (player and team) into the canonical tables. Every bad value is an error
 * naming the file, the data row, the column and the value, and saying how to fix it; rows left
 * out on purpose (e.g. non-regular-season games) are counted in the report.
 */
import { DataError } from '../errors.js';
import { type CsvText, readCsv } from './csv.js';
import {
  type ColumnMapping,
  type FieldSpec,
  PLAYER_FIELDS,
  resolveColumns,
  TEAM_FIELDS,
  tableMapping,
} from './mapping.js';
import {
  type AnyTable,
  formatDay,
  type GameColumns,
  OPTIONAL_STATS,
  type OptionalStat,
  type PlayerGames,
  parseGameDate,
  seasonOfDay,
  type TeamGames,
  takeRows,
} from './schema.js';

/** What one file's ingest did. */
export interface IngestReport {
  file: string;
  table: 'players' | 'teams' | 'lines';
  rowsRead: number;
  rowsKept: number;
  /** Rows left out on purpose, by reason. */
  excluded: Record<string, number>;
  /** Source columns not used. */
  ignoredColumns: string[];
  /** Consistency checks against the other files, e.g. team totals vs the sum of player rows. */
  checks?: Record<string, number>;
}

const SEASON_TYPES: Record<string, string> = {
  '1': 'Preseason',
  '2': 'Regular Season',
  '3': 'All-Star',
  '4': 'Playoffs',
  '5': 'PlayIn',
  '6': 'NBA Cup final',
};

/** Maximum minutes a player can play: 48 plus five overtimes. */
export const MAX_PLAYER_MINUTES = 73;
/** Maximum team minutes: 5 × 48 plus six overtimes of 25. */
export const MAX_TEAM_MINUTES = 400;

export class RowContext {
  constructor(
    readonly file: string,
    readonly header: readonly string[],
  ) {}

  /** `file: data row r (line l), column 'C': value 'v' <problem>. Fix: <fix>` */
  error(row: number, col: number, value: string, problem: string, fix: string): DataError {
    const name = col >= 0 ? this.header[col] : '?';
    return new DataError(
      `${this.file}: data row ${row + 1} (line ${row + 2}), column '${name}': value '${value}' ${problem}. Fix: ${fix}.`,
    );
  }
}

/**
 * Collects the row errors of a file so the first one can be reported with how many rows have
 * problems (fixing one row at a time is slow); anything that is not a data error is rethrown.
 */
export class RowProblems {
  private first: DataError | undefined;
  private rows = 0;

  add(err: unknown): void {
    if (!(err instanceof DataError)) throw err;
    this.first ??= err;
    this.rows++;
  }

  /** Throw the first error, with the number of rows that had one. */
  throwIfAny(): void {
    if (!this.first) return;
    if (this.rows === 1) throw this.first;
    throw new DataError(`${this.first.message} (${this.rows} rows have problems; this is the first)`, {
      cause: this.first,
    });
  }
}

/** A number, NaN for a blank when `optional`; throws for anything else. */
export function parseNumber(
  ctx: RowContext,
  row: number,
  col: number,
  raw: string,
  optional: boolean,
  what: string,
): number {
  if (raw === '' || raw.trim() === '') {
    if (optional) return Number.NaN;
    throw ctx.error(row, col, raw, `is blank but ${what} is required`, 'fill in the value or remove the row');
  }
  const v = +raw;
  if (Number.isNaN(v)) {
    throw ctx.error(
      row,
      col,
      raw,
      `is not a number (${what})`,
      'write plain numbers (e.g. 12 or 12.5) without units or thousands separators',
    );
  }
  return v;
}

/** Minutes as an integer, a decimal or `MM:SS`. */
export function parseMinutes(ctx: RowContext, row: number, col: number, raw: string, max: number): number {
  let v: number;
  const colon = raw.indexOf(':');
  if (colon >= 0) {
    const mm = raw.slice(0, colon).trim();
    const ss = raw.slice(colon + 1).trim();
    const m = /^\d+$/.test(mm) ? Number(mm) : Number.NaN;
    const s = /^\d{1,2}$/.test(ss) ? Number(ss) : Number.NaN;
    if (Number.isNaN(m) || Number.isNaN(s) || s >= 60) {
      throw ctx.error(
        row,
        col,
        raw,
        'is not minutes',
        "write minutes as 34, 34.2 or '34:12' (seconds below 60)",
      );
    }
    v = m + s / 60;
  } else {
    v = parseNumber(ctx, row, col, raw, false, 'minutes');
  }
  if (v < 0) throw ctx.error(row, col, raw, 'is negative minutes', 'minutes played are 0 or more');
  if (v > max) {
    throw ctx.error(
      row,
      col,
      raw,
      `is more minutes than a game allows (at most ${max})`,
      'check the column holds minutes (not seconds) for one game',
    );
  }
  return v;
}

interface Matchup {
  a: string;
  b: string;
  /** true: "A vs. B" (A at home); false: "A @ B" (B at home). */
  vs: boolean;
}

function parseMatchup(raw: string): Matchup | undefined {
  let m = /^\s*(\S+)\s+vs\.?\s+(\S+)\s*$/i.exec(raw);
  if (m) return { a: m[1]!, b: m[2]!, vs: true };
  m = /^\s*(\S+)\s+@\s+(\S+)\s*$/.exec(raw);
  if (m) return { a: m[1]!, b: m[2]!, vs: false };
  return undefined;
}

interface GameInfo {
  t1: string;
  t2: string;
  date: number;
  row: number;
}

/** Player or team game columns, filled row by row, before sorting and leaving rows out. */
interface ParsedGames extends Omit<GameColumns, OptionalStat> {
  keep: Uint8Array;
  playerId?: Int32Array;
  playerName?: string[];
  stats: Partial<Record<OptionalStat, Float32Array>>;
  excluded: Record<string, number>;
  ignoredColumns: string[];
}

function parseGameRows(
  csv: CsvText,
  fields: readonly FieldSpec[],
  mapping: ColumnMapping | undefined,
  kind: 'players' | 'teams',
): ParsedGames {
  const { file, header, rows } = csv;
  const tm = tableMapping(mapping, kind);
  const probe = resolveColumns(file, header, fields, tm);
  const needOppHome = probe['matchup']! < 0;
  const col = needOppHome ? resolveColumns(file, header, fields, tm, ['opponent', 'home']) : probe;
  const used = new Set(Object.values(col).filter((i) => i >= 0));
  const ignoredColumns = header.filter((_, i) => !used.has(i));
  const ctx = new RowContext(file, header);
  const n = rows.length;
  const isPlayers = kind === 'players';
  const maxMinutes = isPlayers ? MAX_PLAYER_MINUTES : MAX_TEAM_MINUTES;
  const out: ParsedGames = {
    n,
    keep: new Uint8Array(n),
    gameId: new Array<string>(n),
    date: new Int32Array(n),
    season: new Int16Array(n),
    team: new Array<string>(n),
    opponent: new Array<string>(n),
    home: new Uint8Array(n),
    minutes: new Float32Array(n),
    pts: new Float32Array(n),
    reb: new Float32Array(n),
    ast: new Float32Array(n),
    stats: {},
    excluded: {},
    ignoredColumns,
  };
  if (isPlayers) {
    out.playerId = new Int32Array(n);
    out.playerName = new Array<string>(n);
  }
  const statCols: Array<[OptionalStat, number, Float32Array]> = [];
  for (const s of OPTIONAL_STATS) {
    const ci = col[s]!;
    if (ci >= 0) {
      const arr = new Float32Array(n);
      out.stats[s] = arr;
      statCols.push([s, ci, arr]);
    }
  }
  const cGame = col['gameId']!;
  const cDate = col['date']!;
  const cSeasonId = col['seasonId']!;
  const cSeasonLabel = col['seasonLabel']!;
  const cSeasonType = col['seasonType']!;
  const cTeam = col['team']!;
  const cMatchup = col['matchup']!;
  const cOpp = col['opponent']!;
  const cHome = col['home']!;
  const cMin = col['minutes']!;
  const cPts = col['pts']!;
  const cReb = col['reb']!;
  const cAst = col['ast']!;
  const cPid = isPlayers ? col['playerId']! : -1;
  const cPname = isPlayers ? col['playerName']! : -1;
  const games = new Map<string, GameInfo>();
  const seen = new Map<string, number>();
  const excl = out.excluded;

  const problems = new RowProblems();
  for (let r = 0; r < n; r++) {
    try {
      const row = rows[r]!;
      // season type: rows that are not regular season are left out, and counted
      let seasonYear = Number.NaN;
      if (cSeasonId >= 0) {
        const sid = row[cSeasonId]!.trim();
        if (!/^\d{5}$/.test(sid)) {
          throw ctx.error(
            r,
            cSeasonId,
            sid,
            'is not an nba_api season id',
            "use the 5-digit form, e.g. '22023'",
          );
        }
        const digit = sid[0]!;
        if (digit !== '2') {
          const why = `not regular season (${SEASON_TYPES[digit] ?? `season type ${digit}`})`;
          excl[why] = (excl[why] ?? 0) + 1;
          continue;
        }
        seasonYear = Number(sid.slice(1));
      }
      if (cSeasonType >= 0) {
        const st = row[cSeasonType]!.trim();
        if (st !== '' && st.toLowerCase() !== 'regular season') {
          const why = `not regular season (${st})`;
          excl[why] = (excl[why] ?? 0) + 1;
          continue;
        }
      }
      const gameId = row[cGame]!.trim();
      if (gameId === '')
        throw ctx.error(r, cGame, gameId, 'is a blank game id', 'every row needs its game id');
      const dateRaw = row[cDate]!;
      const date = parseGameDate(dateRaw);
      if (Number.isNaN(date)) {
        throw ctx.error(
          r,
          cDate,
          dateRaw,
          'is not a date',
          'write dates as YYYY-MM-DD (also read: YYYY-MM-DDT00:00:00, MMM DD, YYYY, MM/DD/YYYY)',
        );
      }
      if (Number.isNaN(seasonYear) && cSeasonLabel >= 0) {
        const lab = row[cSeasonLabel]!.trim();
        const m = /^(\d{4})(-\d{2})?$/.exec(lab);
        if (!m) throw ctx.error(r, cSeasonLabel, lab, 'is not a season label', "write seasons as '2023-24'");
        seasonYear = Number(m[1]);
      }
      if (Number.isNaN(seasonYear)) seasonYear = seasonOfDay(date);

      const team = row[cTeam]!.trim();
      if (team === '')
        throw ctx.error(r, cTeam, team, 'is a blank team', 'every row needs its team abbreviation');
      let opponent: string;
      let home: number;
      if (cMatchup >= 0) {
        const raw = row[cMatchup]!;
        const mu = parseMatchup(raw);
        if (!mu) {
          throw ctx.error(
            r,
            cMatchup,
            raw,
            'is not a matchup',
            "write 'LAL vs. BOS' for a home game, 'LAL @ BOS' away",
          );
        }
        if (team === mu.a) {
          opponent = mu.b;
          home = mu.vs ? 1 : 0;
        } else if (team === mu.b) {
          // neutral-site games list the same matchup for both sides; the second team is the home side for '@'
          opponent = mu.a;
          home = mu.vs ? 0 : 1;
        } else {
          throw ctx.error(
            r,
            cMatchup,
            raw,
            `does not include the row's team '${team}' (team not in the game)`,
            `the team column (${header[cTeam]}) and the matchup must agree; fix whichever is wrong`,
          );
        }
      } else {
        opponent = row[cOpp]!.trim();
        if (opponent === '')
          throw ctx.error(r, cOpp, opponent, 'is a blank opponent', 'fill in the opponent');
        const h = row[cHome]!.trim().toLowerCase();
        if (h === '1' || h === 'true' || h === 'home' || h === 'h') home = 1;
        else if (h === '0' || h === 'false' || h === 'away' || h === 'a') home = 0;
        else throw ctx.error(r, cHome, h, 'is not a home/away flag', 'use 1 for home and 0 for away');
        if (opponent === team) {
          throw ctx.error(
            r,
            cOpp,
            opponent,
            'is the same as the team',
            'the opponent must be the other team',
          );
        }
      }
      // the game: one date, two teams
      const g = games.get(gameId);
      if (g === undefined) {
        games.set(gameId, { t1: team, t2: opponent, date, row: r });
      } else {
        if (g.date !== date) {
          throw ctx.error(
            r,
            cDate,
            dateRaw,
            `differs from the date of game ${gameId} in data row ${g.row + 1} (${formatDay(g.date)})`,
            'one game has one date; correct the game id or the date',
          );
        }
        const ok = (team === g.t1 && opponent === g.t2) || (team === g.t2 && opponent === g.t1);
        if (!ok) {
          throw ctx.error(
            r,
            cTeam,
            team,
            `with opponent '${opponent}' is not in game ${gameId}, which data row ${g.row + 1} says is ${g.t1} vs ${g.t2} (team not in the game)`,
            'correct the game id, the team or the opponent of one of these rows',
          );
        }
      }
      let key: string;
      if (isPlayers) {
        const pidRaw = row[cPid]!.trim();
        const pid = +pidRaw;
        if (pidRaw === '' || !Number.isInteger(pid) || pid <= 0 || pid > 2_147_483_647) {
          throw ctx.error(r, cPid, pidRaw, 'is not a player id', 'player ids are positive integers');
        }
        out.playerId![r] = pid;
        out.playerName![r] = row[cPname]!.trim();
        key = `${gameId}|${pid}`;
      } else {
        key = `${gameId}|${team}`;
      }
      const prev = seen.get(key);
      if (prev !== undefined) {
        const what = isPlayers ? `player ${out.playerId![r]}` : `team ${team}`;
        throw ctx.error(
          r,
          isPlayers ? cPid : cTeam,
          isPlayers ? String(out.playerId![r]) : team,
          `repeats ${what} in game ${gameId}, already in data row ${prev + 1} (duplicate ${isPlayers ? 'player' : 'team'}-game)`,
          'keep one row per game and ' + (isPlayers ? 'player' : 'team'),
        );
      }
      seen.set(key, r);
      out.gameId[r] = gameId;
      out.date[r] = date;
      out.season[r] = seasonYear;
      out.team[r] = team;
      out.opponent[r] = opponent;
      out.home[r] = home;
      out.minutes[r] = parseMinutes(ctx, r, cMin, row[cMin]!, maxMinutes);
      const pts = parseNumber(ctx, r, cPts, row[cPts]!, false, 'points');
      const reb = parseNumber(ctx, r, cReb, row[cReb]!, false, 'rebounds');
      const ast = parseNumber(ctx, r, cAst, row[cAst]!, false, 'assists');
      if (pts < 0) throw ctx.error(r, cPts, row[cPts]!, 'is negative', 'points are 0 or more');
      if (reb < 0) throw ctx.error(r, cReb, row[cReb]!, 'is negative', 'rebounds are 0 or more');
      if (ast < 0) throw ctx.error(r, cAst, row[cAst]!, 'is negative', 'assists are 0 or more');
      out.pts[r] = pts;
      out.reb[r] = reb;
      out.ast[r] = ast;
      for (let k = 0; k < statCols.length; k++) {
        const [name, ci, arr] = statCols[k]!;
        const raw = row[ci]!;
        const v = parseNumber(ctx, r, ci, raw, true, name);
        if (v < 0 && name !== 'plusMinus') {
          throw ctx.error(r, ci, raw, 'is negative', `${name} counts are 0 or more`);
        }
        arr[r] = v;
      }
      out.keep[r] = 1;
    } catch (err) {
      problems.add(err);
    }
  }
  problems.throwIfAny();
  return out;
}

/** Sort order of canonical tables: date, game, team, player. */
function sortedKeptIndex(g: ParsedGames): Int32Array {
  let m = 0;
  for (let i = 0; i < g.n; i++) m += g.keep[i]!;
  const idx = new Int32Array(m);
  let k = 0;
  for (let i = 0; i < g.n; i++) if (g.keep[i]) idx[k++] = i;
  const pid = g.playerId;
  idx.sort((a, b) => {
    const d = g.date[a]! - g.date[b]!;
    if (d !== 0) return d;
    const ga = g.gameId[a]!;
    const gb = g.gameId[b]!;
    if (ga !== gb) return ga < gb ? -1 : 1;
    const ta = g.team[a]!;
    const tb = g.team[b]!;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return pid ? pid[a]! - pid[b]! : 0;
  });
  return idx;
}

function report(
  file: string,
  table: IngestReport['table'],
  rowsRead: number,
  rowsKept: number,
  g: { excluded: Record<string, number>; ignoredColumns: string[] },
): IngestReport {
  return { file, table, rowsRead, rowsKept, excluded: g.excluded, ignoredColumns: g.ignoredColumns };
}

/** The kept rows of parsed game columns as a canonical table, sorted by date, game, team, player. */
function finish<T>(
  csv: CsvText,
  g: ParsedGames,
  kind: 'players' | 'teams',
): { table: T; report: IngestReport } {
  const { keep: _keep, stats, excluded, ignoredColumns, ...columns } = g;
  const full: Record<string, unknown> = { ...columns, ...stats };
  if (kind === 'players') {
    const pra = new Float32Array(g.n);
    for (let i = 0; i < g.n; i++) pra[i] = g.pts[i]! + g.reb[i]! + g.ast[i]!;
    full['pra'] = pra;
  }
  const idx = sortedKeptIndex(g);
  if (idx.length === 0) {
    throw new DataError(
      `${csv.file}: no rows left after leaving out ${JSON.stringify(excluded)}. Fix: pass regular-season game logs.`,
    );
  }
  const table = takeRows(kind, full as unknown as AnyTable, idx) as T;
  return { table, report: report(csv.file, kind, g.n, idx.length, g) };
}

/** Player game logs from parsed CSV text. */
export function playerGamesFromCsv(
  csv: CsvText,
  mapping?: ColumnMapping,
): { table: PlayerGames; report: IngestReport } {
  return finish<PlayerGames>(csv, parseGameRows(csv, PLAYER_FIELDS, mapping, 'players'), 'players');
}

/** Team game logs from parsed CSV text. */
export function teamGamesFromCsv(
  csv: CsvText,
  mapping?: ColumnMapping,
): { table: TeamGames; report: IngestReport } {
  return finish<TeamGames>(csv, parseGameRows(csv, TEAM_FIELDS, mapping, 'teams'), 'teams');
}

/** Read player game logs (CSV, plain or gzip). */
export function readPlayerGames(
  file: string,
  mapping?: ColumnMapping,
): { table: PlayerGames; report: IngestReport } {
  const tm = tableMapping(mapping, 'players');
  return playerGamesFromCsv(readCsv(file, tm.delimiter), mapping);
}

/** Read team game logs (CSV, plain or gzip). */
export function readTeamGames(
  file: string,
  mapping?: ColumnMapping,
): { table: TeamGames; report: IngestReport } {
  const tm = tableMapping(mapping, 'teams');
  return teamGamesFromCsv(readCsv(file, tm.delimiter), mapping);
}
