/**
 * The embedded store: one SQLite file (better-sqlite3, WAL, one transaction per write call)
 * plus a local artifact folder laid out as MLflow's `--artifacts-destination` proxy does:
 * `<artifactRoot>/<experimentId>/<runId>/artifacts/<path>`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { AlreadyExistsError, InvalidParameterError, NotFoundError, PropflowError } from '../../../errors.js';
import { LocalArtifactRepository, normalizeArtifactPath } from '../../artifacts/local.js';
import type {
  DatasetInput,
  Experiment,
  FileInfo,
  LifecycleStage,
  LoggedModel,
  LoggedModelMetric,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  ModelStage,
  ModelVersion,
  ModelVersionStatus,
  Page,
  Param,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../../entities.js';
import { LOGGED_MODEL_STATUSES, MLFLOW_TAGS, RUN_STATUSES } from '../../entities.js';
import {
  type Comparison,
  decodePageToken,
  EXPERIMENT_GRAMMAR,
  encodePageToken,
  filterItems,
  LOGGED_MODEL_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  type OrderClause,
  PROMPT_TAG,
  parseOrderBy,
  parseRegistryFilter,
  parseSearchFilter,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
  type SqlFragment,
  sortItems,
  sqlAnd,
  sqlCompare,
  sqlNotTagged,
} from '../../search/index.js';
import type {
  CreateLoggedModelOptions,
  CreateModelVersionOptions,
  CreateRunOptions,
  LogBatchOptions,
  LoggedModelStore,
  SearchExperimentsOptions,
  SearchLoggedModelsOptions,
  SearchModelsOptions,
  SearchRunsOptions,
  TrackingStore,
  UpdateRunOptions,
} from '../../store.js';
import {
  ACTIVE_STAGES,
  canonicalStage,
  LIMITS,
  paramChangedError,
  validateAliasName,
  validateArtifactLocation,
  validateBatchLimits,
  validateExperimentName,
  validateExperimentTag,
  validateLength,
  validateMaxResults,
  validateMetric,
  validateModelName,
  validateModelVersion,
  validateParam,
  validateParamKeysUnique,
  validateRegistryTag,
  validateTag,
} from '../../validation.js';
import { migrate } from './schema.js';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** The SQLite file (created with its folder on first use). */
  dbPath: string;
  /** The local folder artifacts are written to (created on first use). */
  artifactRoot: string;
  /**
   * How artifact locations are written: `'mlflow-artifacts:'` gives `mlflow-artifacts:/<exp>`
   * (a server proxying artifacts); otherwise `file://` URIs of the local folder.
   */
  artifactUriBase?: string;
  /** The URI reported as `store.uri` (default: `sqlite:///<dbPath>`). */
  uri?: string;
  /** Milliseconds a writer waits for a lock held by another process (default 10000). */
  busyTimeoutMs?: number;
}

const DEFAULT_EXPERIMENT_ID = 0;
const DEFAULT_EXPERIMENT_NAME = 'Default';
const RUN_SEARCH_DEFAULT = 1000;
const RUN_SEARCH_MAX = 50_000;
const EXPERIMENT_SEARCH_DEFAULT = 1000;
const EXPERIMENT_SEARCH_MAX = 50_000;
const MODEL_SEARCH_DEFAULT = 100;
const MODEL_SEARCH_MAX = 1000;
const VERSION_SEARCH_DEFAULT = 10_000;
const VERSION_SEARCH_MAX = 200_000;
const HISTORY_PAGE_MAX = 25_000;
const STATEMENT_CACHE_MAX = 1000;
/** Rows per multi-row metric INSERT (7 bound values each, well under SQLite's limit). */
const METRIC_CHUNK = 100;
/** Points the append-only metric log may hold before it is merged into the clustered history. */
const METRIC_LOG_MERGE_ROWS = 50_000;

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
}

interface RunRow {
  run_pk: number;
  run_uuid: string;
  name: string;
  experiment_id: number;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

interface MetricRow {
  run_uuid: string;
  key: string;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
}

interface ModelRow {
  name: string;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string;
  max_version: number;
}

interface VersionRow {
  name: string;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string;
  current_stage: ModelStage;
  source: string;
  storage_location: string;
  run_id: string;
  run_link: string;
  status: ModelVersionStatus;
  status_message: string;
}

interface LoggedModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  status: LoggedModelStatus;
  status_message: string | null;
  model_type: string;
  source_run_id: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}

const ADJECTIVES = [
  'bold',
  'calm',
  'clever',
  'eager',
  'fast',
  'gentle',
  'happy',
  'keen',
  'lucky',
  'merry',
  'nimble',
  'proud',
  'quiet',
  'rare',
  'sharp',
  'swift',
  'tidy',
  'vivid',
  'warm',
  'wise',
];
const NOUNS = [
  'badger',
  'crane',
  'dolphin',
  'eagle',
  'falcon',
  'gecko',
  'heron',
  'ibis',
  'jaguar',
  'koala',
  'lynx',
  'marten',
  'newt',
  'otter',
  'panda',
  'quail',
  'raven',
  'seal',
  'tiger',
  'wolf',
];

