/**
 * Prop lines: one row per book's over/under line for one player-game at the game's first
 * snapshot (the opening quote, where bets are placed), with the same book's closing quote (its
 * last snapshot before tip-off), and the consensus over books (a quoted line near the median,
 * best price per side among the books quoting it).
 */
import { DataError } from '../errors.js';
import { type CsvText, readCsv } from './csv.js';
import { type IngestReport, parseNumber, RowContext, RowProblems } from './ingest.js';
import { type ColumnMapping, LINE_FIELDS, resolveColumns, tableMapping } from './mapping.js';
import { type ConsensusLines, type PropLines, parseGameDate, takeRows } from './schema.js';

/** Decimal payout per unit staked of American odds (NaN stays NaN). */
export function americanToDecimal(odds: number): number {
  return odds > 0 ? 1 + odds / 100 : 1 + 100 / -odds;
}

function bump(rec: Record<string, number>, why: string): void {
  rec[why] = (rec[why] ?? 0) + 1;
}

/** Prop lines from parsed CSV text. */
export function propLinesFromCsv(
  csv: CsvText,
  mapping?: ColumnMapping,
): { table: PropLines; report: IngestReport } {
  const { file, header, rows } = csv;
  const col = resolveColumns(file, header, LINE_FIELDS, tableMapping(mapping, 'lines'));
  const used = new Set(Object.values(col).filter((i) => i >= 0));
  const ctx = new RowContext(file, header);
  const n = rows.length;
  const t = emptyLines(n);
  const commence = new Array<string>(n).fill('');
  const keep = new Uint8Array(n);
  const excluded: Record<string, number> = {};
  const c = (k: string): number => col[k]!;
  const firstSnapshot = new Map<string, string>();
  const problems = new RowProblems();
  for (let r = 0; r < n; r++) {
    try {
      const read = readLineRow(ctx, c, rows[r]!, r, t);
      if ('excluded' in read) {
        bump(excluded, read.excluded);
        continue;
      }
      commence[r] = read.tip;
      const gameId = t.gameId[r]!;
      const ts = t.snapshotTime[r]!;
      const prev = firstSnapshot.get(gameId);
      if (prev === undefined || ts < prev) firstSnapshot.set(gameId, ts);
      keep[r] = 1;
    } catch (err) {
      problems.add(err);
    }
  }
  problems.throwIfAny();
  const { idx, closeOf } = openingAndClosing(t, keep, commence, firstSnapshot, excluded);
  if (idx.length === 0) {
    throw new DataError(`${file}: no lines left after leaving out ${JSON.stringify(excluded)}.`);
  }
  sortLines(t, idx);
  fillClosing(t, idx, closeOf);
  const table = takeRows('lines', t, idx);
  return {
    table,
    report: {
      file,
      table: 'lines',
      rowsRead: n,
      rowsKept: idx.length,
      excluded,
      ignoredColumns: header.filter((_, i) => !used.has(i)),
    },
  };
}

function emptyLines(n: number): PropLines {
  return {
    n,
    date: new Int32Array(n),
    gameId: new Array<string>(n),
    playerId: new Int32Array(n),
    playerName: new Array<string>(n),
    market: new Array<string>(n),
    book: new Array<string>(n),
    line: new Float32Array(n),
    overOdds: new Float32Array(n),
    underOdds: new Float32Array(n),
    snapshotTime: new Array<string>(n),
  };
}

/**
 * Row `r` validated into `t`: the reason it is left out (not regular season, no player id,
 * an in-game snapshot) or its tip-off time (blank when the file has none). Throws on a bad value.
 */
