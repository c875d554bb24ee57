/** The embedded store: SQLite (better-sqlite3) plus a local artifact folder. */
import { SqliteStore, type SqliteStoreOptions } from './store.js';

export { SqliteStore, type SqliteStoreOptions } from './store.js';

/** Open (creating on first use) an embedded store. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return new SqliteStore(options);
}
