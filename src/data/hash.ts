/**
 * Dataset versioning. The content hash is computed on the canonical table, so the same data
 * gives the same hash whether it came as CSV, gzip or a stored Arrow dataset; it ignores the
 * order of rows and of columns and changes when any value changes.
 *
 * Algorithm (`propflow-rowset-v1`): every row gets a 64-bit hash that mixes, in column-name
 * order, each column's name hash with its value hash (numbers as float64 with one NaN, text as
 * UTF-16 code units). The row hashes are sorted (a multiset: row order drops out) and SHA-256
 * is taken over the sorted hashes after a schema line of sorted `name:type` pairs.
 */
import { createHash } from 'node:crypto';
import {
  type AnyTable,
  type ColumnSpec,
  type ColumnValues,
  formatDay,
  type PlayerGames,
  presentColumns,
  seasonLabel,
  type TableKind,
} from './schema.js';

export const HASH_ALGORITHM = 'propflow-rowset-v1';

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string, seed: number): number {
  let h = seed ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return fmix(h);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The 64-bit row hashes (hi, lo) of a table, mixed over its columns in name order. */
function rowHashes(columns: Array<[ColumnSpec, ColumnValues]>, n: number): BigUint64Array {
  const hi = new Uint32Array(n).fill(0x9e3779b9);
  const lo = new Uint32Array(n).fill(0x7f4a7c15);
  const sorted = [...columns].sort((a, b) => (a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0));
  for (const [spec, values] of sorted) {
    const nh = hashString(spec.name, 0x12345);
    const nl = hashString(spec.name, 0x6789a);
    if (Array.isArray(values)) {
      for (let i = 0; i < n; i++) {
        const s = values[i]!;
        hi[i] = fmix(Math.imul(hi[i]! ^ nh, 0x27d4eb2d) ^ hashString(s, 0x2545f491));
        lo[i] = fmix(Math.imul(lo[i]! ^ nl, 0x165667b1) ^ hashString(s, 0x9e3779b1));
      }
    } else {
      const v = values as Float32Array;
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        f64[0] = x === 0 ? 0 : x; // -0 → 0
        let a = u32[0]!;
        let b = u32[1]!;
        if (Number.isNaN(x)) {
          a = 0;
          b = 0x7ff80000; // one NaN
        }
        const vh = fmix(Math.imul(a, 0xcc9e2d51) ^ fmix(b + 0x1b873593));
        const vl = fmix(Math.imul(b, 0x85ebca6b) ^ fmix(a + 0xe6546b64));
        hi[i] = fmix(Math.imul(hi[i]! ^ nh, 0x27d4eb2d) ^ vh);
        lo[i] = fmix(Math.imul(lo[i]! ^ nl, 0x165667b1) ^ vl);
      }
    }
  }
  const out = new BigUint64Array(n);
  const view = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    view[2 * i] = lo[i]!;
    view[2 * i + 1] = hi[i]!;
  }
  return out;
}

/** Content hash (hex SHA-256) of one canonical table. */
export function tableHash(kind: TableKind, table: AnyTable): string {
  const cols = presentColumns(kind, table);
  const rows = rowHashes(cols, table.n).sort();
  const schema = cols
    .map(([s]) => `${s.name}:${s.type}`)
    .sort()
    .join(',');
  const h = createHash('sha256');
  h.update(`${HASH_ALGORITHM}|${kind}|${schema}|${table.n}\n`);
  h.update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  return h.digest('hex');
}

/** Missing values (NaN or empty text) per column. */
export function nullCounts(kind: TableKind, table: AnyTable): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [spec, values] of presentColumns(kind, table)) {
    let k = 0;
    if (Array.isArray(values)) {
      for (let i = 0; i < table.n; i++) if (values[i] === '') k++;
    } else {
      const v = values as Float32Array;
      for (let i = 0; i < table.n; i++) if (Number.isNaN(v[i])) k++;
    }
    out[spec.name] = k;
  }
  return out;
}

/** The version of a dataset: what the tracker logs (params, dataset input, training_info.json). */
export interface DatasetVersion {
  /** Content hash (hex SHA-256) of the player-game table: the training data. */
  hash: string;
  hash_algorithm: string;
  /** Player-game rows. */
  n_samples: number;
  n_players: number;
  n_games: number;
  n_teams: number;
  /** Season labels, e.g. `2023-24`, ascending. */
  seasons: string[];
  date_min: string;
  date_max: string;
  /** Missing values per player-game column. */
  null_counts: Record<string, number>;
  /** Player-game columns and their types. */
  columns: Array<{ name: string; type: string }>;
  /** Where the data came from (file paths, or `synthetic:seed=…`). */
  source: string;
  /** Every table of the dataset with its own hash and row count. */
  tables: Record<string, { hash: string; rows: number }>;
}

/** Compute the version of a dataset's tables. */
export function datasetVersion(
  tables: { players: PlayerGames } & Partial<Record<Exclude<TableKind, 'players'>, AnyTable>>,
  source: string,
): DatasetVersion {
  const p = tables.players;
  const players = new Set<number>();
  const games = new Set<string>();
  const teams = new Set<string>();
  const seasons = new Set<number>();
  let dmin = Number.POSITIVE_INFINITY;
  let dmax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < p.n; i++) {
    players.add(p.playerId[i]!);
    games.add(p.gameId[i]!);
    teams.add(p.team[i]!);
    seasons.add(p.season[i]!);
    const d = p.date[i]!;
    if (d < dmin) dmin = d;
    if (d > dmax) dmax = d;
  }
  const hash = tableHash('players', p);
  const tableInfo: DatasetVersion['tables'] = { players: { hash, rows: p.n } };
  for (const kind of ['teams', 'lines', 'consensus'] as const) {
    const t = tables[kind];
    if (t) tableInfo[kind] = { hash: tableHash(kind, t), rows: t.n };
  }
  return {
    hash,
    hash_algorithm: HASH_ALGORITHM,
    n_samples: p.n,
    n_players: players.size,
    n_games: games.size,
    n_teams: teams.size,
    seasons: [...seasons].sort((a, b) => a - b).map(seasonLabel),
    date_min: p.n ? formatDay(dmin) : '',
    date_max: p.n ? formatDay(dmax) : '',
    null_counts: nullCounts('players', p),
    columns: presentColumns('players', p).map(([s]) => ({ name: s.name, type: s.type })),
    source,
    tables: tableInfo,
  };
}