function randomRunName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}-${NOUNS[b[1]! % NOUNS.length]}-${b[2]! % 1000}`;
}

function lifecycleStages(viewType: ViewType | undefined): LifecycleStage[] {
  if (viewType === 'DELETED_ONLY') return ['deleted'];
  if (viewType === 'ALL') return ['active', 'deleted'];
  return ['active'];
}

function toTags(rows: readonly { key: string; value: string }[]): Tag[] {
  return rows.map((r) => ({ key: r.key, value: r.value }));
}

function metricValue(value: number, isNan: number): number {
  return isNan ? Number.NaN : value;
}

/** `(a > b)` on MLflow's ordering of metric values: step, then timestamp, then value. */
function newerMetric(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? 0 : a.value;
  const bv = Number.isNaN(b.value) ? 0 : b.value;
  return av > bv;
}

function joinUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.filter((p) => p !== '')].join('/');
}

export class SqliteStore implements TrackingStore, LoggedModelStore {
  readonly uri: string;
  readonly dbPath: string;
  readonly artifactRoot: string;
  readonly artifactUriBase: string | undefined;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Metric key → interned id (ids are never reused, so the cache stays valid). */
  private readonly keyIds = new Map<string, number>();
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    this.dbPath = path.resolve(options.dbPath);
    this.artifactRoot = path.resolve(options.artifactRoot);
    this.artifactUriBase = options.artifactUriBase;
    this.uri = options.uri ?? `sqlite:///${this.dbPath}`;
    mkdirSync(path.dirname(this.dbPath), { recursive: true });
    mkdirSync(this.artifactRoot, { recursive: true });
    try {
      this.db = new Database(this.dbPath);
    } catch (err) {
      throw new PropflowError(
        `Cannot open the tracking database ${this.dbPath}: ${(err as Error).message}. Check the path in MLFLOW_TRACKING_URI and its permissions.`,
        'IO_ERROR',
        { cause: err },
      );
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      this.db.pragma('synchronous = NORMAL');
      // Bulk metric logging touches one leaf page per key per batch: a larger page cache and
      // fewer, larger WAL checkpoints keep it near SQLite's bulk-insert speed.
      this.db.pragma('cache_size = -65536');
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('journal_size_limit = 67108864');
      this.db.pragma('foreign_keys = OFF');
      migrate(this.db, this.dbPath);
      this.ensureDefaultExperiment();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  // ── plumbing ───────────────────────────────────────────────────────────────

  private stmt(sql: string): Database.Statement {
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

  private get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private ensureDefaultExperiment(): void {
    const row = this.get<{ n: number }>(
      'SELECT count(*) AS n FROM experiments WHERE experiment_id = ?',
      DEFAULT_EXPERIMENT_ID,
    );
    if (row && row.n > 0) return;
    const taken = this.get('SELECT 1 FROM experiments WHERE name = ?', DEFAULT_EXPERIMENT_NAME);
    if (taken) return;
    const now = Date.now();
    this.run(
      'INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)',
      DEFAULT_EXPERIMENT_ID,
      DEFAULT_EXPERIMENT_NAME,
      this.defaultArtifactLocation(String(DEFAULT_EXPERIMENT_ID)),
      'active',
      now,
      now,
    );
  }

  private defaultArtifactLocation(experimentId: string): string {
    if (this.artifactUriBase === 'mlflow-artifacts:') return `mlflow-artifacts:/${experimentId}`;
    if (this.artifactUriBase) return joinUri(this.artifactUriBase, experimentId);
    return pathToFileURL(path.join(this.artifactRoot, experimentId)).href;
  }

  /**
   * The local folder an artifact URI points to: `mlflow-artifacts:/x` → `<root>/x`,
   * `file://…` and plain paths as they are. Other schemes are not stored locally.
   */
  localPathOf(uri: string): string {
    if (uri.startsWith('mlflow-artifacts:')) {
      const rest = uri.slice('mlflow-artifacts:'.length).replace(/^\/+/, '');
      const rel = normalizeArtifactPath(rest, 'artifact location');
      return rel === '' ? this.artifactRoot : path.join(this.artifactRoot, ...rel.split('/'));
    }
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    if (path.isAbsolute(uri)) return uri;
    if (!/^[a-zA-Z][\w+.-]*:/.test(uri)) return path.resolve(uri);
    throw new PropflowError(
      `The embedded store keeps artifacts in local folders only; '${uri}' is not one. Use a file path, a file:// URI, or a tracking server for remote artifact stores.`,
      'NOT_IMPLEMENTED',
    );
  }

  private parseExperimentId(experimentId: string): number {
    const s = String(experimentId);
    if (!/^\d+$/.test(s)) throw new NotFoundError(`No Experiment with id=${s} exists`);
    return Number(s);
  }

  // ── experiments ────────────────────────────────────────────────────────────

  private experimentRow(experimentId: string): ExperimentRow {
    const row = this.get<ExperimentRow>(
      'SELECT * FROM experiments WHERE experiment_id = ?',
      this.parseExperimentId(experimentId),
    );
    if (!row) throw new NotFoundError(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  private toExperiment(row: ExperimentRow): Experiment {
    return {
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactLocation: row.artifact_location,
      lifecycleStage: row.lifecycle_stage,
      creationTime: row.creation_time,
      lastUpdateTime: row.last_update_time,
      tags: toTags(
        this.all<Tag>(
          'SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key',
          row.experiment_id,
        ),
      ),
    };
  }

  async createExperiment(
    name: string,
    options?: { artifactLocation?: string; tags?: Tag[] },
  ): Promise<string> {
    validateExperimentName(name);
    validateArtifactLocation(options?.artifactLocation);
    const tags = (options?.tags ?? []).map(validateExperimentTag);
    return this.tx(() => {
      if (this.get('SELECT 1 FROM experiments WHERE name = ?', name)) {
        throw new AlreadyExistsError(
          `Experiment(name=${name}) already exists. Choose another name, or restore/rename the existing one.`,
        );
      }
      const now = Date.now();
      const info = this.run(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, '', 'active', ?, ?)",
        name,
        now,
        now,
      );
      const id = String(info.lastInsertRowid);
      const location = options?.artifactLocation || this.defaultArtifactLocation(id);
      this.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', location, Number(id));
      for (const t of tags) {
        this.run(
          'INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)',
          Number(id),
          t.key,
          t.value,
        );
      }
      return id;
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.toExperiment(this.experimentRow(experimentId));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    const row = this.get<ExperimentRow>('SELECT * FROM experiments WHERE name = ?', name);
    return row ? this.toExperiment(row) : null;
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const max = validateMaxResults(options.maxResults, EXPERIMENT_SEARCH_DEFAULT, EXPERIMENT_SEARCH_MAX);
    const filters = parseSearchFilter(options.filter, EXPERIMENT_GRAMMAR);
    const order = parseOrderBy(options.orderBy, EXPERIMENT_GRAMMAR);
    const offset = decodePageToken(options.pageToken);
    const stages = lifecycleStages(options.viewType);
    const where: SqlFragment[] = [
      { sql: `e.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`, params: stages },
    ];
    for (const c of filters) {
      if (c.type === 'tag') {
        const cmp = sqlCompare('t.value', c);
        where.push({
          sql: `EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ? AND ${cmp.sql})`,
          params: [c.key, ...cmp.params],
        });
      } else {
        const col = c.key === 'experiment_id' ? 'CAST(e.experiment_id AS TEXT)' : `e.${c.key}`;
        where.push(sqlCompare(col, c));
      }
    }
    const orderSql = order.map((o) => `e.${o.key} ${o.ascending ? 'ASC' : 'DESC'}`);
    if (order.length === 0) orderSql.push('e.creation_time DESC');
    orderSql.push('e.experiment_id ASC');
    return this.searchPage<ExperimentRow, Experiment>('experiments e', where, orderSql, max, offset, (r) =>
      this.toExperiment(r),
    );
  }

  /** One page of `SELECT <alias>.* FROM <table> <alias> WHERE … ORDER BY …` mapped to entities. */
  private searchPage<R, T>(
    from: string,
    where: readonly SqlFragment[],
    orderSql: readonly string[],
    max: number,
    offset: number,
    map: (row: R) => T,
  ): Page<T> {
    const alias = from.split(' ')[1];
    const w = sqlAnd(where);
    const sql = `SELECT ${alias}.* FROM ${from} WHERE ${w.sql} ORDER BY ${orderSql.join(', ')} LIMIT ? OFFSET ?`;
    const rows = this.stmt(sql).all(...w.params, max + 1, offset) as R[];
    return this.page(rows.map(map), max, offset);
  }

  private page<T>(items: T[], max: number, offset: number): Page<T> {
    if (items.length > max)
      return { items: items.slice(0, max), nextPageToken: encodePageToken(offset + max) };
    return { items };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    this.tx(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') {
        throw new InvalidParameterError(
          `Cannot rename experiment ${experimentId}: it is deleted. Restore it first.`,
        );
      }
      const other = this.get<{ experiment_id: number }>(
        'SELECT experiment_id FROM experiments WHERE name = ?',
        newName,
      );
      if (other && other.experiment_id !== row.experiment_id) {
        throw new AlreadyExistsError(`Experiment(name=${newName}) already exists. Choose another name.`);
      }
      this.run(
        'UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?',
        newName,
        Date.now(),
        row.experiment_id,
      );
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    this.tx(() => {
      const row = this.experimentRow(experimentId);
      const now = Date.now();
      this.run(
        "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?",
        now,
        row.experiment_id,
      );
      this.run(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'",
        now,
        row.experiment_id,
      );
    });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    this.tx(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'deleted') {
        throw new InvalidParameterError(`Cannot restore experiment ${experimentId}: it is not deleted.`);
      }
      this.run(
        "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?",
        Date.now(),
        row.experiment_id,
      );
      this.run(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ? AND lifecycle_stage = 'deleted'",
        row.experiment_id,
      );
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const tag = validateExperimentTag({ key, value });
    this.tx(() => {
      const row = this.experimentRow(experimentId);
      this.requireActiveExperiment(row);
      this.run(
        'INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)',
        row.experiment_id,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    this.tx(() => {
      const row = this.experimentRow(experimentId);
      this.requireActiveExperiment(row);
      const info = this.run(
        'DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?',
        row.experiment_id,
        key,
      );
      if (info.changes === 0) {
        throw new NotFoundError(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
    });
  }

  private requireActiveExperiment(row: ExperimentRow): void {
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidParameterError(
        `The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}. Restore it first.`,
      );
    }
  }

  // ── runs ───────────────────────────────────────────────────────────────────

  private runRow(runId: string): RunRow {
    const row = this.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', runId);
    if (!row) throw new NotFoundError(`Run with id=${runId} not found`);
    return row;
  }

  private activeRunRow(runId: string): RunRow {
    const row = this.runRow(runId);
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidParameterError(
        `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}. Restore it first.`,
      );
    }
    return row;
  }

  private toRunInfo(row: RunRow): RunInfo {
    return {
      runId: row.run_uuid,
      runName: row.name,
      experimentId: String(row.experiment_id),
      userId: row.user_id,
      status: row.status,
      startTime: row.start_time,
      endTime: row.end_time,
      artifactUri: row.artifact_uri,
      lifecycleStage: row.lifecycle_stage,
    };
  }

  /** Load params, latest metrics, tags, inputs and outputs of several runs at once. */
  private hydrateRuns(rows: RunRow[]): Run[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.run_uuid));
    const inList = 'IN (SELECT value FROM json_each(?))';
    const byRun = <T extends { run_uuid: string }>(list: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of list) {
        const arr = m.get(x.run_uuid);
        if (arr) arr.push(x);
        else m.set(x.run_uuid, [x]);
      }
      return m;
    };
    const params = byRun(
      this.all<{ run_uuid: string; key: string; value: string }>(
        `SELECT run_uuid, key, value FROM params WHERE run_uuid ${inList} ORDER BY key`,
        ids,
      ),
    );
    const tags = byRun(
      this.all<{ run_uuid: string; key: string; value: string }>(
        `SELECT run_uuid, key, value FROM tags WHERE run_uuid ${inList} ORDER BY key`,
        ids,
      ),
    );
    const metrics = byRun(
      this.all<MetricRow>(`SELECT * FROM latest_metrics WHERE run_uuid ${inList} ORDER BY key`, ids),
    );
    const inputs = byRun(
      this.all<{
        run_uuid: string;
        input_id: number;
        name: string;
        digest: string;
        source_type: string;
        source: string;
        schema: string | null;
        profile: string | null;
      }>(
        `SELECT i.run_uuid, i.input_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
         FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid ${inList} ORDER BY i.input_id`,
        ids,
      ),
    );
    const inputTags = new Map<number, Tag[]>();
    for (const t of this.all<{ input_id: number; key: string; value: string }>(
      `SELECT t.input_id, t.key, t.value FROM input_tags t JOIN run_inputs i ON i.input_id = t.input_id WHERE i.run_uuid ${inList} ORDER BY t.key`,
      ids,
    )) {
      const arr = inputTags.get(t.input_id) ?? [];
      arr.push({ key: t.key, value: t.value });
      inputTags.set(t.input_id, arr);
    }
    const outputs = byRun(
      this.all<{ run_uuid: string; model_id: string; step: number }>(
        `SELECT * FROM run_outputs WHERE run_uuid ${inList} ORDER BY model_id`,
        ids,
      ),
    );
    return rows.map((row) => ({
      info: this.toRunInfo(row),
      data: {
        metrics: (metrics.get(row.run_uuid) ?? []).map((m) => ({
          key: m.key,
          value: metricValue(m.value, m.is_nan),
          timestamp: m.timestamp,
          step: m.step,
        })),
        params: toTags(params.get(row.run_uuid) ?? []),
        tags: toTags(tags.get(row.run_uuid) ?? []),
      },
      inputs: {
        datasetInputs: (inputs.get(row.run_uuid) ?? []).map((i) => {
          const dataset: DatasetInput['dataset'] = {
            name: i.name,
            digest: i.digest,
            sourceType: i.source_type,
            source: i.source,
          };
          if (i.schema !== null) dataset.schema = i.schema;
          if (i.profile !== null) dataset.profile = i.profile;
          return { tags: inputTags.get(i.input_id) ?? [], dataset };
        }),
      },
      outputs: {
        modelOutputs: (outputs.get(row.run_uuid) ?? []).map((o) => ({ modelId: o.model_id, step: o.step })),
      },
    }));
  }

  async createRun(options: CreateRunOptions): Promise<Run> {
    const tags = (options.tags ?? []).map(validateTag);
    const runId = this.tx(() => {
      const exp = this.experimentRow(options.experimentId);
      this.requireActiveExperiment(exp);
      const runId = randomUUID().replace(/-/g, '');
      const tagName = tags.find((t) => t.key === MLFLOW_TAGS.runName)?.value;
      if (options.runName && tagName && options.runName !== tagName) {
        throw new InvalidParameterError(
          `Both 'run_name' ('${options.runName}') and the tag '${MLFLOW_TAGS.runName}' ('${tagName}') were given with different values; give one of them.`,
        );
      }
      const runName = options.runName || tagName || randomRunName();
      const userId = options.userId ?? tags.find((t) => t.key === MLFLOW_TAGS.user)?.value ?? 'unknown';
      const artifactUri = joinUri(exp.artifact_location, runId, 'artifacts');
      this.run(
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, ?, 'active')",
        runId,
        runName,
        exp.experiment_id,
        userId,
        options.startTime ?? Date.now(),
        artifactUri,
      );
      for (const t of tags)
        this.run(
          'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
          runId,
          t.key,
          t.value,
        );
      this.run(
        'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
        runId,
        MLFLOW_TAGS.runName,
        runName,
      );
      return runId;
    });
    return this.getRun(runId);
  }

  async getRun(runId: string): Promise<Run> {
    return this.hydrateRuns([this.runRow(runId)])[0]!;
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    if (update.status !== undefined && !RUN_STATUSES.includes(update.status)) {
      throw new InvalidParameterError(
        `Invalid run status '${update.status}'. Use one of ${RUN_STATUSES.join(', ')}.`,
      );
    }
    return this.tx(() => {
      const row = this.activeRunRow(runId);
      const status = update.status ?? row.status;
      const endTime = update.endTime ?? row.end_time;
      const name = update.runName || row.name;
      this.run(
        'UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_uuid = ?',
        status,
        endTime,
        name,
        runId,
      );
      if (update.runName) {
        this.run(
          'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
          runId,
          MLFLOW_TAGS.runName,
          name,
        );
      }
      return this.toRunInfo(this.runRow(runId));
    });
  }

  async deleteRun(runId: string): Promise<void> {
    this.tx(() => {
      this.runRow(runId);
      this.run(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?",
        Date.now(),
        runId,
      );
    });
  }

  async restoreRun(runId: string): Promise<void> {
    this.tx(() => {
      this.runRow(runId);
      this.run("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?", runId);
    });
  }

  async searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    const max = validateMaxResults(options.maxResults, RUN_SEARCH_DEFAULT, RUN_SEARCH_MAX);
    const filters = parseSearchFilter(options.filter, RUN_GRAMMAR);
    const order = parseOrderBy(options.orderBy, RUN_GRAMMAR);
    const offset = decodePageToken(options.pageToken);
    const experimentIds = (options.experimentIds ?? []).filter((id) => /^\d+$/.test(String(id))).map(Number);
    if (experimentIds.length === 0) return { items: [] };
    const stages = lifecycleStages(options.viewType);
    const where: SqlFragment[] = [
      { sql: 'r.experiment_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(experimentIds)] },
      { sql: `r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`, params: stages },
      ...filters.map((c) => this.runFilterSql(c)),
    ];
    const orderParts = order.map((o) => this.runOrderSql(o));
    orderParts.push({ sql: 'r.start_time DESC', params: [] }, { sql: 'r.run_uuid ASC', params: [] });
    const w = sqlAnd(where);
    const sql = `SELECT r.* FROM runs r WHERE ${w.sql} ORDER BY ${orderParts.map((o) => o.sql).join(', ')} LIMIT ? OFFSET ?`;
    const rows = this.stmt(sql).all(
      ...w.params,
      ...orderParts.flatMap((o) => o.params),
      max + 1,
      offset,
    ) as RunRow[];
    const page = this.page(rows, max, offset);
    const result: Page<Run> = { items: this.hydrateRuns(page.items) };
    if (page.nextPageToken) result.nextPageToken = page.nextPageToken;
    return result;
  }

  private runFilterSql(c: Comparison): SqlFragment {
    switch (c.type) {
      case 'metric': {
        const cmp = sqlCompare('m.value', c);
        return {
          sql: `EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ? AND m.is_nan = 0 AND ${cmp.sql})`,
          params: [c.key, ...cmp.params],
        };
      }
      case 'parameter':
      case 'tag': {
        const table = c.type === 'parameter' ? 'params' : 'tags';
        const cmp = sqlCompare('p.value', c);
        return {
          sql: `EXISTS (SELECT 1 FROM ${table} p WHERE p.run_uuid = r.run_uuid AND p.key = ? AND ${cmp.sql})`,
          params: [c.key, ...cmp.params],
        };
      }
      case 'dataset': {
        if (c.key === 'context') {
          const cmp = sqlCompare('t.value', c);
          return {
            sql: `EXISTS (SELECT 1 FROM run_inputs i JOIN input_tags t ON t.input_id = i.input_id AND t.key = 'mlflow.data.context' WHERE i.run_uuid = r.run_uuid AND ${cmp.sql})`,
            params: cmp.params,
          };
        }
        const cmp = sqlCompare(`d.${c.key}`, c);
        return {
          sql: `EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid = r.run_uuid AND ${cmp.sql})`,
          params: cmp.params,
        };
      }
      case 'attribute': {
        const col = c.key === 'run_id' ? 'r.run_uuid' : c.key === 'run_name' ? 'r.name' : `r.${c.key}`;
        return sqlCompare(col, c);
      }
    }
  }

  private runOrderSql(o: OrderClause): SqlFragment {
    const dir = o.ascending ? 'ASC' : 'DESC';
    switch (o.type) {
      case 'metric':
        return {
          sql: `(SELECT CASE WHEN m.is_nan = 1 THEN NULL ELSE m.value END FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ?) ${dir} NULLS LAST`,
          params: [o.key],
        };
      case 'parameter':
      case 'tag':
        return {
          sql: `(SELECT p.value FROM ${o.type === 'parameter' ? 'params' : 'tags'} p WHERE p.run_uuid = r.run_uuid AND p.key = ?) ${dir} NULLS LAST`,
          params: [o.key],
        };
      default: {
        const col = o.key === 'run_id' ? 'r.run_uuid' : o.key === 'run_name' ? 'r.name' : `r.${o.key}`;
        return { sql: `${col} ${dir} NULLS LAST`, params: [] };
      }
    }
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.logBatch(runId, { metrics: [metric] });
  }

  async logParam(runId: string, param: Param): Promise<void> {
    await this.logBatch(runId, { params: [param] });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    await this.logBatch(runId, { tags: [tag] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    this.tx(() => {
      this.activeRunRow(runId);
      const info = this.run('DELETE FROM tags WHERE run_uuid = ? AND key = ?', runId, key);
      if (info.changes === 0) {
        throw new NotFoundError(`No tag with name: ${key} in run with id ${runId}`);
      }
    });
  }

  async logBatch(runId: string, batch: LogBatchOptions): Promise<void> {
    const rawMetrics = batch.metrics ?? [];
    const rawParams = batch.params ?? [];
    const rawTags = batch.tags ?? [];
    validateBatchLimits(rawMetrics.length, rawParams.length, rawTags.length);
    const metrics = rawMetrics.map(validateMetric);
    const params = rawParams.map(validateParam);
    const tags = rawTags.map(validateTag);
    validateParamKeysUnique(params);
    const keyIds = metrics.length > 0 ? this.internKeys(metrics) : null;
    this.tx(() => {
      const run = this.activeRunRow(runId);
      this.insertParams('params', 'run_uuid', runId, params, 'run');
      for (const t of tags) {
        this.run(
          'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
          runId,
          t.key,
          t.value,
        );
        if (t.key === MLFLOW_TAGS.runName)
          this.run('UPDATE runs SET name = ? WHERE run_uuid = ?', t.value, runId);
      }
      if (keyIds) this.insertMetrics(run, metrics, keyIds);
    });
  }

  /** Insert params of a run or logged model: logging one again is fine, changing its value is not (MLflow). */
  private insertParams(
    table: 'params' | 'logged_model_params',
    idColumn: 'run_uuid' | 'model_id',
    id: string,
    params: readonly Param[],
    owner: 'run' | 'logged model',
  ): void {
    for (const p of params) {
      const info = this.run(
        `INSERT INTO ${table} (${idColumn}, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
        id,
        p.key,
        p.value,
      );
      if (info.changes === 0) {
        const old = this.get<{ value: string }>(
          `SELECT value FROM ${table} WHERE ${idColumn} = ? AND key = ?`,
          id,
          p.key,
        );
        if (old && old.value !== p.value) throw paramChangedError(id, p.key, old.value, p.value, owner);
      }
    }
  }

  /** Interned ids of the batch's metric keys, in batch order (new keys committed on their own). */
  private internKeys(metrics: readonly Metric[]): Int32Array {
    const ids = new Int32Array(metrics.length);
    const missing: string[] = [];
    for (let i = 0; i < metrics.length; i++) {
      const id = this.keyIds.get(metrics[i]!.key);
      if (id === undefined) missing.push(metrics[i]!.key);
      else ids[i] = id;
    }
    if (missing.length > 0) {
      this.tx(() => {
        for (const key of new Set(missing)) {
          this.run('INSERT OR IGNORE INTO metric_keys (key) VALUES (?)', key);
          const row = this.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE key = ?', key)!;
          this.keyIds.set(key, row.key_id);
        }
      });
      for (let i = 0; i < metrics.length; i++) ids[i] = this.keyIds.get(metrics[i]!.key)!;
    }
    return ids;
  }

  private keyId(key: string): number | undefined {
    const cached = this.keyIds.get(key);
    if (cached !== undefined) return cached;
    const row = this.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE key = ?', key);
    if (row) this.keyIds.set(key, row.key_id);
    return row?.key_id;
  }

  private insertMetrics(run: RunRow, metrics: Metric[], keyIds: Int32Array): void {
    const runId = run.run_uuid;
    const runPk = run.run_pk;
    const rowSql = '(?, ?, ?, ?, ?, ?, ?)';
    const head = 'INSERT INTO metrics_log (run_pk, key_id, step, timestamp, value, is_nan, model_id) VALUES ';
    const bulk = this.stmt(head + Array(METRIC_CHUNK).fill(rowSql).join(', '));
    const single = this.stmt(head + rowSql);
    const values: unknown[] = new Array(METRIC_CHUNK * 7);
    let i = 0;
    for (; i + METRIC_CHUNK <= metrics.length; i += METRIC_CHUNK) {
      for (let j = 0; j < METRIC_CHUNK; j++) {
        const m = metrics[i + j]!;
        const nan = Number.isNaN(m.value);
        const o = j * 7;
        values[o] = runPk;
        values[o + 1] = keyIds[i + j];
        values[o + 2] = m.step;
        values[o + 3] = m.timestamp;
        values[o + 4] = nan ? 0 : m.value;
        values[o + 5] = nan ? 1 : 0;
        values[o + 6] = m.modelId ?? null;
      }
      bulk.run(values);
    }
    for (; i < metrics.length; i++) {
      const m = metrics[i]!;
      const nan = Number.isNaN(m.value);
      single.run(runPk, keyIds[i], m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0, m.modelId ?? null);
    }
    // The log's rowids restart after each merge, so the largest one tells its size cheaply.
    const size = this.get<{ n: number | null }>('SELECT max(rowid) AS n FROM metrics_log');
    if ((size?.n ?? 0) >= METRIC_LOG_MERGE_ROWS) this.mergeMetricLog();
    // The latest value per key: reduce the batch first, then one upsert per key.
    const latest = new Map<string, Metric>();
    for (const m of metrics) {
      const cur = latest.get(m.key);
      if (!cur || newerMetric(m, cur)) latest.set(m.key, m);
    }
    // Multi-row upsert: the newer of (step, timestamp, value) wins, as in MLflow.
    const upsertHead = 'INSERT INTO latest_metrics (run_uuid, key, step, timestamp, value, is_nan) VALUES ';
    const upsertTail = ` ON CONFLICT (run_uuid, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
       WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`;
    const newest = [...latest.values()];
    for (let k = 0; k < newest.length; k += METRIC_CHUNK) {
      const part = newest.slice(k, k + METRIC_CHUNK);
      const args: unknown[] = [];
      for (const m of part) {
        const nan = Number.isNaN(m.value);
        args.push(runId, m.key, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0);
      }
      this.stmt(upsertHead + Array(part.length).fill('(?, ?, ?, ?, ?, ?)').join(', ') + upsertTail).run(args);
    }
    const modelMetric = this.stmt(
      'INSERT OR IGNORE INTO logged_model_metrics (model_id, key, step, timestamp, value, is_nan, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const m of metrics) {
      if (m.modelId === undefined) continue;
      const nan = Number.isNaN(m.value);
      modelMetric.run(m.modelId, m.key, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0, runId);
    }
  }

  /** Move the metric log into the clustered history (sorted, so each leaf page is written once). */
  private mergeMetricLog(): void {
    this.run(
      `INSERT OR IGNORE INTO metrics (run_pk, key_id, step, timestamp, value, is_nan, model_id)
       SELECT run_pk, key_id, step, timestamp, value, is_nan, model_id FROM metrics_log
       ORDER BY run_pk, key_id, step, timestamp, value, is_nan`,
    );
    this.run('DELETE FROM metrics_log');
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    if (datasets.length > LIMITS.datasetsPerBatch) {
      throw new InvalidParameterError(
        `A batch logging request can contain at most ${LIMITS.datasetsPerBatch} datasets. Got ${datasets.length} datasets. Please split up datasets across multiple requests and try again.`,
      );
    }
    for (const d of datasets) {
      if (!d?.dataset?.name || !d.dataset.digest) {
        throw new InvalidParameterError('Each dataset input needs dataset.name and dataset.digest.');
      }
      validateLength('Dataset name', LIMITS.datasetNameLength, d.dataset.name);
      validateLength('Dataset digest', LIMITS.datasetDigestLength, d.dataset.digest);
      for (const t of d.tags ?? []) {
        validateLength('Input tag key', LIMITS.inputTagKeyLength, t.key);
        validateLength('Input tag value', LIMITS.inputTagValueLength, t.value);
      }
    }
    this.tx(() => {
      const run = this.activeRunRow(runId);
      for (const d of datasets) {
        const ds = d.dataset;
        this.run(
          `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
          run.experiment_id,
          ds.name,
          ds.digest,
          ds.sourceType ?? '',
          ds.source ?? '',
          ds.schema ?? null,
          ds.profile ?? null,
        );
        const { dataset_id } = this.get<{ dataset_id: number }>(
          'SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
          run.experiment_id,
          ds.name,
          ds.digest,
        )!;
        this.run(
          'INSERT INTO run_inputs (run_uuid, dataset_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
          runId,
          dataset_id,
        );
        const { input_id } = this.get<{ input_id: number }>(
          'SELECT input_id FROM run_inputs WHERE run_uuid = ? AND dataset_id = ?',
          runId,
          dataset_id,
        )!;
        for (const t of d.tags ?? []) {
          this.run(
            'INSERT OR REPLACE INTO input_tags (input_id, key, value) VALUES (?, ?, ?)',
            input_id,
            t.key,
            t.value,
          );
        }
      }
    });
  }

  async getMetricHistory(
    runId: string,
    metricKey: string,
    options?: { maxResults?: number; pageToken?: string },
  ): Promise<Page<Metric>> {
    const run = this.runRow(runId);
    const offset = decodePageToken(options?.pageToken);
    const max =
      options?.maxResults === undefined
        ? -1
        : validateMaxResults(options.maxResults, HISTORY_PAGE_MAX, HISTORY_PAGE_MAX);
    const keyId = this.keyId(metricKey);
    if (keyId === undefined) return { items: [] };
    // History = clustered table ∪ the not yet merged log (UNION drops points logged twice).
    // Without pending points the clustered table alone is read, already in order.
    const pending = this.get(
      'SELECT 1 FROM metrics_log WHERE run_pk = ? AND key_id = ? LIMIT 1',
      run.run_pk,
      keyId,
    );
    const limit = max < 0 ? -1 : max + 1;
    const rows = pending
      ? this.all<Omit<MetricRow, 'run_uuid' | 'key'>>(
          `SELECT step, timestamp, value, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
           UNION SELECT step, timestamp, value, is_nan FROM metrics_log WHERE run_pk = ? AND key_id = ?
           ORDER BY step, timestamp, value, is_nan LIMIT ? OFFSET ?`,
          run.run_pk,
          keyId,
          run.run_pk,
          keyId,
          limit,
          offset,
        )
      : this.all<Omit<MetricRow, 'run_uuid' | 'key'>>(
          `SELECT step, timestamp, value, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
           ORDER BY step, timestamp, value, is_nan LIMIT ? OFFSET ?`,
          run.run_pk,
          keyId,
          limit,
          offset,
        );
    const items = rows.map((m) => ({
      key: metricKey,
      value: metricValue(m.value, m.is_nan),
      timestamp: m.timestamp,
      step: m.step,
    }));
    return max < 0 ? { items } : this.page(items, max, offset);
  }

  // ── artifacts ──────────────────────────────────────────────────────────────

  /** The artifact folder of a run, as a repository confined to it. */
  runArtifacts(runId: string): LocalArtifactRepository {
    const row = this.runRow(runId);
    return new LocalArtifactRepository(this.localPathOf(row.artifact_uri));
  }

  async logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void> {
    const repo = this.runArtifacts(runId);
    mkdirSync(repo.root, { recursive: true });
    await repo.write(artifactPath, content);
  }

  async logArtifactsFrom(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const repo = this.runArtifacts(runId);
    mkdirSync(repo.root, { recursive: true });
    const info = await stat(localPath).catch(() => null);
    if (!info) throw new NotFoundError(`Cannot log artifacts from '${localPath}': no such file or folder.`);
    const dir = normalizeArtifactPath(artifactPath);
    if (info.isDirectory()) await repo.copyFrom(localPath, dir);
    else
      await repo.copyFrom(
        localPath,
        dir === '' ? path.basename(localPath) : `${dir}/${path.basename(localPath)}`,
      );
  }

  async listArtifacts(runId: string, artifactPath?: string): Promise<FileInfo[]> {
    return this.runArtifacts(runId).list(artifactPath);
  }

  async downloadArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    const repo = this.runArtifacts(runId);
    try {
      return await repo.read(artifactPath);
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NotFoundError(
          `Artifact '${normalizeArtifactPath(artifactPath)}' not found in run ${runId}. List the run's artifacts to see what exists.`,
        );
      }
      throw err;
    }
  }

  // ── registered models ──────────────────────────────────────────────────────

  private modelRow(name: string): ModelRow {
    const row = this.get<ModelRow>('SELECT * FROM registered_models WHERE name = ?', name);
    if (!row) throw new NotFoundError(`Registered Model with name=${name} not found`);
    return row;
  }

  private toModelVersion(row: VersionRow): ModelVersion {
    return {
      name: row.name,
      version: String(row.version),
      creationTimestamp: row.creation_time,
      lastUpdatedTimestamp: row.last_updated_time,
      userId: row.user_id,
      currentStage: row.current_stage,
      description: row.description,
      source: row.source,
      runId: row.run_id,
      status: row.status,
      statusMessage: row.status_message,
      runLink: row.run_link,
      tags: toTags(
        this.all<Tag>(
          'SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ORDER BY key',
          row.name,
          row.version,
        ),
      ),
      aliases: this.all<{ alias: string }>(
        'SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias',
        row.name,
        row.version,
      ).map((a) => a.alias),
    };
  }

  private latestVersionRows(name: string, stages?: readonly ModelStage[]): VersionRow[] {
    const rows = this.all<VersionRow>(
      `SELECT v.* FROM model_versions v
       WHERE v.name = ? AND v.version = (SELECT max(w.version) FROM model_versions w WHERE w.name = v.name AND w.current_stage = v.current_stage)
       ORDER BY v.version`,
      name,
    );
    return stages && stages.length > 0 ? rows.filter((r) => stages.includes(r.current_stage)) : rows;
  }

  private toRegisteredModel(row: ModelRow): RegisteredModel {
    return {
      name: row.name,
      creationTimestamp: row.creation_time,
      lastUpdatedTimestamp: row.last_updated_time,
      userId: row.user_id,
      description: row.description,
      latestVersions: this.latestVersionRows(row.name).map((v) => this.toModelVersion(v)),
      tags: toTags(
        this.all<Tag>('SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key', row.name),
      ),
      aliases: this.all<{ alias: string; version: number }>(
        'SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias',
        row.name,
      ).map((a) => ({ alias: a.alias, version: String(a.version) })),
    };
  }

  async createRegisteredModel(
    name: string,
    options?: { tags?: Tag[]; description?: string },
  ): Promise<RegisteredModel> {
    validateModelName(name);
    const tags = (options?.tags ?? []).map((t) => validateRegistryTag('Registered model', t));
    this.tx(() => {
      if (this.get('SELECT 1 FROM registered_models WHERE name = ?', name)) {
        throw new AlreadyExistsError(
          `Registered Model (name=${name}) already exists. Choose another name or add a version to it.`,
        );
      }
      const now = Date.now();
      this.run(
        'INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)',
        name,
        now,
        now,
        options?.description ?? '',
      );
      for (const t of tags)
        this.run(
          'INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)',
          name,
          t.key,
          t.value,
        );
    });
    return this.getRegisteredModel(name);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name);
    return this.toRegisteredModel(this.modelRow(name));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName);
    this.tx(() => {
      this.modelRow(name);
      if (name === newName) return;
      if (this.get('SELECT 1 FROM registered_models WHERE name = ?', newName)) {
        throw new AlreadyExistsError(
          `Registered Model (name=${newName}) already exists. Choose another name.`,
        );
      }
      for (const table of [
        'registered_models',
        'registered_model_tags',
        'registered_model_aliases',
        'model_versions',
        'model_version_tags',
      ]) {
        this.run(`UPDATE ${table} SET name = ? WHERE name = ?`, newName, name);
      }
      this.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), newName);
    });
    return this.getRegisteredModel(newName);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    this.tx(() => {
      this.modelRow(name);
      this.run(
        'UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?',
        description ?? '',
        Date.now(),
        name,
      );
    });
    return this.getRegisteredModel(name);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    this.tx(() => {
      this.modelRow(name);
      for (const table of [
        'registered_model_tags',
        'registered_model_aliases',
        'model_version_tags',
        'model_versions',
        'registered_models',
      ]) {
        this.run(`DELETE FROM ${table} WHERE name = ?`, name);
      }
    });
  }

  async searchRegisteredModels(options: SearchModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const max = validateMaxResults(options.maxResults, MODEL_SEARCH_DEFAULT, MODEL_SEARCH_MAX);
    const { comparisons: filters, excludePrompts } = parseRegistryFilter(
      options.filter,
      REGISTERED_MODEL_GRAMMAR,
    );
    const order = parseOrderBy(options.orderBy, REGISTERED_MODEL_GRAMMAR);
    const offset = decodePageToken(options.pageToken);
    const where = filters.map((c) => {
      if (c.type === 'tag') {
        const cmp = sqlCompare('t.value', c);
        return {
          sql: `EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.name = m.name AND t.key = ? AND ${cmp.sql})`,
          params: [c.key, ...cmp.params],
        };
      }
      return sqlCompare('m.name', c);
    });
    if (excludePrompts)
      where.push(sqlNotTagged('registered_model_tags', 'p.name = m.name', PROMPT_TAG, 'true'));
    const cols: Record<string, string> = {
      name: 'm.name',
      creation_timestamp: 'm.creation_time',
      last_updated_timestamp: 'm.last_updated_time',
    };
    const orderSql = order.map((o) => `${cols[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`);
    orderSql.push('m.name ASC');
    return this.searchPage<ModelRow, RegisteredModel>(
      'registered_models m',
      where,
      orderSql,
      max,
      offset,
      (r) => this.toRegisteredModel(r),
    );
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    const tag = validateRegistryTag('Registered model', { key, value });
    this.tx(() => {
      this.modelRow(name);
      this.run(
        'INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)',
        name,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    this.tx(() => {
      this.modelRow(name);
      this.run('DELETE FROM registered_model_tags WHERE name = ? AND key = ?', name, key);
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateAliasName(alias);
    const v = Number(validateModelVersion(version));
    this.tx(() => {
      this.modelRow(name);
      this.versionRow(name, String(v));
      this.run(
        'INSERT OR REPLACE INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)',
        name,
        alias,
        v,
      );
      this.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), name);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    this.tx(() => {
      this.modelRow(name);
      const info = this.run('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?', name, alias);
      // As MLflow: deleting an alias that is not set is an error, not a no-op.
      if (info.changes === 0) throw new InvalidParameterError(`Registered model alias ${alias} not found.`);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    this.modelRow(name);
    const row = this.get<{ version: number }>(
      'SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?',
      name,
      alias,
    );
    if (!row) throw new InvalidParameterError(`Registered model alias ${alias} not found.`);
    return this.toModelVersion(this.versionRow(name, String(row.version)));
  }

  async getLatestVersions(name: string, stages?: ModelStage[]): Promise<ModelVersion[]> {
    const canonical = (stages ?? []).map(canonicalStage);
    this.modelRow(name);
    return this.latestVersionRows(name, canonical).map((v) => this.toModelVersion(v));
  }

  // ── model versions ─────────────────────────────────────────────────────────

  private versionRow(name: string, version: string): VersionRow {
    const v = Number(validateModelVersion(version));
    const row = this.get<VersionRow>('SELECT * FROM model_versions WHERE name = ? AND version = ?', name, v);
    if (!row) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`);
    return row;
  }

  /** Where a version's files are: a `runs:/` or `models:/m-…` source resolved to its artifact URI. */
  private resolveSource(source: string): string {
    const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (runs) {
      const run = this.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', runs[1]);
      if (!run)
        throw new InvalidParameterError(`Cannot register '${source}': run ${runs[1]} does not exist.`);
      return joinUri(run.artifact_uri, normalizeArtifactPath(runs[2], 'model source path'));
    }
    const logged = /^models:\/(m-[0-9a-f]+)\/?(.*)$/.exec(source);
    if (logged) {
      const m = this.get<LoggedModelRow>('SELECT * FROM logged_models WHERE model_id = ?', logged[1]);
      if (m) return joinUri(m.artifact_location, normalizeArtifactPath(logged[2], 'model source path'));
    }
    return source;
  }

  async createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    validateModelName(name);
    if (!options?.source) {
      throw new InvalidParameterError(
        `Creating a version of '${name}' needs a source, e.g. runs:/<run_id>/model.`,
      );
    }
    const tags = (options.tags ?? []).map((t) => validateRegistryTag('Model version', t));
    const version = this.tx(() => {
      const model = this.modelRow(name);
      const storage = this.resolveSource(options.source);
      const version = model.max_version + 1;
      const now = Date.now();
      this.run(
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, storage_location, run_id, run_link, status, status_message, model_id)
         VALUES (?, ?, ?, ?, ?, '', 'None', ?, ?, ?, ?, 'READY', '', ?)`,
        name,
        version,
        now,
        now,
        options.description ?? '',
        options.source,
        storage,
        options.runId ?? '',
        options.runLink ?? '',
        options.modelId ?? null,
      );
      for (const t of tags) {
        this.run(
          'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
          name,
          version,
          t.key,
          t.value,
        );
      }
      this.run(
        'UPDATE registered_models SET max_version = ?, last_updated_time = ? WHERE name = ?',
        version,
        now,
        name,
      );
      return version;
    });
    return this.getModelVersion(name, String(version));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.toModelVersion(this.versionRow(name, version));
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    this.tx(() => {
      const row = this.versionRow(name, version);
      this.run(
        'UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?',
        description ?? '',
        Date.now(),
        name,
        row.version,
      );
    });
    return this.getModelVersion(name, version);
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    this.tx(() => {
      const row = this.versionRow(name, version);
      this.run('DELETE FROM model_version_tags WHERE name = ? AND version = ?', name, row.version);
      this.run('DELETE FROM registered_model_aliases WHERE name = ? AND version = ?', name, row.version);
      this.run('DELETE FROM model_versions WHERE name = ? AND version = ?', name, row.version);
      this.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), name);
    });
  }

  async searchModelVersions(options: SearchModelsOptions = {}): Promise<Page<ModelVersion>> {
    const max = validateMaxResults(options.maxResults, VERSION_SEARCH_DEFAULT, VERSION_SEARCH_MAX);
    const { comparisons: filters, excludePrompts } = parseRegistryFilter(
      options.filter,
      MODEL_VERSION_GRAMMAR,
    );
    const order = parseOrderBy(options.orderBy, MODEL_VERSION_GRAMMAR);
    const offset = decodePageToken(options.pageToken);
    const cols: Record<string, string> = {
      name: 'v.name',
      run_id: 'v.run_id',
      source_path: 'v.source',
      version_number: 'v.version',
      current_stage: 'v.current_stage',
      creation_timestamp: 'v.creation_time',
      last_updated_timestamp: 'v.last_updated_time',
    };
    const where = filters.map((c) => {
      if (c.type === 'tag') {
        const cmp = sqlCompare('t.value', c);
        return {
          sql: `EXISTS (SELECT 1 FROM model_version_tags t WHERE t.name = v.name AND t.version = v.version AND t.key = ? AND ${cmp.sql})`,
          params: [c.key, ...cmp.params],
        };
      }
      return sqlCompare(cols[c.key]!, c);
    });
    // As MLflow: a version is hidden when any version of its model carries the prompt tag.
    if (excludePrompts) where.push(sqlNotTagged('model_version_tags', 'p.name = v.name', PROMPT_TAG, 'true'));
    const orderSql = order.map((o) => `${cols[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`);
    orderSql.push('v.name ASC', 'v.version DESC');
    return this.searchPage<VersionRow, ModelVersion>('model_versions v', where, orderSql, max, offset, (r) =>
      this.toModelVersion(r),
    );
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    const target = canonicalStage(stage);
    if (archiveExistingVersions && !ACTIVE_STAGES.includes(target)) {
      throw new InvalidParameterError(
        `Model version transition cannot archive existing model versions because '${target}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`,
      );
    }
    this.tx(() => {
      const row = this.versionRow(name, version);
      const now = Date.now();
      if (archiveExistingVersions) {
        this.run(
          "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND current_stage = ? AND version != ?",
          now,
          name,
          target,
          row.version,
        );
      }
      this.run(
        'UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?',
        target,
        now,
        name,
        row.version,
      );
      this.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', now, name);
    });
    return this.getModelVersion(name, version);
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    const tag = validateRegistryTag('Model version', { key, value });
    this.tx(() => {
      const row = this.versionRow(name, version);
      this.run(
        'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
        name,
        row.version,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    this.tx(() => {
      const row = this.versionRow(name, version);
      this.run(
        'DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?',
        name,
        row.version,
        key,
      );
    });
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return this.versionRow(name, version).storage_location;
  }

  // ── logged models (MLflow 3) ───────────────────────────────────────────────

  private loggedModelRow(modelId: string): LoggedModelRow {
    const row = this.get<LoggedModelRow>(
      "SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'",
      modelId,
    );
    if (!row) throw new NotFoundError(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  private toLoggedModel(row: LoggedModelRow): LoggedModel {
    const metrics = this.all<MetricRow & { run_id: string }>(
      'SELECT * FROM logged_model_metrics WHERE model_id = ? ORDER BY key, step, timestamp',
      row.model_id,
    ).map((m) => {
      const metric: LoggedModelMetric = {
        key: m.key,
        value: metricValue(m.value, m.is_nan),
        timestamp: m.timestamp,
        step: m.step,
        modelId: row.model_id,
      };
      if (m.run_id) metric.runId = m.run_id;
      return metric;
    });
    const model: LoggedModel = {
      modelId: row.model_id,
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactUri: row.artifact_location,
      status: row.status,
      modelType: row.model_type,
      sourceRunId: row.source_run_id,
      creationTimestampMs: row.creation_timestamp_ms,
      lastUpdatedTimestampMs: row.last_updated_timestamp_ms,
      tags: toTags(
        this.all<Tag>(
          'SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key',
          row.model_id,
        ),
      ),
      params: toTags(
        this.all<Param>(
          'SELECT key, value FROM logged_model_params WHERE model_id = ? ORDER BY key',
          row.model_id,
        ),
      ),
      metrics,
    };
    if (row.status_message) model.statusMessage = row.status_message;
    return model;
  }

  async createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel> {
    const tags = (options.tags ?? []).map(validateTag);
    const params = (options.params ?? []).map(validateParam);
    const modelId = this.tx(() => {
      const exp = this.experimentRow(options.experimentId);
      this.requireActiveExperiment(exp);
      if (options.sourceRunId) this.runRow(options.sourceRunId);
      const modelId = `m-${randomUUID().replace(/-/g, '')}`;
      const now = Date.now();
      this.run(
        `INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, status, model_type, source_run_id, creation_timestamp_ms, last_updated_timestamp_ms)
         VALUES (?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, ?, ?)`,
        modelId,
        exp.experiment_id,
        options.name || randomRunName(),
        joinUri(exp.artifact_location, 'models', modelId, 'artifacts'),
        options.modelType ?? '',
        options.sourceRunId ?? '',
        now,
        now,
      );
      for (const t of tags)
        this.run(
          'INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)',
          modelId,
          t.key,
          t.value,
        );
      for (const p of params)
        this.run(
          'INSERT OR REPLACE INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?)',
          modelId,
          p.key,
          p.value,
        );
      return modelId;
    });
    return this.getLoggedModel(modelId);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.toLoggedModel(this.loggedModelRow(modelId));
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    if (!LOGGED_MODEL_STATUSES.includes(status)) {
      throw new InvalidParameterError(
        `Invalid logged model status '${status}'. Use one of ${LOGGED_MODEL_STATUSES.join(', ')}.`,
      );
    }
    this.tx(() => {
      this.loggedModelRow(modelId);
      this.run(
        'UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?',
        status,
        Date.now(),
        modelId,
      );
    });
    return this.getLoggedModel(modelId);
  }

  async searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>> {
    const max = validateMaxResults(options.maxResults, 100, 10_000);
    const filters = parseSearchFilter(options.filter, LOGGED_MODEL_GRAMMAR);
    const order = parseOrderBy(options.orderBy, LOGGED_MODEL_GRAMMAR);
    const offset = decodePageToken(options.pageToken);
    const ids = (options.experimentIds ?? []).filter((id) => /^\d+$/.test(String(id))).map(Number);
    const rows = this.all<LoggedModelRow>(
      "SELECT * FROM logged_models WHERE lifecycle_stage = 'active' AND experiment_id IN (SELECT value FROM json_each(?))",
      JSON.stringify(ids),
    );
    const models = rows.map((r) => this.toLoggedModel(r));
    const get = (m: LoggedModel, type: string, key: string): string | number | undefined => {
      if (type === 'tag') return m.tags.find((t) => t.key === key)?.value;
      if (type === 'parameter') return m.params.find((p) => p.key === key)?.value;
      if (type === 'metric') {
        const ms = m.metrics.filter((x) => x.key === key);
        return ms.length === 0 ? undefined : ms.reduce((a, b) => (newerMetric(b, a) ? b : a)).value;
      }
      switch (key) {
        case 'model_id':
          return m.modelId;
        case 'name':
          return m.name;
        case 'status':
          return m.status;
        case 'source_run_id':
          return m.sourceRunId;
        case 'model_type':
          return m.modelType;
        case 'creation_timestamp':
          return m.creationTimestampMs;
        case 'last_updated_timestamp':
          return m.lastUpdatedTimestampMs;
        default:
          return undefined;
      }
    };
    const matched = filterItems(models, filters, get);
    const clauses =
      order.length > 0
        ? order
        : [{ type: 'attribute' as const, key: 'creation_timestamp', ascending: false }];
    const sorted = sortItems(matched, clauses, get, (a, b) =>
      a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0,
    );
    return this.page(sorted.slice(offset, offset + max + 1), max, offset);
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    const valid = tags.map(validateTag);
    this.tx(() => {
      this.loggedModelRow(modelId);
      for (const t of valid)
        this.run(
          'INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)',
          modelId,
          t.key,
          t.value,
        );
      this.run(
        'UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?',
        Date.now(),
        modelId,
      );
    });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    const valid = params.map(validateParam);
    validateParamKeysUnique(valid);
    this.tx(() => {
      this.loggedModelRow(modelId);
      this.insertParams('logged_model_params', 'model_id', modelId, valid, 'logged model');
      this.run(
        'UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?',
        Date.now(),
        modelId,
      );
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    this.tx(() => {
      this.loggedModelRow(modelId);
      const info = this.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', modelId, key);
      if (info.changes === 0)
        throw new NotFoundError(`No tag with key '${key}' found for logged model '${modelId}'.`);
    });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    this.tx(() => {
      this.loggedModelRow(modelId);
      this.run(
        "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_id = ?",
        Date.now(),
        modelId,
      );
    });
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    this.tx(() => {
      this.activeRunRow(runId);
      for (const m of models) {
        this.loggedModelRow(m.modelId);
        const step = m.step ?? 0;
        if (!Number.isInteger(step))
          throw new InvalidParameterError(
            `Invalid step ${String(step)} for model output ${m.modelId}; give an integer.`,
          );
        this.run(
          'INSERT OR REPLACE INTO run_outputs (run_uuid, model_id, step) VALUES (?, ?, ?)',
          runId,
          m.modelId,
          step,
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
}
