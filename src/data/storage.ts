/**
 * Datasets on disk: one folder with an Arrow IPC file per table (readable by pyarrow, pandas
 * `read_feather`, polars `read_ipc`) and `dataset.json` (the version and the ingest reports).
 * A dataset is written to a temporary sibling folder and renamed into place, so a failed write
 * leaves nothing behind.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Table as ArrowTable,
  DateDay,
  Dictionary,
  Int32,
  makeData,
  makeVector,
  type Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { AlreadyExistsError, DataError } from '../errors.js';
import { type DatasetVersion, datasetVersion } from './hash.js';
import type { IngestReport } from './ingest.js';
import {
  type AnyTable,
  type ColumnValues,
  type ConsensusLines,
  type PlayerGames,
  type PropLines,
  presentColumns,
  TABLE_COLUMNS,
  type TableKind,
  type TeamGames,
} from './schema.js';

/** A dataset in memory: the canonical tables, where they came from and what ingest did. */
export interface Dataset {
  players: PlayerGames;
  teams?: TeamGames;
  lines?: PropLines;
  consensus?: ConsensusLines;
  source: string;
  reports: IngestReport[];
}

export const DATASET_FORMAT = 'propflow-dataset';
export const DATASET_FORMAT_VERSION = 1;

/** What `dataset.json` holds. */
export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  formatVersion: number;
  version: DatasetVersion;
  reports: IngestReport[];
}

const KINDS: readonly TableKind[] = ['players', 'teams', 'lines', 'consensus'];
const DICTIONARY_COLUMNS = new Set(['playerName', 'team', 'opponent', 'market', 'book']);

/** A canonical table as an Arrow table (zero-copy for numeric columns). */
export function toArrow(kind: TableKind, table: AnyTable): Table {
  const vectors: Record<string, Vector> = {};
  for (const [spec, values] of presentColumns(kind, table)) {
    if (spec.type === 'string') {
      const type = DICTIONARY_COLUMNS.has(spec.name) ? new Dictionary(new Utf8(), new Int32()) : new Utf8();
      vectors[spec.name] = vectorFromArray(values as string[], type);
    } else if (spec.type === 'date') {
      vectors[spec.name] = makeVector(
        makeData({ type: new DateDay(), length: table.n, nullCount: 0, data: values as Int32Array }),
      );
    } else {
      vectors[spec.name] = makeVector(values as Float32Array);
    }
  }
  const t = new ArrowTable(vectors);
  t.schema.metadata.set('propflow.table', kind);
  return t;
}

function columnFromArrow(file: string, t: Table, name: string, type: string, n: number): ColumnValues {
  const child = t.getChild(name);
  if (!child) throw new DataError(`${file}: the Arrow file has no column '${name}'.`);
  if (type === 'string') return Array.from(child.toArray() as ArrayLike<string>, (s) => s ?? '');
  if (type === 'date') {
    const out = new Int32Array(n);
    let at = 0;
    for (const d of child.data) {
      out.set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), at);
      at += d.length;
    }
    return out;
  }
  return child.toArray() as ColumnValues;
}

/** An Arrow table as a canonical table of `kind`; columns not in the schema are ignored. */
export function fromArrow(kind: TableKind, t: Table, file = 'arrow table'): AnyTable {
  const out: Record<string, unknown> = { n: t.numRows };
  const names = new Set(t.schema.fields.map((f) => f.name));
  for (const spec of TABLE_COLUMNS[kind]) {
    if (!names.has(spec.name)) {
      if (spec.required) {
        throw new DataError(
          `${file}: column '${spec.name}' is missing from the stored ${kind} table. Fix: re-create the dataset with \`propflow data ingest\`.`,
        );
      }
      continue;
    }
    out[spec.name] = columnFromArrow(file, t, spec.name, spec.type, t.numRows);
  }
  return out as unknown as AnyTable;
}

/** Read one Arrow IPC file of a canonical table; the kind comes from its metadata or `kind`. */
export function readArrowTable(file: string, kind?: TableKind): { kind: TableKind; table: AnyTable } {
  let t: Table;
  try {
    t = tableFromIPC(readFileSync(file));
  } catch (err) {
    throw new DataError(
      `${file}: not a readable Arrow IPC file (${(err as Error).message}); it may be truncated or damaged. ` +
        'Fix: re-ingest the dataset (`propflow data ingest … --out DIR --force`, or `propflow data synth … --force`).',
      { cause: err },
    );
  }
  const meta = t.schema.metadata.get('propflow.table');
  const k = (kind ?? meta ?? 'players') as TableKind;
  if (!KINDS.includes(k)) throw new DataError(`${file}: unknown table kind '${k}' in its metadata.`);
  return { kind: k, table: fromArrow(k, t, file) };
}

