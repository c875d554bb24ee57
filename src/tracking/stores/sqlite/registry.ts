/**
 * The model registry in the embedded store: registered models with tags and aliases, and
 * their numbered versions with stages and tags. Sources `runs:/…` and `models:/m-…` are
 * resolved to the files they name when a version is created.
 */
import { AlreadyExistsError, InvalidParameterError, NotFoundError } from '../../../errors.js';
import { normalizeArtifactPath } from '../../artifacts/local.js';
import type { ModelStage, ModelVersion, Page, RegisteredModel, Tag } from '../../entities.js';
import {
  decodePageToken,
  type Grammar,
  MODEL_VERSION_GRAMMAR,
  PROMPT_TAG,
  parseOrderBy,
  parseRegistryFilter,
  REGISTERED_MODEL_GRAMMAR,
  sqlCompare,
  sqlNotTagged,
  sqlTagCompare,
} from '../../search/index.js';
import type { CreateModelVersionOptions, SearchModelsOptions } from '../../store.js';
import {
  ACTIVE_STAGES,
  canonicalStage,
  validateAliasName,
  validateMaxResults,
  validateModelName,
  validateModelVersion,
  validateRegistryTag,
} from '../../validation.js';
import type { SqliteDb } from './db.js';
import { joinUri, type LoggedModelRow, type ModelRow, type RunRow, toTags, type VersionRow } from './rows.js';

const MODEL_SEARCH_DEFAULT = 100;
const MODEL_SEARCH_MAX = 1000;
const VERSION_SEARCH_DEFAULT = 10_000;
const VERSION_SEARCH_MAX = 200_000;

/** What both registry searches start from: page size, MLflow's prompt rule, order and offset. */
function searchArgs(options: SearchModelsOptions, grammar: Grammar, defaultMax: number, maxMax: number) {
  return {
    max: validateMaxResults(options.maxResults, defaultMax, maxMax),
    ...parseRegistryFilter(options.filter, grammar),
    order: parseOrderBy(options.orderBy, grammar),
    offset: decodePageToken(options.pageToken),
  };
}

export class RegistryTables {
  constructor(private readonly db: SqliteDb) {}

  private modelRow(name: string): ModelRow {
    const row = this.db.get<ModelRow>('SELECT * FROM registered_models WHERE name = ?', name);
    if (!row) throw new NotFoundError(`Registered Model with name=${name} not found`);
    return row;
  }

