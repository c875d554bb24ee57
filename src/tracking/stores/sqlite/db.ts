/**
 * The embedded store's connection: one better-sqlite3 database (WAL, busy timeout, bulk-insert
 * pragmas, migrations), a bounded cache of prepared statements and immediate transactions.
 * The table classes (`experiments.ts`, `runs.ts`, …) all run their SQL through one of these.
 */
import Database from 'better-sqlite3';
import { NotFoundError, PropflowError, storageErrorOf } from '../../../errors.js';
import type { Page } from '../../entities.js';
import { encodePageToken, type SqlFragment, sqlAnd } from '../../search/index.js';
import { checkIsPropflowDatabase, migrate, SCHEMA_VERSION, schemaVersionOf } from './schema.js';

const STATEMENT_CACHE_MAX = 1000;

/** One page of items fetched with `LIMIT max + 1`: the extra item means there is a next page. */
export function page<T>(items: T[], max: number, offset: number): Page<T> {
  if (items.length > max) return { items: items.slice(0, max), nextPageToken: encodePageToken(offset + max) };
  return { items };
}

export class SqliteDb {
  private db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  /**
   * Open `dbPath` and bring its schema up to date. `uri` names the store in messages.
   * With `create`, a missing file is created (its folder must exist). Without, the file must
   * exist and is read through a read-only connection (nothing can be written by accident;
   * the one exception is upgrading a database from an older propflow, which reading needs).
   * A file that is not propflow's database (not SQLite, another application's tables, an
   * MLflow database) is refused before anything is written to it.
   */
  constructor(
    readonly dbPath: string,
    private readonly uri: string,
    busyTimeoutMs: number,
    create = true,
  ) {
    this.db = this.connect(!create);
    try {
      // Identify the file before any pragma: journal_mode = WAL alone rewrites a file's header.
      if (checkIsPropflowDatabase(this.db, this.dbPath) === 'empty' && !create) {
        throw new NotFoundError(
          `${this.dbPath} (from ${uri}) is an empty file, not a tracking store yet. Create one by running \`propflow demo\` (npm start) or any command that logs a run.`,
        );
      }
      if (this.db.readonly && schemaVersionOf(this.db) < SCHEMA_VERSION) {
        this.db.close();
        this.db = this.connect(false);
      }
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (!this.db.readonly) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // Bulk metric logging touches one leaf page per key per batch: a larger page cache and
      // fewer, larger WAL checkpoints keep it near SQLite's bulk-insert speed.
      this.db.pragma('cache_size = -65536');
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('journal_size_limit = 67108864');
      this.db.pragma('foreign_keys = OFF');
      migrate(this.db, this.dbPath);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private connect(readOnly: boolean): Database.Database {
    try {
      return new Database(this.dbPath, { fileMustExist: readOnly, readonly: readOnly });
    } catch (err) {
      throw new PropflowError(
        `Cannot open the tracking database ${this.dbPath}: ${(err as Error).message}. Check the path in --tracking-uri / MLFLOW_TRACKING_URI and its permissions.`,
        'IO_ERROR',
        { cause: err },
      );
    }
  }

  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.closed) throw new PropflowError(`The tracking store ${this.uri} is closed.`, 'INVALID_STATE');
      // Search SQL varies with the filter's shape (values are always bound): keep the cache bounded.
      if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.clear();
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  run(sql: string, ...params: unknown[]): Database.RunResult {
    try {
      return this.stmt(sql).run(...params);
    } catch (err) {
      throw this.writeError(err);
    }
  }

  /** The error for a failed write: a store opened read-only, a full or read-only disk, or as it is. */
  private writeError(err: unknown): unknown {
    if (this.db.readonly && String((err as { code?: unknown }).code).startsWith('SQLITE_READONLY')) {
      return new PropflowError(
        `The tracking store ${this.uri} was opened read-only (for a command that only reads); it cannot write.`,
        'INVALID_STATE',
        { cause: err },
      );
    }
    return storageErrorOf(err, 'tracking database', this.dbPath) ?? err;
  }

  tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw this.writeError(err);
    }
  }

  /**
   * One page of `SELECT <alias>.* FROM <table> <alias> WHERE … ORDER BY …` mapped to entities.
   * An order term is plain SQL, or a fragment when it binds values (a metric or tag key).
   */
  searchPage<R, T>(
    from: string,
    where: readonly SqlFragment[],
    order: readonly (string | SqlFragment)[],
    max: number,
    offset: number,
    map: (row: R) => T,
  ): Page<T> {
    const alias = from.split(' ')[1];
    const w = sqlAnd(where);
    const terms = order.map((o) => (typeof o === 'string' ? { sql: o, params: [] } : o));
    const sql = `SELECT ${alias}.* FROM ${from} WHERE ${w.sql} ORDER BY ${terms.map((o) => o.sql).join(', ')} LIMIT ? OFFSET ?`;
    const rows = this.stmt(sql).all(...w.params, ...terms.flatMap((o) => o.params), max + 1, offset) as R[];
    return page(rows.map(map), max, offset);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
}
