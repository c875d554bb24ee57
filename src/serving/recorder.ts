/**
 * The monitoring database (embedded SQLite, default `./propflow/serving.db`): every served
 * prediction with its request id, game, model version, prediction and line; the actual result
 * once ingested; the alerts raised; and which days were logged to the tracking store.
 *
 * The service buffers rows and writes them in one transaction per tick (a request never waits
 * on the disk); `flush()` and `close()` write what is pending.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PropflowError } from '../errors.js';

export const DEFAULT_MONITOR_DB = 'propflow/serving.db';

export interface RecordedPrediction {
  requestId: string;
  servedAt: number;
  modelName: string;
  modelVersion: string;
  runId: string;
  playerId: number;
  /** Days since 1970-01-01. */
  day: number;
  team: string;
  opponent: string;
  home: boolean;
  line: number | null;
  prediction: number;
  pOver: number | null;
  inactive: number[] | null;
}

export interface JoinedRow {
  modelName: string;
  modelVersion: string;
  playerId: number;
  day: number;
  prediction: number;
  actual: number;
}

export interface AlertRow {
  id: number;
  time: string;
  modelName: string;
  modelVersion: string;
  rule: string;
  liveMae: number;
  valMae: number | null;
  threshold: number;
  nGames: number;
  action: string;
  message: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  served_at INTEGER NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  run_id TEXT NOT NULL,
  player_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  team TEXT NOT NULL,
  opponent TEXT NOT NULL,
  home INTEGER NOT NULL,
  line REAL,
  prediction REAL NOT NULL,
  p_over REAL,
  inactive TEXT,
  actual REAL,
  game_id TEXT,
  result TEXT
);
CREATE INDEX IF NOT EXISTS predictions_open ON predictions (result, day);
CREATE INDEX IF NOT EXISTS predictions_version ON predictions (model_name, model_version, day);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  rule TEXT NOT NULL,
  live_mae REAL NOT NULL,
  val_mae REAL,
  threshold REAL NOT NULL,
  n_games INTEGER NOT NULL,
  action TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logged_days (
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (model_name, model_version, day)
);
`;

export class PredictionRecorder {
  readonly path: string;
  private readonly db: Database.Database;
  private pending: RecordedPrediction[] = [];
  private timer: NodeJS.Immediate | null = null;
  private readonly insert: Database.Statement;
  private readonly writeAll: (rows: RecordedPrediction[]) => void;
  private lastBatch = 0;
  private readonly onError: (err: Error, rows: number) => void;
  /** Rows that could not be written (reported through `onError`). */
  failedRows = 0;

  constructor(
    file: string,
    options: { readOnly?: boolean; onError?: (err: Error, rows: number) => void } = {},
  ) {
    this.path = path.resolve(file);
    this.onError =
      options.onError ??
      ((err, rows) =>
        process.stderr.write(
          `error: could not record ${rows} predictions in ${this.path}: ${err.message}\n`,
        ));
    try {
      if (!options.readOnly) mkdirSync(path.dirname(this.path), { recursive: true });
      this.db = new Database(this.path, {
        readonly: options.readOnly ?? false,
        fileMustExist: options.readOnly ?? false,
      });
      if (!options.readOnly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
      }
      this.db.pragma('busy_timeout = 5000');
      if (!options.readOnly) this.db.exec(SCHEMA);
    } catch (err) {
      throw new PropflowError(
        `Cannot open the monitoring database ${this.path}: ${(err as Error).message}${options.readOnly ? ' (run `propflow serve` first, or pass --monitor-db PATH)' : ''}`,
        options.readOnly ? 'RESOURCE_DOES_NOT_EXIST' : 'IO_ERROR',
        { cause: err },
      );
    }
    this.insert = options.readOnly
      ? (null as unknown as Database.Statement)
      : this.db.prepare(
          `INSERT INTO predictions (request_id, served_at, model_name, model_version, run_id, player_id, day, team, opponent, home, line, prediction, p_over, inactive)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
    this.writeAll = this.db.transaction((rows: RecordedPrediction[]) => {
      for (const r of rows) {
        this.insert.run(
          r.requestId,
          r.servedAt,
          r.modelName,
          r.modelVersion,
          r.runId,
          r.playerId,
          r.day,
          r.team,
          r.opponent,
          r.home ? 1 : 0,
          r.line,
          r.prediction,
          r.pOver,
          r.inactive ? JSON.stringify(r.inactive) : null,
        );
      }
    });
  }

  /** Queue rows; they are written together on the next tick. */
  record(rows: RecordedPrediction[]): void {
    for (const r of rows) this.pending.push(r);
    if (!this.timer) {
      this.timer = setImmediate(() => {
        try {
          this.flush();
        } catch (err) {
          // a full disk or a locked file must not take the service down: report and go on
          this.failedRows += this.lastBatch;
          this.onError(err as Error, this.lastBatch);
        }
      });
    }
  }

  /** Write the queued rows now; returns how many. */
  flush(): number {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    const rows = this.pending;
    if (rows.length === 0) return 0;
    this.pending = [];
    this.lastBatch = rows.length;
    this.writeAll(rows);
    return rows.length;
  }

  /** Predictions without a result yet on days up to `lastDay`. */
  openPredictions(lastDay: number): Array<{ id: number; playerId: number; day: number }> {
    return this.db
      .prepare('SELECT id, player_id AS playerId, day FROM predictions WHERE result IS NULL AND day <= ?')
      .all(lastDay) as Array<{ id: number; playerId: number; day: number }>;
  }

  /** Store results: `actual` null means the player did not play that day. */
  saveResults(rows: Array<{ id: number; actual: number | null; gameId: string | null }>): void {
    const upd = this.db.prepare('UPDATE predictions SET actual = ?, game_id = ?, result = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) upd.run(r.actual, r.gameId, r.actual === null ? 'did_not_play' : 'joined', r.id);
    })();
  }

  /**
   * Joined games of every version, oldest first; a game (player, day) predicted more than once
   * by a version counts once, with its latest prediction.
   */
  joined(): JoinedRow[] {
    return this.db
      .prepare(
        `SELECT p.model_name AS modelName, p.model_version AS modelVersion, p.player_id AS playerId, p.day AS day,
                p.prediction AS prediction, p.actual AS actual
         FROM predictions p
         JOIN (SELECT MAX(id) AS id FROM predictions WHERE result = 'joined'
               GROUP BY model_name, model_version, player_id, day) last ON last.id = p.id
         ORDER BY p.day, p.id`,
      )
      .all() as JoinedRow[];
  }

  /** Served-prediction counts per version (all, and still waiting for a result). */
  counts(): Array<{ modelName: string; modelVersion: string; served: number; open: number; joined: number }> {
    return this.db
      .prepare(
        `SELECT model_name AS modelName, model_version AS modelVersion, COUNT(*) AS served,
                SUM(result IS NULL) AS open, COALESCE(SUM(result = 'joined'), 0) AS joined
         FROM predictions GROUP BY model_name, model_version ORDER BY model_name, CAST(model_version AS INTEGER)`,
      )
      .all() as Array<{
      modelName: string;
      modelVersion: string;
      served: number;
      open: number;
      joined: number;
    }>;
  }

  loggedDays(modelName: string, modelVersion: string): Set<number> {
    const rows = this.db
      .prepare('SELECT day FROM logged_days WHERE model_name = ? AND model_version = ?')
      .all(modelName, modelVersion) as Array<{ day: number }>;
    return new Set(rows.map((r) => r.day));
  }

  markLogged(modelName: string, modelVersion: string, days: number[]): void {
    const ins = this.db.prepare(
      'INSERT OR IGNORE INTO logged_days (model_name, model_version, day) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const d of days) ins.run(modelName, modelVersion, d);
    })();
  }

  addAlert(a: Omit<AlertRow, 'id'>): number {
    const info = this.db
      .prepare(
        'INSERT INTO alerts (time, model_name, model_version, rule, live_mae, val_mae, threshold, n_games, action, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        a.time,
        a.modelName,
        a.modelVersion,
        a.rule,
        a.liveMae,
        a.valMae,
        a.threshold,
        a.nGames,
        a.action,
        a.message,
      );
    return Number(info.lastInsertRowid);
  }

  alerts(limit = 20): AlertRow[] {
    return (
      this.db
        .prepare(
          `SELECT id, time, model_name AS modelName, model_version AS modelVersion, rule, live_mae AS liveMae,
                  val_mae AS valMae, threshold, n_games AS nGames, action, message
           FROM alerts ORDER BY id DESC LIMIT ?`,
        )
        .all(limit) as AlertRow[]
    ).reverse();
  }

  close(): void {
    if (this.db.open) {
      if (!this.db.readonly) this.flush();
      this.db.close();
    }
  }
}