  private versionRow(name: string, version: string): VersionRow {
    const v = Number(validateModelVersion(version));
    const row = this.db.get<VersionRow>(
      'SELECT * FROM model_versions WHERE name = ? AND version = ?',
      name,
      v,
    );
    if (!row) throw new NotFoundError(`Model Version (name=${name}, version=${version}) not found`);
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
        this.db.all<Tag>(
          'SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ORDER BY key',
          row.name,
          row.version,
        ),
      ),
      aliases: this.db
        .all<{ alias: string }>(
          'SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias',
          row.name,
          row.version,
        )
        .map((a) => a.alias),
    };
  }

  private latestVersionRows(name: string, stages?: readonly ModelStage[]): VersionRow[] {
    const rows = this.db.all<VersionRow>(
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
        this.db.all<Tag>(
          'SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key',
          row.name,
        ),
      ),
      aliases: this.db
        .all<{ alias: string; version: number }>(
          'SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias',
          row.name,
        )
        .map((a) => ({ alias: a.alias, version: String(a.version) })),
    };
  }

  async createRegisteredModel(
    name: string,
    options?: { tags?: Tag[]; description?: string },
  ): Promise<RegisteredModel> {
    validateModelName(name);
    const tags = (options?.tags ?? []).map((t) => validateRegistryTag('Registered model', t));
    this.db.tx(() => {
      if (this.db.get('SELECT 1 FROM registered_models WHERE name = ?', name)) {
        throw new AlreadyExistsError(
          `Registered Model (name=${name}) already exists. Choose another name or add a version to it.`,
        );
      }
      const now = Date.now();
      this.db.run(
        'INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)',
        name,
        now,
        now,
        options?.description ?? '',
      );
      for (const t of tags)
        this.db.run(
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
    this.db.tx(() => {
      this.modelRow(name);
      if (name === newName) return;
      if (this.db.get('SELECT 1 FROM registered_models WHERE name = ?', newName)) {
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
        this.db.run(`UPDATE ${table} SET name = ? WHERE name = ?`, newName, name);
      }
      this.db.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), newName);
    });
    return this.getRegisteredModel(newName);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    this.db.tx(() => {
      this.modelRow(name);
      this.db.run(
        'UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?',
        description ?? '',
        Date.now(),
        name,
      );
    });
    return this.getRegisteredModel(name);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    this.db.tx(() => {
      this.modelRow(name);
      for (const table of [
        'registered_model_tags',
        'registered_model_aliases',
        'model_version_tags',
        'model_versions',
        'registered_models',
      ]) {
        this.db.run(`DELETE FROM ${table} WHERE name = ?`, name);
      }
    });
  }

  async searchRegisteredModels(options: SearchModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const { max, comparisons, excludePrompts, order, offset } = searchArgs(
      options,
      REGISTERED_MODEL_GRAMMAR,
      MODEL_SEARCH_DEFAULT,
      MODEL_SEARCH_MAX,
    );
    const where = comparisons.map((c) =>
      c.type === 'tag'
        ? sqlTagCompare('registered_model_tags', 't.name = m.name', c)
        : sqlCompare('m.name', c),
    );
    if (excludePrompts)
      where.push(sqlNotTagged('registered_model_tags', 'p.name = m.name', PROMPT_TAG, 'true'));
    const cols: Record<string, string> = {
      name: 'm.name',
      creation_timestamp: 'm.creation_time',
      last_updated_timestamp: 'm.last_updated_time',
    };
    const orderSql = order.map((o) => `${cols[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`);
    orderSql.push('m.name ASC');
    return this.db.searchPage<ModelRow, RegisteredModel>(
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
    this.db.tx(() => {
      this.modelRow(name);
      this.db.run(
        'INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)',
        name,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    this.db.tx(() => {
      this.modelRow(name);
      this.db.run('DELETE FROM registered_model_tags WHERE name = ? AND key = ?', name, key);
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateAliasName(alias);
    const v = Number(validateModelVersion(version));
    this.db.tx(() => {
      this.modelRow(name);
      this.versionRow(name, String(v));
      this.db.run(
        'INSERT OR REPLACE INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)',
        name,
        alias,
        v,
      );
      this.db.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), name);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    this.db.tx(() => {
      this.modelRow(name);
      // As MLflow (2.12 and 3.x, `SqlAlchemyStore.delete_registered_model_alias`): the model
      // must exist; an alias that is not set is a no-op, not an error.
      this.db.run('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?', name, alias);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    this.modelRow(name);
    const row = this.db.get<{ version: number }>(
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

  /** Where a version's files are: a `runs:/` or `models:/m-…` source resolved to its artifact URI. */
  private resolveSource(source: string): string {
    const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (runs) {
      const run = this.db.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', runs[1]);
      if (!run)
        throw new InvalidParameterError(`Cannot register '${source}': run ${runs[1]} does not exist.`);
      return joinUri(run.artifact_uri, normalizeArtifactPath(runs[2], 'model source path'));
    }
    const logged = /^models:\/(m-[0-9a-f]+)\/?(.*)$/.exec(source);
    if (logged) {
      const m = this.db.get<LoggedModelRow>('SELECT * FROM logged_models WHERE model_id = ?', logged[1]);
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
    const version = this.db.tx(() => {
      const model = this.modelRow(name);
      const storage = this.resolveSource(options.source);
      const version = model.max_version + 1;
      const now = Date.now();
      this.db.run(
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
        this.db.run(
          'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
          name,
          version,
          t.key,
          t.value,
        );
      }
      this.db.run(
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
    this.db.tx(() => {
      const row = this.versionRow(name, version);
      this.db.run(
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
    this.db.tx(() => {
      const row = this.versionRow(name, version);
      this.db.run('DELETE FROM model_version_tags WHERE name = ? AND version = ?', name, row.version);
      this.db.run('DELETE FROM registered_model_aliases WHERE name = ? AND version = ?', name, row.version);
      this.db.run('DELETE FROM model_versions WHERE name = ? AND version = ?', name, row.version);
      this.db.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', Date.now(), name);
    });
  }

  async searchModelVersions(options: SearchModelsOptions = {}): Promise<Page<ModelVersion>> {
    const { max, comparisons, excludePrompts, order, offset } = searchArgs(
      options,
      MODEL_VERSION_GRAMMAR,
      VERSION_SEARCH_DEFAULT,
      VERSION_SEARCH_MAX,
    );
    const cols: Record<string, string> = {
      name: 'v.name',
      run_id: 'v.run_id',
      source_path: 'v.source',
      version_number: 'v.version',
      current_stage: 'v.current_stage',
      creation_timestamp: 'v.creation_time',
      last_updated_timestamp: 'v.last_updated_time',
    };
    const where = comparisons.map((c) =>
      c.type === 'tag'
        ? sqlTagCompare('model_version_tags', 't.name = v.name AND t.version = v.version', c)
        : sqlCompare(cols[c.key]!, c),
    );
    // As MLflow: a version is hidden when any version of its model carries the prompt tag.
    if (excludePrompts) where.push(sqlNotTagged('model_version_tags', 'p.name = v.name', PROMPT_TAG, 'true'));
    // MLflow's default: `last_updated_timestamp DESC, name ASC, version_number DESC`; an
    // order_by given replaces the first key, name and version still break ties.
    const orderSql =
      order.length > 0
        ? order.map((o) => `${cols[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`)
        : ['v.last_updated_time DESC'];
    orderSql.push('v.name ASC', 'v.version DESC');
    return this.db.searchPage<VersionRow, ModelVersion>(
      'model_versions v',
      where,
      orderSql,
      max,
      offset,
      (r) => this.toModelVersion(r),
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
    this.db.tx(() => {
      const row = this.versionRow(name, version);
      const now = Date.now();
      if (archiveExistingVersions) {
        this.db.run(
          "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND current_stage = ? AND version != ?",
          now,
          name,
          target,
          row.version,
        );
      }
      this.db.run(
        'UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?',
        target,
        now,
        name,
        row.version,
      );
      this.db.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', now, name);
    });
    return this.getModelVersion(name, version);
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    const tag = validateRegistryTag('Model version', { key, value });
    this.db.tx(() => {
      const row = this.versionRow(name, version);
      this.db.run(
        'INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
        name,
        row.version,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    this.db.tx(() => {
      const row = this.versionRow(name, version);
      this.db.run(
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
}
