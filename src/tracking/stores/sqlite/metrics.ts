/**
 * Metric points in the embedded store, the hot path of logging: keys interned to integers,
 * points appended to a small unindexed log with multi-row INSERTs and merged into the
 * clustered history in large sorted chunks, and the latest value per key kept up to date.
 */
import type { Metric, Page } from '../../entities.js';
import { decodePageToken } from '../../search/index.js';
import { validateMaxResults } from '../../validation.js';
import { page, type SqliteDb } from './db.js';
import { type MetricRow, metricValue, newerMetric, type RunRow } from './rows.js';

const HISTORY_PAGE_MAX = 25_000;
/** Rows per multi-row metric INSERT (7 bound values each, well under SQLite's limit). */
const METRIC_CHUNK = 100;
/** Points the append-only metric log may hold before it is merged into the clustered history. */
const METRIC_LOG_MERGE_ROWS = 50_000;

export class MetricTables {
  /** Metric key → interned id (ids are never reused, so the cache stays valid). */
  private readonly keyIds = new Map<string, number>();

  constructor(private readonly db: SqliteDb) {}

  /** Interned ids of the batch's metric keys, in batch order (new keys committed on their own). */
  internKeys(metrics: readonly Metric[]): Int32Array {
    const ids = new Int32Array(metrics.length);
    const missing: string[] = [];
    for (let i = 0; i < metrics.length; i++) {
      const id = this.keyIds.get(metrics[i]!.key);
      if (id === undefined) missing.push(metrics[i]!.key);
      else ids[i] = id;
    }
    if (missing.length > 0) {
      this.db.tx(() => {
        for (const key of new Set(missing)) {
          this.db.run('INSERT OR IGNORE INTO metric_keys (key) VALUES (?)', key);
          const row = this.db.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE key = ?', key)!;
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
    const row = this.db.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE key = ?', key);
    if (row) this.keyIds.set(key, row.key_id);
    return row?.key_id;
  }

  /** Append a batch's points (inside the caller's transaction) and update the latest values. */
  insertMetrics(run: RunRow, metrics: Metric[], keyIds: Int32Array): void {
    const runId = run.run_uuid;
    const runPk = run.run_pk;
    const rowSql = '(?, ?, ?, ?, ?, ?, ?)';
    const head = 'INSERT INTO metrics_log (run_pk, key_id, step, timestamp, value, is_nan, model_id) VALUES ';
    const bulk = this.db.stmt(head + Array(METRIC_CHUNK).fill(rowSql).join(', '));
    const single = this.db.stmt(head + rowSql);
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
    const size = this.db.get<{ n: number | null }>('SELECT max(rowid) AS n FROM metrics_log');
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
      this.db
        .stmt(upsertHead + Array(part.length).fill('(?, ?, ?, ?, ?, ?)').join(', ') + upsertTail)
        .run(args);
    }
    const modelMetric = this.db.stmt(
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
    this.db.run(
      `INSERT OR IGNORE INTO metrics (run_pk, key_id, step, timestamp, value, is_nan, model_id)
       SELECT run_pk, key_id, step, timestamp, value, is_nan, model_id FROM metrics_log
       ORDER BY run_pk, key_id, step, timestamp, value, is_nan`,
    );
    this.db.run('DELETE FROM metrics_log');
  }

  /** A run's history of one metric, in MLflow's order (step, timestamp, value). */
  async history(
    run: RunRow,
    metricKey: string,
    options?: { maxResults?: number; pageToken?: string },
  ): Promise<Page<Metric>> {
    const offset = decodePageToken(options?.pageToken);
    const max =
      options?.maxResults === undefined
        ? -1
        : validateMaxResults(options.maxResults, HISTORY_PAGE_MAX, HISTORY_PAGE_MAX);
    const keyId = this.keyId(metricKey);
    if (keyId === undefined) return { items: [] };
    // History = clustered table ∪ the not yet merged log (UNION drops points logged twice).
    // Without pending points the clustered table alone is read, already in order.
    const pending = this.db.get(
      'SELECT 1 FROM metrics_log WHERE run_pk = ? AND key_id = ? LIMIT 1',
      run.run_pk,
      keyId,
    );
    const limit = max < 0 ? -1 : max + 1;
    const rows = pending
      ? this.db.all<Omit<MetricRow, 'run_uuid' | 'key'>>(
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
      : this.db.all<Omit<MetricRow, 'run_uuid' | 'key'>>(
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
    return max < 0 ? { items } : page(items, max, offset);
  }
}