/** Write a dataset folder atomically. With `force`, an existing folder is replaced. */
export function writeDataset(dir: string, ds: Dataset, options: { force?: boolean } = {}): DatasetManifest {
  const target = path.resolve(dir);
  if (existsSync(target) && !options.force) {
    throw new AlreadyExistsError(
      `${dir}: already exists. Fix: choose another --out folder, remove it, or pass --force to replace it.`,
    );
  }
  const parent = path.dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${Date.now()}`);
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    formatVersion: DATASET_FORMAT_VERSION,
    version: versionOf(ds),
    reports: ds.reports,
  };
  try {
    mkdirSync(tmp);
    for (const kind of KINDS) {
      const t = ds[kind];
      if (t) writeFileSync(path.join(tmp, `${kind}.arrow`), tableToIPC(toArrow(kind, t), 'file'));
    }
    writeFileSync(path.join(tmp, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(target)) {
      const old = `${tmp}-old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/** The version of an in-memory dataset. */
export function versionOf(ds: Dataset): DatasetVersion {
  const tables: Parameters<typeof datasetVersion>[0] = { players: ds.players };
  if (ds.teams) tables.teams = ds.teams;
  if (ds.lines) tables.lines = ds.lines;
  if (ds.consensus) tables.consensus = ds.consensus;
  return datasetVersion(tables, ds.source);
}

/**
 * Read a dataset folder written by `writeDataset`. With `verify` (the default) every table's
 * content hash is recomputed and must match `dataset.json`, so a folder changed after it was
 * written is an error rather than a silently different dataset.
 */
export function readDataset(dir: string, options: { verify?: boolean } = {}): Dataset {
  const manifestFile = path.join(dir, 'dataset.json');
  if (!existsSync(manifestFile)) {
    throw new DataError(
      `${dir}: not a propflow dataset (no dataset.json). Fix: create one with \`propflow data ingest … --out ${dir}\`.`,
    );
  }
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DatasetManifest;
  } catch (err) {
    throw new DataError(
      `${manifestFile}: cannot read the dataset manifest (${(err as Error).message}); it may be truncated or edited. ` +
        `Fix: re-ingest the dataset (\`propflow data ingest … --out ${dir} --force\`, or \`propflow data synth … --out ${dir} --force\`).`,
      { cause: err },
    );
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.version !== 'object') {
    throw new DataError(
      `${manifestFile}: not a propflow dataset manifest (no version). Fix: re-ingest the dataset with \`propflow data ingest … --out ${dir} --force\`.`,
    );
  }
  if (manifest.format !== DATASET_FORMAT || manifest.formatVersion > DATASET_FORMAT_VERSION) {
    throw new DataError(
      `${manifestFile}: format ${manifest.format} v${manifest.formatVersion} is not readable by this version (expects ${DATASET_FORMAT} v${DATASET_FORMAT_VERSION}).`,
    );
  }
  const ds: Dataset = {
    players: readArrowTable(path.join(dir, 'players.arrow'), 'players').table as PlayerGames,
    source: manifest.version.source,
    reports: manifest.reports,
  };
  for (const kind of ['teams', 'lines', 'consensus'] as const) {
    const f = path.join(dir, `${kind}.arrow`);
    if (existsSync(f)) {
      const t = readArrowTable(f, kind).table;
      if (kind === 'teams') ds.teams = t as TeamGames;
      else if (kind === 'lines') ds.lines = t as PropLines;
      else ds.consensus = t as ConsensusLines;
    }
  }
  if (options.verify !== false) {
    const now = versionOf(ds).tables;
    for (const [name, stored] of Object.entries(manifest.version.tables)) {
      const got = now[name];
      if (!got || got.hash !== stored.hash || got.rows !== stored.rows) {
        throw new DataError(
          `${dir}: table '${name}' does not match dataset.json (stored ${stored.rows} rows, hash ${stored.hash.slice(0, 12)}…; ` +
            `found ${got ? `${got.rows} rows, hash ${got.hash.slice(0, 12)}…` : 'no table'}): the folder was changed after it was written. ` +
            'Fix: re-create it with `propflow data ingest` or `propflow data synth`.',
        );
      }
    }
  }
  return ds;
}

/** True when `p` is a folder. */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
