/** MLflow 3 logged models in the embedded store: models, their tags, params and metrics, run outputs. */
import { randomUUID } from 'node:crypto';
import { InvalidParameterError, NotFoundError } from '../../../errors.js';
import type {
  LoggedModel,
  LoggedModelMetric,
  LoggedModelStatus,
  ModelOutput,
  Page,
  Param,
  Tag,
} from '../../entities.js';
import { LOGGED_MODEL_STATUSES } from '../../entities.js';
import {
  filterItems,
  LOGGED_MODEL_GRAMMAR,
  paginate,
  parseOrderBy,
  parseSearchFilter,
  sortItems,
} from '../../search/index.js';
import type { CreateLoggedModelOptions, SearchLoggedModelsOptions } from '../../store.js';
import { validateMaxResults, validateParam, validateParamKeysUnique, validateTag } from '../../validation.js';
import type { SqliteDb } from './db.js';
import type { ExperimentTables } from './experiments.js';
import {
  joinUri,
  type LoggedModelRow,
  type MetricRow,
  metricValue,
  newerMetric,
  randomRunName,
  toTags,
} from './rows.js';
import { insertParams, type RunTables } from './runs.js';

export class LoggedModelTables {
  constructor(
    private readonly db: SqliteDb,
    private readonly experiments: ExperimentTables,
    private readonly runs: RunTables,
  ) {}

  private loggedModelRow(modelId: string): LoggedModelRow {
    const row = this.db.get<LoggedModelRow>(
      "SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'",
      modelId,
    );
    if (!row) throw new NotFoundError(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  private toLoggedModel(row: LoggedModelRow): LoggedModel {
    const metrics = this.db
      .all<MetricRow & { run_id: string }>(
        'SELECT * FROM logged_model_metrics WHERE model_id = ? ORDER BY key, step, timestamp',
        row.model_id,
      )
      .map((m) => {
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
        this.db.all<Tag>(
          'SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key',
          row.model_id,
        ),
      ),
      params: toTags(
        this.db.all<Param>(
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
    const modelId = this.db.tx(() => {
      const exp = this.experiments.experimentRow(options.experimentId);
      this.experiments.requireActiveExperiment(exp);
      if (options.sourceRunId) this.runs.runRow(options.sourceRunId);
      const modelId = `m-${randomUUID().replace(/-/g, '')}`;
      const now = Date.now();
      this.db.run(
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
        this.db.run(
          'INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)',
          modelId,
          t.key,
          t.value,
        );
      for (const p of params)
        this.db.run(
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
    this.db.tx(() => {
      this.loggedModelRow(modelId);
      this.db.run(
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
    const ids = (options.experimentIds ?? []).filter((id) => /^\d+$/.test(String(id))).map(Number);
    const rows = this.db.all<LoggedModelRow>(
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
    return paginate(sorted, max, options.pageToken);
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    const valid = tags.map(validateTag);
    this.db.tx(() => {
      this.loggedModelRow(modelId);
      for (const t of valid)
        this.db.run(
          'INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)',
          modelId,
          t.key,
          t.value,
        );
      this.db.run(
        'UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?',
        Date.now(),
        modelId,
      );
    });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    const valid = params.map(validateParam);
    validateParamKeysUnique(valid);
    this.db.tx(() => {
      this.loggedModelRow(modelId);
      insertParams(this.db, 'logged_model_params', 'model_id', modelId, valid, 'logged model');
      this.db.run(
        'UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?',
        Date.now(),
        modelId,
      );
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    this.db.tx(() => {
      this.loggedModelRow(modelId);
      const info = this.db.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', modelId, key);
      if (info.changes === 0)
        throw new NotFoundError(`No tag with key '${key}' found for logged model '${modelId}'.`);
    });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    this.db.tx(() => {
      this.loggedModelRow(modelId);
      this.db.run(
        "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_id = ?",
        Date.now(),
        modelId,
      );
    });
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    this.db.tx(() => {
      this.runs.activeRunRow(runId);
      for (const m of models) {
        this.loggedModelRow(m.modelId);
        const step = m.step ?? 0;
        if (!Number.isInteger(step))
          throw new InvalidParameterError(
            `Invalid step ${String(step)} for model output ${m.modelId}; give an integer.`,
          );
        this.db.run(
          'INSERT OR REPLACE INTO run_outputs (run_uuid, model_id, step) VALUES (?, ?, ?)',
          runId,
          m.modelId,
          step,
        );
      }
    });
  }
}
