/**
 * Runs in the embedded store: life cycle, search compiled to SQL, params and tags (params
 * immutable as in MLflow), dataset inputs, and batches whose metric points go to
 * `metrics.ts`.
 */
import { randomUUID } from 'node:crypto';
import { InvalidParameterError, NotFoundError } from '../../../errors.js';
import type { DatasetInput, Metric, Page, Param, Run, RunInfo, Tag } from '../../entities.js';
import { MLFLOW_TAGS, RUN_STATUSES } from '../../entities.js';
import {
  type Comparison,
  decodePageToken,
  type OrderClause,
  parseOrderBy,
  parseSearchFilter,
  RUN_GRAMMAR,
  type SqlFragment,
  sqlCompare,
  sqlTagCompare,
} from '../../search/index.js';
import type { CreateRunOptions, LogBatchOptions, SearchRunsOptions, UpdateRunOptions } from '../../store.js';
import {
  LIMITS,
  paramChangedError,
  validateBatchLimits,
  validateLength,
  validateMaxResults,
  validateMetric,
  validateParam,
  validateParamKeysUnique,
  validateTag,
} from '../../validation.js';
import type { SqliteDb } from './db.js';
import type { ExperimentTables } from './experiments.js';
import type { MetricTables } from './metrics.js';
import {
  joinUri,
  lifecycleStages,
  type MetricRow,
  metricValue,
  type RunRow,
  randomRunName,
  toTags,
} from './rows.js';

const RUN_SEARCH_DEFAULT = 1000;
const RUN_SEARCH_MAX = 50_000;

/** Insert params of a run or logged model: logging one again is fine, changing its value is not (MLflow). */
export function insertParams(
  db: SqliteDb,
  table: 'params' | 'logged_model_params',
  idColumn: 'run_uuid' | 'model_id',
  id: string,
  params: readonly Param[],
  owner: 'run' | 'logged model',
): void {
  for (const p of params) {
    const info = db.run(
      `INSERT INTO ${table} (${idColumn}, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
      id,
      p.key,
      p.value,
    );
    if (info.changes === 0) {
      const old = db.get<{ value: string }>(
        `SELECT value FROM ${table} WHERE ${idColumn} = ? AND key = ?`,
        id,
        p.key,
      );
      if (old && old.value !== p.value) throw paramChangedError(id, p.key, old.value, p.value, owner);
    }
  }
}

export class RunTables {
  constructor(
    private readonly db: SqliteDb,
    private readonly experiments: ExperimentTables,
    private readonly metrics: MetricTables,
  ) {}

  /** The run's row, active or deleted; RESOURCE_DOES_NOT_EXIST when there is none. */
  runRow(runId: string): RunRow {
    const row = this.db.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', runId);
    if (!row) throw new NotFoundError(`Run with id=${runId} not found`);
    return row;
  }

  /** The run's row; INVALID_PARAMETER_VALUE when it is deleted (as MLflow refuses writes to it). */
  activeRunRow(runId: string): RunRow {
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
      this.db.all<{ run_uuid: string; key: string; value: string }>(
        `SELECT run_uuid, key, value FROM params WHERE run_uuid ${inList} ORDER BY key`,
        ids,
      ),
    );
    const tags = byRun(
      this.db.all<{ run_uuid: string; key: string; value: string }>(
        `SELECT run_uuid, key, value FROM tags WHERE run_uuid ${inList} ORDER BY key`,
        ids,
      ),
    );
    const metrics = byRun(
      this.db.all<MetricRow>(`SELECT * FROM latest_metrics WHERE run_uuid ${inList} ORDER BY key`, ids),
    );
    const inputs = byRun(
      this.db.all<{
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
    for (const t of this.db.all<{ input_id: number; key: string; value: string }>(
      `SELECT t.input_id, t.key, t.value FROM input_tags t JOIN run_inputs i ON i.input_id = t.input_id WHERE i.run_uuid ${inList} ORDER BY t.key`,
      ids,
    )) {
      const arr = inputTags.get(t.input_id) ?? [];
      arr.push({ key: t.key, value: t.value });
      inputTags.set(t.input_id, arr);
    }
    const outputs = byRun(
      this.db.all<{ run_uuid: string; model_id: string; step: number }>(
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
    const runId = this.db.tx(() => {
      const exp = this.experiments.experimentRow(options.experimentId);
      this.experiments.requireActiveExperiment(exp);
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
      this.db.run(
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, ?, 'active')",
        runId,
        runName,
        exp.experiment_id,
        userId,
        options.startTime ?? Date.now(),
        artifactUri,
      );
      for (const t of tags)
        this.db.run(
          'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
          runId,
          t.key,
          t.value,
        );
      this.db.run(
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
    return this.db.tx(() => {
      const row = this.activeRunRow(runId);
      const status = update.status ?? row.status;
      const endTime = update.endTime ?? row.end_time;
      const name = update.runName || row.name;
      this.db.run(
        'UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_uuid = ?',
        status,
        endTime,
        name,
        runId,
      );
      if (update.runName) {
        this.db.run(
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
    this.db.tx(() => {
      this.runRow(runId);
      this.db.run(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?",
        Date.now(),
        runId,
      );
    });
  }

  async restoreRun(runId: string): Promise<void> {
    this.db.tx(() => {
      this.runRow(runId);
      this.db.run(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?",
        runId,
      );
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
    // Rows first, then params, metrics and tags of the whole page at once.
    const found = this.db.searchPage<RunRow, RunRow>('runs r', where, orderParts, max, offset, (r) => r);
    return { ...found, items: this.hydrateRuns(found.items) };
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
      case 'tag':
        return sqlTagCompare(c.type === 'parameter' ? 'params' : 'tags', 't.run_uuid = r.run_uuid', c);
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
    this.db.tx(() => {
      this.activeRunRow(runId);
      const info = this.db.run('DELETE FROM tags WHERE run_uuid = ? AND key = ?', runId, key);
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
    const keyIds = metrics.length > 0 ? this.metrics.internKeys(metrics) : null;
    this.db.tx(() => {
      const run = this.activeRunRow(runId);
      insertParams(this.db, 'params', 'run_uuid', runId, params, 'run');
      for (const t of tags) {
        this.db.run(
          'INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)',
          runId,
          t.key,
          t.value,
        );
        if (t.key === MLFLOW_TAGS.runName)
          this.db.run('UPDATE runs SET name = ? WHERE run_uuid = ?', t.value, runId);
      }
      if (keyIds) this.metrics.insertMetrics(run, metrics, keyIds);
    });
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
    this.db.tx(() => {
      const run = this.activeRunRow(runId);
      for (const d of datasets) {
        const ds = d.dataset;
        this.db.run(
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
        const { dataset_id } = this.db.get<{ dataset_id: number }>(
          'SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
          run.experiment_id,
          ds.name,
          ds.digest,
        )!;
        this.db.run(
          'INSERT INTO run_inputs (run_uuid, dataset_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
          runId,
          dataset_id,
        );
        const { input_id } = this.db.get<{ input_id: number }>(
          'SELECT input_id FROM run_inputs WHERE run_uuid = ? AND dataset_id = ?',
          runId,
          dataset_id,
        )!;
        for (const t of d.tags ?? []) {
          this.db.run(
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
    return this.metrics.history(this.runRow(runId), metricKey, options);
  }
}
