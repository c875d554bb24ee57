/**
 * Prop lines: one row per book's over/under line for one player-game, first snapshot only, and
 * the consensus over books (median line, best price per side, first snapshot time).
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
  const t: PropLines = {
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
  const keep = new Uint8Array(n);
  const excluded: Record<string, number> = {};
  const c = (k: string): number => col[k]!;
  const firstSnapshot = new Map<string, string>();
  const problems = new RowProblems();
  for (let r = 0; r < n; r++) {
    try {
      const row = rows[r]!;
      if (c('seasonType') >= 0) {
        const st = row[c('seasonType')]!.trim();
        if (st.toLowerCase() !== 'regular season') {
          bump(excluded, `not regular season (${st || 'blank'})`);
          continue;
        }
      }
      const pidRaw = row[c('playerId')]!.trim();
      if (pidRaw === '') {
        bump(excluded, 'player not matched to an NBA player id (blank)');
        continue;
      }
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
      if (line < 0)
        throw ctx.error(r, c('line'), row[c('line')]!, 'is a negative line', 'lines are 0 or more');
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
      const prev = firstSnapshot.get(gameId);
      if (prev === undefined || ts < prev) firstSnapshot.set(gameId, ts);
      keep[r] = 1;
    } catch (err) {
      problems.add(err);
    }
  }
  problems.throwIfAny();
  // only each game's first snapshot (later ones can be in-game), one row per book and player-game
  const seen = new Set<string>();
  const idx: number[] = [];
  for (let r = 0; r < n; r++) {
    if (!keep[r]) continue;
    if (t.snapshotTime[r] !== firstSnapshot.get(t.gameId[r]!)) {
      bump(excluded, 'later odds snapshot of the game (first snapshot kept)');
      continue;
    }
    const key = `${t.gameId[r]}|${t.playerId[r]}|${t.market[r]}|${t.book[r]}`;
    if (seen.has(key)) {
      bump(excluded, 'second line of the same book for the same player-game (first kept)');
      continue;
    }
    seen.add(key);
    idx.push(r);
  }
  if (idx.length === 0) {
    throw new DataError(`${file}: no lines left after leaving out ${JSON.stringify(excluded)}.`);
  }
  idx.sort((a, b) => {
    const d = t.date[a]! - t.date[b]!;
    if (d !== 0) return d;
    if (t.gameId[a] !== t.gameId[b]) return t.gameId[a]! < t.gameId[b]! ? -1 : 1;
    if (t.playerId[a] !== t.playerId[b]) return t.playerId[a]! - t.playerId[b]!;
    if (t.market[a] !== t.market[b]) return t.market[a]! < t.market[b]! ? -1 : 1;
    return t.book[a]! < t.book[b]! ? -1 : t.book[a]! > t.book[b]! ? 1 : 0;
  });
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

/** Read a prop-lines file (CSV, plain or gzip). */
export function readPropLines(
  file: string,
  mapping?: ColumnMapping,
): { table: PropLines; report: IngestReport } {
  return propLinesFromCsv(readCsv(file, tableMapping(mapping, 'lines').delimiter), mapping);
}

/**
 * The consensus per player-game and market: median line over books, the best American price
 * per side over books (highest payout), the number of books and the first snapshot time.
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
      groups.push([start, i]);
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
  };
  const buf: number[] = [];
  for (let g = 0; g < m; g++) {
    const [a, b] = groups[g]!;
    buf.length = 0;
    let bestOver = Number.NaN;
    let bestUnder = Number.NaN;
    let first = lines.snapshotTime[a]!;
    for (let i = a; i < b; i++) {
      buf.push(lines.line[i]!);
      const o = lines.overOdds[i]!;
      const u = lines.underOdds[i]!;
      if (
        !Number.isNaN(o) &&
        (Number.isNaN(bestOver) || americanToDecimal(o) > americanToDecimal(bestOver))
      ) {
        bestOver = o;
      }
      if (
        !Number.isNaN(u) &&
        (Number.isNaN(bestUnder) || americanToDecimal(u) > americanToDecimal(bestUnder))
      ) {
        bestUnder = u;
      }
      if (lines.snapshotTime[i]! < first) first = lines.snapshotTime[i]!;
    }
    buf.sort((x, y) => x - y);
    const k = buf.length;
    const median = k % 2 === 1 ? buf[(k - 1) / 2]! : (buf[k / 2 - 1]! + buf[k / 2]!) / 2;
    out.date[g] = lines.date[a]!;
    out.gameId[g] = lines.gameId[a]!;
    out.playerId[g] = lines.playerId[a]!;
    out.playerName[g] = lines.playerName[a]!;
    out.market[g] = lines.market[a]!;
    out.line[g] = median;
    out.overOdds[g] = bestOver;
    out.underOdds[g] = bestUnder;
    out.nBooks[g] = k;
    out.snapshotTime[g] = first;
  }
  return out;
}