function readLineRow(
  ctx: RowContext,
  c: (k: string) => number,
  row: readonly string[],
  r: number,
  t: PropLines,
): { excluded: string } | { tip: string } {
  if (c('seasonType') >= 0) {
    const st = row[c('seasonType')]!.trim();
    if (st.toLowerCase() !== 'regular season') return { excluded: `not regular season (${st || 'blank'})` };
  }
  const pidRaw = row[c('playerId')]!.trim();
  if (pidRaw === '') return { excluded: 'player not matched to an NBA player id (blank)' };
  const pid = +pidRaw;
  if (!Number.isInteger(pid) || pid <= 0) {
    throw ctx.error(r, c('playerId'), pidRaw, 'is not a player id', 'player ids are positive integers');
  }
  const gameId = row[c('gameId')]!.trim();
  if (gameId === '')
    throw ctx.error(r, c('gameId'), gameId, 'is a blank game id', 'every line needs its game id');
  const dateRaw = row[c('date')]!;
  const date = parseGameDate(dateRaw);
  if (Number.isNaN(date)) {
    throw ctx.error(r, c('date'), dateRaw, 'is not a date', 'write dates as YYYY-MM-DD');
  }
  const line = parseNumber(ctx, r, c('line'), row[c('line')]!, false, 'the line');
  if (line < 0) throw ctx.error(r, c('line'), row[c('line')]!, 'is a negative line', 'lines are 0 or more');
  const odds = (k: 'overOdds' | 'underOdds'): number => {
    const raw = row[c(k)]!;
    const v = parseNumber(ctx, r, c(k), raw, true, 'American odds');
    if (!Number.isNaN(v) && v > -100 && v < 100) {
      throw ctx.error(
        r,
        c(k),
        raw,
        'is not American odds',
        'American odds are <= -100 or >= +100 (e.g. -110, +120)',
      );
    }
    return v;
  };
  t.overOdds[r] = odds('overOdds');
  t.underOdds[r] = odds('underOdds');
  t.date[r] = date;
  t.gameId[r] = gameId;
  t.playerId[r] = pid;
  t.playerName[r] = row[c('playerName')]!.trim();
  t.market[r] = c('market') >= 0 ? row[c('market')]!.trim() || 'PRA' : 'PRA';
  t.book[r] = row[c('book')]!.trim();
  t.line[r] = line;
  const ts = c('snapshotTime') >= 0 ? row[c('snapshotTime')]!.trim() : '';
  t.snapshotTime[r] = ts;
  const tip = c('commenceTime') >= 0 ? row[c('commenceTime')]!.trim() : '';
  if (tip !== '' && ts !== '' && ts >= tip)
    return { excluded: 'in-game odds snapshot (at or after tip-off)' };
  return { tip };
}

/** By date, game, player, market, then book. */
function sortLines(t: PropLines, idx: number[]): void {
  idx.sort((a, b) => {
    const d = t.date[a]! - t.date[b]!;
    if (d !== 0) return d;
    if (t.gameId[a] !== t.gameId[b]) return t.gameId[a]! < t.gameId[b]! ? -1 : 1;
    if (t.playerId[a] !== t.playerId[b]) return t.playerId[a]! - t.playerId[b]!;
    if (t.market[a] !== t.market[b]) return t.market[a]! < t.market[b]! ? -1 : 1;
    return t.book[a]! < t.book[b]! ? -1 : t.book[a]! > t.book[b]! ? 1 : 0;
  });
}

/** The closing quote of each kept row (its own quote when the book had no later one). */
function fillClosing(t: PropLines, idx: readonly number[], closeOf: ReadonlyMap<number, number>): void {
  const n = t.n;
  t.closeLine = new Float32Array(n).fill(Number.NaN);
  t.closeOverOdds = new Float32Array(n).fill(Number.NaN);
  t.closeUnderOdds = new Float32Array(n).fill(Number.NaN);
  t.closeSnapshotTime = new Array<string>(n).fill('');
  for (const r of idx) {
    const k = closeOf.get(r) ?? r;
    t.closeLine[r] = t.line[k]!;
    t.closeOverOdds[r] = t.overOdds[k]!;
    t.closeUnderOdds[r] = t.underOdds[k]!;
    t.closeSnapshotTime[r] = t.snapshotTime[k]!;
  }
}

/**
 * The rows kept (each game's first snapshot, one per book and player-game) and, per kept row,
 * the row of the same book's closing quote: its latest snapshot before tip-off. Without a
 * tip-off time a later snapshot cannot be told from an in-game one, so it is left out and the
 * opening quote is also the closing one.
 */
function openingAndClosing(
  t: PropLines,
  keep: Uint8Array,
  commence: readonly string[],
  firstSnapshot: ReadonlyMap<string, string>,
  excluded: Record<string, number>,
): { idx: number[]; closeOf: Map<number, number> } {
  const opening = new Map<string, number>();
  const latest = new Map<string, number>();
  const idx: number[] = [];
  for (let r = 0; r < t.n; r++) {
    if (!keep[r]) continue;
    const key = `${t.gameId[r]}|${t.playerId[r]}|${t.market[r]}|${t.book[r]}`;
    if (t.snapshotTime[r] !== firstSnapshot.get(t.gameId[r]!)) {
      if (commence[r] === '') {
        bump(excluded, 'later odds snapshot of the game without a tip-off time (first snapshot kept)');
        continue;
      }
      const cur = latest.get(key);
      if (cur === undefined || t.snapshotTime[r]! > t.snapshotTime[cur]!) latest.set(key, r);
      bump(excluded, 'later pre-game snapshot (kept as the closing quote of its book)');
      continue;
    }
    if (opening.has(key)) {
      bump(excluded, 'second line of the same book for the same player-game (first kept)');
      continue;
    }
    opening.set(key, r);
    idx.push(r);
  }
  const closeOf = new Map<number, number>();
  for (const [key, r] of opening) {
    const k = latest.get(key);
    if (k !== undefined) closeOf.set(r, k);
  }
  return { idx, closeOf };
}

