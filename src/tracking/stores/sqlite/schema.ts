/**
 * The embedded store's schema as numbered migrations. `schema_version` holds the number of
 * the last applied one; a database from a newer propflow (a higher number than we know) is
 * refused rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { InvalidParameterError, PropflowError } from '../../../errors.js';

const MIGRATIONS: readonly string[] = [
  // 1: tracking, datasets, registry, logged models
  `
  CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    artifact_location TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    creation_time INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
  );
  CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE runs (
    run_pk INTEGER PRIMARY KEY AUTOINCREMENT,
    run_uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    artifact_uri TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    deleted_time INTEGER
  );
  CREATE INDEX runs_experiment ON runs(experiment_id, lifecycle_stage, start_time);
  CREATE TABLE params (
    run_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
  ) WITHOUT ROWID;
  CREATE TABLE tags (
    run_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
  ) WITHOUT ROWID;
  -- Metric keys interned to integers: the history table is the big one, so its rows stay small.
  CREATE TABLE metric_keys (
    key_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
  );
  -- Full history, clustered by (run, key, step) so reading one key's history is one range scan.
  CREATE TABLE metrics (
    run_pk INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    model_id TEXT,
    PRIMARY KEY (run_pk, key_id, step, timestamp, value, is_nan)
  ) WITHOUT ROWID;
  CREATE TABLE latest_metrics (
    run_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_uuid, key)
  ) WITHOUT ROWID;
  CREATE TABLE datasets (
    dataset_id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source TEXT NOT NULL,
    schema TEXT,
    profile TEXT,
    UNIQUE (experiment_id, name, digest)
  );
  CREATE TABLE run_inputs (
    input_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_uuid TEXT NOT NULL,
    dataset_id INTEGER NOT NULL REFERENCES datasets(dataset_id),
    UNIQUE (run_uuid, dataset_id)
  );
  CREATE TABLE input_tags (
    input_id INTEGER NOT NULL REFERENCES run_inputs(input_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (input_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE registered_models (
    name TEXT PRIMARY KEY,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    max_version INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE registered_model_tags (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, key)
  ) WITHOUT ROWID;
  CREATE TABLE registered_model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, alias)
  ) WITHOUT ROWID;
  CREATE TABLE model_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    current_stage TEXT NOT NULL DEFAULT 'None',
    source TEXT NOT NULL,
    storage_location TEXT NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    run_link TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'READY',
    status_message TEXT NOT NULL DEFAULT '',
    model_id TEXT,
    PRIMARY KEY (name, version)
  );
  CREATE TABLE model_version_tags (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, version, key)
  ) WITHOUT ROWID;
  CREATE TABLE logged_models (
    model_id TEXT PRIMARY KEY,
    experiment_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    artifact_location TEXT NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT,
    model_type TEXT NOT NULL DEFAULT '',
    source_run_id TEXT NOT NULL DEFAULT '',
    creation_timestamp_ms INTEGER NOT NULL,
    last_updated_timestamp_ms INTEGER NOT NULL,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active'
  );
  CREATE INDEX logged_models_experiment ON logged_models(experiment_id);
  CREATE TABLE logged_model_tags (
    model_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE logged_model_params (
    model_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE logged_model_metrics (
    model_id TEXT NOT NULL,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    run_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (model_id, key, step, timestamp, value, is_nan, run_id)
  ) WITHOUT ROWID;
  CREATE TABLE run_outputs (
    run_uuid TEXT NOT NULL,
    model_id TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_uuid, model_id)
  ) WITHOUT ROWID;
  `,
  // 2: metric points are appended to a small unindexed log first and merged into the
  // clustered history in large sorted chunks: a batch then dirties a handful of pages
  // instead of one leaf page per metric key.
  `
  CREATE TABLE metrics_log (
    run_pk INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL DEFAULT 0,
    model_id TEXT
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version a database is at (0 for an empty one). */
export function schemaVersionOf(db: Database.Database): number {
  const versioned = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (!versioned) return 0;
  return (
    (db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)?.version ?? 0
  );
}

/** Bring a database up to `SCHEMA_VERSION`; refuse one that is newer. */
export function migrate(db: Database.Database, dbPath: string): void {
  const versioned = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  const row = versioned
    ? (db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)
    : undefined;
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new PropflowError(
      `The tracking database ${dbPath} has schema version ${current}, but this propflow knows only up to version ${SCHEMA_VERSION}. Upgrade propflow to open it, or point MLFLOW_TRACKING_URI at another database.`,
      'INVALID_STATE',
    );
  }
  if (current === SCHEMA_VERSION) return;
  // One transaction: a first open that is interrupted leaves an empty database, not half a schema.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (row) db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    else db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
  }).immediate();
}

/** Tables every propflow database has (besides `schema_version`). */
const PROPFLOW_TABLES = ['experiments', 'runs', 'metric_keys', 'registered_models'];

/**
 * Refuse, before writing anything, a file that is not an empty or a propflow database: a
 * file that is not SQLite, another application's database, or an MLflow database (which
 * MLflow's own server should serve).
 */
export function checkIsPropflowDatabase(db: Database.Database, dbPath: string): 'empty' | 'propflow' {
  let tables: string[];
  try {
    tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } catch (err) {
    throw new InvalidParameterError(
      `${dbPath} is not an SQLite database (${(err as Error).message}). Point --tracking-uri / MLFLOW_TRACKING_URI at a propflow tracking database, or at a new file name to create one.`,
      { cause: err },
    );
  }
  // Empty, or only the version table of a first open that stopped before its migrations.
  if (tables.every((t) => t === 'schema_version')) return 'empty';
  const has = (t: string) => tables.includes(t);
  if (has('schema_version') && PROPFLOW_TABLES.every(has)) return 'propflow';
  if (has('alembic_version') && has('experiments')) {
    throw new InvalidParameterError(
      `${dbPath} is an MLflow database: serve it with \`mlflow server --backend-store-uri sqlite:///${dbPath}\` and point propflow at http://127.0.0.1:5000 (--tracking-uri or MLFLOW_TRACKING_URI). propflow left it untouched.`,
    );
  }
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? `, … (${tables.length} tables)` : '');
  throw new InvalidParameterError(
    `${dbPath} is an SQLite database but not propflow's (it has tables ${shown}); propflow left it untouched. Point --tracking-uri / MLFLOW_TRACKING_URI at a propflow tracking database, or at a new file name to create one.`,
  );
}
