/** Experiments and their tags in the embedded store. */
import { AlreadyExistsError, InvalidParameterError, NotFoundError } from '../../../errors.js';
import type { Experiment, Page, Tag } from '../../entities.js';
import {
  decodePageToken,
  EXPERIMENT_GRAMMAR,
  parseOrderBy,
  parseSearchFilter,
  type SqlFragment,
  sqlCompare,
  sqlTagCompare,
} from '../../search/index.js';
import type { SearchExperimentsOptions } from '../../store.js';
import {
  validateArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateMaxResults,
} from '../../validation.js';
import type { SqliteDb } from './db.js';
import type { ArtifactLocations } from './locations.js';
import { type ExperimentRow, lifecycleStages, toTags } from './rows.js';

const DEFAULT_EXPERIMENT_ID = 0;
const DEFAULT_EXPERIMENT_NAME = 'Default';
const EXPERIMENT_SEARCH_DEFAULT = 1000;
const EXPERIMENT_SEARCH_MAX = 50_000;

export class ExperimentTables {
  constructor(
    private readonly db: SqliteDb,
    private readonly locations: ArtifactLocations,
  ) {}

  /** Create the `Default` experiment (id 0) unless it, or an experiment of that name, exists. */
  ensureDefaultExperiment(): void {
    const row = this.db.get<{ n: number }>(
      'SELECT count(*) AS n FROM experiments WHERE experiment_id = ?',
      DEFAULT_EXPERIMENT_ID,
    );
    if (row && row.n > 0) return;
    const taken = this.db.get('SELECT 1 FROM experiments WHERE name = ?', DEFAULT_EXPERIMENT_NAME);
    if (taken) return;
    const now = Date.now();
    this.db.run(
      'INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)',
      DEFAULT_EXPERIMENT_ID,
      DEFAULT_EXPERIMENT_NAME,
      this.locations.defaultArtifactLocation(String(DEFAULT_EXPERIMENT_ID)),
      'active',
      now,
      now,
    );
  }

  private parseExperimentId(experimentId: string): number {
    const s = String(experimentId);
    if (!/^\d+$/.test(s)) throw new NotFoundError(`No Experiment with id=${s} exists`);
    return Number(s);
  }

  /** The experiment's row, active or deleted; RESOURCE_DOES_NOT_EXIST when there is none. */
  experimentRow(experimentId: string): ExperimentRow {
    const row = this.db.get<ExperimentRow>(
      'SELECT * FROM experiments WHERE experiment_id = ?',
      this.parseExperimentId(experimentId),
    );
    if (!row) throw new NotFoundError(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  requireActiveExperiment(row: ExperimentRow): void {
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidParameterError(
        `The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}. Restore it first.`,
      );
    }
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
        this.db.all<Tag>(
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
    return this.db.tx(() => {
      if (this.db.get('SELECT 1 FROM experiments WHERE name = ?', name)) {
        throw new AlreadyExistsError(
          `Experiment(name=${name}) already exists. Choose another name, or restore/rename the existing one.`,
        );
      }
      const now = Date.now();
      const info = this.db.run(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, '', 'active', ?, ?)",
        name,
        now,
        now,
      );
      const id = String(info.lastInsertRowid);
      const location = options?.artifactLocation || this.locations.defaultArtifactLocation(id);
      this.db.run(
        'UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?',
        location,
        Number(id),
      );
      for (const t of tags) {
        this.db.run(
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
    const row = this.db.get<ExperimentRow>('SELECT * FROM experiments WHERE name = ?', name);
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
        where.push(sqlTagCompare('experiment_tags', 't.experiment_id = e.experiment_id', c));
      } else {
        const col = c.key === 'experiment_id' ? 'CAST(e.experiment_id AS TEXT)' : `e.${c.key}`;
        where.push(sqlCompare(col, c));
      }
    }
    const orderSql = order.map((o) => `e.${o.key} ${o.ascending ? 'ASC' : 'DESC'}`);
    if (order.length === 0) orderSql.push('e.creation_time DESC');
    orderSql.push('e.experiment_id ASC');
    return this.db.searchPage<ExperimentRow, Experiment>('experiments e', where, orderSql, max, offset, (r) =>
      this.toExperiment(r),
    );
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    this.db.tx(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') {
        throw new InvalidParameterError(
          `Cannot rename experiment ${experimentId}: it is deleted. Restore it first.`,
        );
      }
      const other = this.db.get<{ experiment_id: number }>(
        'SELECT experiment_id FROM experiments WHERE name = ?',
        newName,
      );
      if (other && other.experiment_id !== row.experiment_id) {
        throw new AlreadyExistsError(`Experiment(name=${newName}) already exists. Choose another name.`);
      }
      this.db.run(
        'UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?',
        newName,
        Date.now(),
        row.experiment_id,
      );
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    this.db.tx(() => {
      const row = this.experimentRow(experimentId);
      const now = Date.now();
      this.db.run(
        "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?",
        now,
        row.experiment_id,
      );
      this.db.run(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'",
        now,
        row.experiment_id,
      );
    });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    this.db.tx(() => {
      const row = this.experimentRow(experimentId);
      if (row.lifecycle_stage !== 'deleted') {
        throw new InvalidParameterError(`Cannot restore experiment ${experimentId}: it is not deleted.`);
      }
      this.db.run(
        "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?",
        Date.now(),
        row.experiment_id,
      );
      this.db.run(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ? AND lifecycle_stage = 'deleted'",
        row.experiment_id,
      );
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const tag = validateExperimentTag({ key, value });
    this.db.tx(() => {
      const row = this.experimentRow(experimentId);
      this.requireActiveExperiment(row);
      this.db.run(
        'INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)',
        row.experiment_id,
        tag.key,
        tag.value,
      );
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    this.db.tx(() => {
      const row = this.experimentRow(experimentId);
      this.requireActiveExperiment(row);
      const info = this.db.run(
        'DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?',
        row.experiment_id,
        key,
      );
      if (info.changes === 0) {
        throw new NotFoundError(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
    });
  }
}