/** Read a prop-lines file (CSV, plain or gzip). */
export function readPropLines(
  file: string,
  mapping?: ColumnMapping,
): { table: PropLines; report: IngestReport } {
  return propLinesFromCsv(readCsv(file, tableMapping(mapping, 'lines').delimiter), mapping);
}

/** The median of a few numbers (sorts `xs`). */
function median(xs: number[]): number {
  xs.sort((x, y) => x - y);
  const k = xs.length;
  return k % 2 === 1 ? xs[(k - 1) / 2]! : (xs[k / 2 - 1]! + xs[k / 2]!) / 2;
}

/**
 * The quoted line nearest the median of `lines` (ties: the line more books quote, then the
 * lower): the consensus is always a line a book offers, never a whole number between two.
 */
export function consensusLine(lines: readonly number[]): number {
  if (lines.length === 0) return Number.NaN;
  const mid = median([...lines]);
  const count = new Map<number, number>();
  for (const l of lines) count.set(l, (count.get(l) ?? 0) + 1);
  let best = Number.NaN;
  for (const [l, k] of count) {
    if (Number.isNaN(best)) {
      best = l;
      continue;
    }
    const d = Math.abs(l - mid) - Math.abs(best - mid);
    if (
      d < -1e-9 ||
      (Math.abs(d) <= 1e-9 && (k > count.get(best)! || (k === count.get(best)! && l < best)))
    ) {
      best = l;
    }
  }
  return best;
}

/** The better-paying of two American prices (NaN = not offered). */
function betterPrice(a: number, b: number): boolean {
  return !Number.isNaN(a) && (Number.isNaN(b) || americanToDecimal(a) > americanToDecimal(b));
}

/**
 * The consensus per player-game and market: the consensus line (the quoted line nearest the
 * median over books), the best American price per side among the books quoting that line and
 * which book offers it, the plain median, the number of books, the first snapshot time, and
 * the consensus of the books' closing lines. Every (line, price) pair is a real quote.
 * Expects rows sorted by game, player and market (as `readPropLines` returns them).
 */
export function consensusLines(lines: PropLines): ConsensusLines {
  const groups: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= lines.n; i++) {
    if (
      i === lines.n ||
      lines.gameId[i] !== lines.gameId[start] ||
      lines.playerId[i] !== lines.playerId[start] ||
      lines.market[i] !== lines.market[start]
    ) {
      if (i > start) groups.push([start, i]);
      start = i;
    }
  }
  const m = groups.length;
  const out: ConsensusLines = {
    n: m,
    date: new Int32Array(m),
    gameId: new Array<string>(m),
    playerId: new Int32Array(m),
    playerName: new Array<string>(m),
    market: new Array<string>(m),
    line: new Float32Array(m),
    overOdds: new Float32Array(m),
    underOdds: new Float32Array(m),
    nBooks: new Int32Array(m),
    snapshotTime: new Array<string>(m),
    medianLine: new Float32Array(m),
    overBook: new Array<string>(m),
    underBook: new Array<string>(m),
    closeLine: new Float32Array(m),
  };
  const close = lines.closeLine;
  for (let g = 0; g < m; g++) {
    const [a, b] = groups[g]!;
    const ls: number[] = [];
    const cs: number[] = [];
    let first = lines.snapshotTime[a]!;
    for (let i = a; i < b; i++) {
      ls.push(lines.line[i]!);
      if (close && !Number.isNaN(close[i]!)) cs.push(close[i]!);
      if (lines.snapshotTime[i]! < first) first = lines.snapshotTime[i]!;
    }
    const line = consensusLine(ls);
    let bestOver = Number.NaN;
    let bestUnder = Number.NaN;
    let overBook = '';
    let underBook = '';
    for (let i = a; i < b; i++) {
      if (lines.line[i] !== line) continue;
      if (betterPrice(lines.overOdds[i]!, bestOver)) {
        bestOver = lines.overOdds[i]!;
        overBook = lines.book[i]!;
      }
      if (betterPrice(lines.underOdds[i]!, bestUnder)) {
        bestUnder = lines.underOdds[i]!;
        underBook = lines.book[i]!;
      }
    }
    out.date[g] = lines.date[a]!;
    out.gameId[g] = lines.gameId[a]!;
    out.playerId[g] = lines.playerId[a]!;
    out.playerName[g] = lines.playerName[a]!;
    out.market[g] = lines.market[a]!;
    out.line[g] = line;
    out.overOdds[g] = bestOver;
    out.underOdds[g] = bestUnder;
    out.overBook![g] = overBook;
    out.underBook![g] = underBook;
    out.medianLine![g] = median(ls);
    out.closeLine![g] = cs.length > 0 ? consensusLine(cs) : Number.NaN;
    out.nBooks[g] = b - a;
    out.snapshotTime[g] = first;
  }
  return out;
}
