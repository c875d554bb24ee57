/**
 * Several files per table: a folder or a list of files is read file by file (each checked as
 * usual), the tables are concatenated in the canonical order, and a player-game, team-game or
 * quote that two files both hold is an error naming both files. The same step appends a new
 * season to an existing dataset folder.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import {
  type AnyTable,
  allocColumn,
  type ColumnValues,
  formatDay,
  type PropLines,
  presentColumns,
  TABLE_COLUMNS,
  type TableKind,
  takeRows,
} from './schema.js';
import { isDirectory } from './storage.js';

/** The files a path names: itself, or a folder's `.csv` / `.csv.gz` / `.tsv` files in name order. */
export function expandInputs(inputs: string | readonly string[], what: string): string[] {
  const list = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (list.length === 0)
    throw new DataError(`${what}: no file given. Fix: pass at least one CSV file or a folder of them.`);
  const out: string[] = [];
  for (const p of list) {
    if (!isDirectory(p)) {
      out.push(p);
      continue;
    }
    const files = readdirSync(p)
      .filter((f) => /\.(csv|tsv|txt)(\.gz)?$/i.test(f))
      .sort()
      .map((f) => path.join(p, f));
    if (files.length === 0) {
      throw new DataError(
        `${p}: the folder given for ${what} has no .csv or .csv.gz files. Fix: pass the files, or a folder holding them.`,
      );
    }
    out.push(...files);
  }
  const seen = new Set<string>();
  for (const f of out) {
    const abs = path.resolve(f);
    if (seen.has(abs)) throw new DataError(`${f}: given twice for ${what}. Fix: name each file once.`);
    seen.add(abs);
  }
  return out;
}

/** A part of a combined table and where it came from (a file, or an existing dataset). */
export interface TablePart<T extends AnyTable> {
  source: string;
  table: T;
}

const KEY_COLUMNS: Record<TableKind, string[]> = {
  players: ['gameId', 'playerId'],
  teams: ['gameId', 'team'],
  lines: ['gameId', 'playerId', 'market', 'book'],
  consensus: ['gameId', 'playerId', 'market'],
};

const ORDER_COLUMNS: Record<TableKind, string[]> = {
  players: ['date', 'gameId', 'team', 'playerId'],
  teams: ['date', 'gameId', 'team'],
  lines: ['date', 'gameId', 'playerId', 'market', 'book'],
  consensus: ['date', 'gameId', 'playerId', 'market'],
};

function describeKey(kind: TableKind, t: Record<string, ColumnValues>, i: number): string {
  const date = formatDay((t['date'] as Int32Array)[i]!);
  if (kind === 'players') return `player ${t['playerId']![i]} in game ${t['gameId']![i]} (${date})`;
  if (kind === 'teams') return `team ${t['team']![i]} in game ${t['gameId']![i]} (${date})`;
  return `the ${t['book']?.[i] ?? ''} quote of player ${t['playerId']![i]} in game ${t['gameId']![i]} (${date})`;
}

/** Concatenate the columns of the parts (a column some parts lack is missing there: NaN or ''). */
function concat<T extends AnyTable>(
  kind: TableKind,
  parts: readonly TablePart<T>[],
): Record<string, ColumnValues> & { n: number } {
  const n = parts.reduce((s, p) => s + p.table.n, 0);
  const out: Record<string, ColumnValues> & { n: number } = { n } as never;
  const present = parts.map((p) => new Map(presentColumns(kind, p.table).map(([spec, v]) => [spec.name, v])));
  for (const spec of TABLE_COLUMNS[kind]) {
    if (!present.some((m) => m.has(spec.name))) continue;
    const dst = allocColumn(spec.type, n);
    if (!Array.isArray(dst)) (dst as Float32Array).fill(spec.type === 'float32' ? Number.NaN : 0);
    let at = 0;
    parts.forEach((p, k) => {
      const src = present[k]!.get(spec.name);
      if (src) {
        if (Array.isArray(dst)) for (let i = 0; i < p.table.n; i++) dst[at + i] = (src as string[])[i]!;
        else (dst as Float32Array).set(src as Float32Array, at);
      } else if (spec.required) {
        throw new DataError(`${p.source}: the ${kind} table has no '${spec.name}' column.`);
      }
      at += p.table.n;
    });
    out[spec.name] = dst;
  }
  return out;
}

/**
 * The parts as one table in canonical order. A key (player-game, team-game, book quote) held by
 * two parts is an error naming both sources and the row.
 */
export function combineTables<T extends AnyTable>(kind: TableKind, parts: readonly TablePart<T>[]): T {
  if (parts.length === 1) return parts[0]!.table;
  const all = concat(kind, parts);
  const partOf = new Int32Array(all.n);
  let at = 0;
  parts.forEach((p, k) => {
    partOf.fill(k, at, at + p.table.n);
    at += p.table.n;
  });
  const keys = KEY_COLUMNS[kind].map((c) => all[c]!);
  const seen = new Map<string, number>();
  for (let i = 0; i < all.n; i++) {
    const key = keys.map((col) => col[i]).join('|');
    const prev = seen.get(key);
    if (prev !== undefined && partOf[prev] !== partOf[i]) {
      throw new DataError(
        `${parts[partOf[i]!]!.source}: ${describeKey(kind, all, i)} is already in ${parts[partOf[prev]!]!.source} ` +
          `(duplicate across files). Fix: give each ${kind === 'lines' ? 'quote' : 'game'} once (e.g. do not append a season twice).`,
      );
    }
    seen.set(key, i);
  }
  const order = ORDER_COLUMNS[kind].map((c) => all[c]!);
  const idx = Array.from({ length: all.n }, (_, i) => i);
  idx.sort((a, b) => {
    for (const col of order) {
      const x = col[a]!;
      const y = col[b]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
  return takeRows(kind, all as unknown as T, idx);
}

/** Lines tables combined (the consensus is recomputed by the caller from the result). */
export function combineLines(parts: readonly TablePart<PropLines>[]): PropLines {
  return combineTables('lines', parts);
}
