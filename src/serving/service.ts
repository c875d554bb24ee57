/**
 * The prediction service: the registry's live version (`models:/<name>@production` by
 * default) over the dataset's history, hot-swapped when the registry moves, with the dataset
 * reloaded when it gains games (and monitoring run on them).
 *
 * Every request takes the current `Snapshot` once and uses only it, so a request is answered
 * by exactly one model version over exactly one history; a swap builds the next snapshot
 * beside the current one (load, check, prepare features) and then replaces one reference.
 */
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { formatDay, parseIsoDay } from '../data/index.js';
import { InvalidParameterError, NotFoundError, toPropflowError } from '../errors.js';
import { prepareUpcomingFeatures } from '../features/index.js';
import { GbdtModel } from '../models/index.js';
import { PRODUCTION_ALIAS } from '../registry/index.js';
import type { ModelVersion, TrackingStore } from '../tracking/index.js';
import { datasetStamp, loadServingData, type ServingData } from './data.js';
import { createServingMetrics, type ServingMetrics } from './metrics.js';
import { loadServedModel, type ServedModel } from './model.js';
import { type Log, type MonitorReport, runMonitoring } from './monitor.js';
import {
  MAX_GAMES,
  makeSnapshot,
  parseRequest,
  predictGames,
  RequestError,
  type Snapshot,
} from './predict.js';
import type { PredictionRecorder } from './recorder.js';
import type { DegradationRule } from './rule.js';

export interface ServiceOptions {
  store: TrackingStore;
  /** Registered model name (default NBAPropsModel). */
  modelName: string;
  /** Alias naming the live version (default `production`); ignored when `stage` is given. */
  alias?: string;
  /** Follow a stage instead of an alias (`Production`, `Staging`). */
  stage?: string;
  /** Dataset folder; default: `dataset_dir` of the served version's `training_info.json`. */
  dataDir?: string;
  /** How often the registry and the dataset folder are checked, in ms (default 2000; 0: never). */
  pollMs?: number;
  /** Where served predictions are recorded (null: not recorded). */
  recorder?: PredictionRecorder | null;
  /** Monitoring when the dataset gains games (needs a recorder). */
  monitor?: { rule: DegradationRule; autoRollback: boolean; webhook?: string; actor?: string } | null;
  log?: Log;
}

/** Largest request body (1,000 games take about 150 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Per-request variables: the model version that answered (for the metrics labels). */
type Env = { Variables: { modelVersion?: string } };

export interface SwapEvent {
  from: string;
  to: string;
  at: string;
  seconds: number;
}

/** What the registry points at now (the version, or a reason there is none). */
async function liveVersion(
  store: TrackingStore,
  name: string,
  alias: string,
  stage?: string,
): Promise<ModelVersion> {
  if (stage) {
    const vs = await store.getLatestVersions(name, [stage as ModelVersion['currentStage']]);
    const best = vs.sort((a, b) => Number(b.version) - Number(a.version))[0];
    if (!best) throw new NotFoundError(`'${name}' has no version in stage ${stage}`);
    return best;
  }
  return store.getModelVersionByAlias(name, alias);
}

export class PredictionService {
  readonly metrics: ServingMetrics;
  readonly app: Hono<Env>;
  readonly swaps: SwapEvent[] = [];
  private snapshot!: Snapshot;
  private readonly log: Log;
  private readonly alias: string;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private closed = false;
  /** The version (and its last update) that failed to load, so it is not retried every poll. */
  private failed: { version: string; updated: number; message: string; at: string } | null = null;
  private readonly featureCache = new Map<string, Snapshot['features']>();
  readonly startedAt = Date.now();
  lastMonitor: MonitorReport | null = null;

  private constructor(readonly options: ServiceOptions) {
    this.log = options.log ?? (() => undefined);
    this.alias = options.alias ?? PRODUCTION_ALIAS;
    this.metrics = createServingMetrics();
    this.app = this.buildApp();
  }

  /** What the service follows, as a model URI. */
  get modelUri(): string {
    return this.options.stage
      ? `models:/${this.options.modelName}/${this.options.stage}`
      : `models:/${this.options.modelName}@${this.alias}`;
  }

  get current(): Snapshot {
    return this.snapshot;
  }

  /** Load the live version and the history; throws a clear error when either is missing. */
  static async start(options: ServiceOptions): Promise<PredictionService> {
    const s = new PredictionService(options);
    const name = options.modelName;
    let v: ModelVersion;
    try {
      await options.store.getRegisteredModel(name);
    } catch (err) {
      if (toPropflowError(err).status === 404) {
        throw new NotFoundError(
          `No registered model '${name}' in the tracking store. Train and register one first (\`propflow demo\` does both), or pass --model NAME.`,
        );
      }
      throw err;
    }
    try {
      v = await liveVersion(options.store, name, s.alias, options.stage);
    } catch (err) {
      const e = toPropflowError(err);
      if (e.status < 500) {
        throw new NotFoundError(
          `'${name}' has no ${options.stage ? `version in stage ${options.stage}` : `version with alias '${s.alias}'`} (${s.modelUri}: ${e.message}). Promote one: \`propflow registry promote --name ${name} --version N --stage Production\`.`,
        );
      }
      throw err;
    }
    const model = await loadServedModel(options.store, v);
    const dir = options.dataDir ?? s.datasetDirOf(model);
    const data = loadServingData(dir);
    s.snapshot = s.snapshotFor(model, data);
    s.setModelGauges(null, model);
    s.metrics.historyEnd.set(Number(formatDay(data.historyEnd).replaceAll('-', '')));
    if ((options.pollMs ?? 2000) > 0) s.schedule();
    return s;
  }

  private datasetDirOf(model: ServedModel): string {
    const where = `${model.name} version ${model.version} (run ${model.runId})`;
    if (!model.hasTrainingInfo) {
      throw new InvalidParameterError(
        `${where} has no training_info.json to say which dataset it was trained on; pass --data DIR (a folder from \`propflow data ingest\`).`,
      );
    }
    if (!model.datasetDir) {
      throw new InvalidParameterError(
        `${where} was trained on an in-memory league (training_info.json has no dataset_dir); pass --data DIR with the dataset to serve over.`,
      );
    }
    return model.datasetDir;
  }

  private snapshotFor(model: ServedModel, data: ServingData): Snapshot {
    const key = `${data.stamp}|${data.version.hash}|${JSON.stringify(model.featureSet)}`;
    let features = this.featureCache.get(key);
    if (!features) {
      features = prepareUpcomingFeatures(data.players, model.featureSet);
      // keep the entries of the current history only
      for (const k of this.featureCache.keys())
        if (!k.startsWith(`${data.stamp}|`)) this.featureCache.delete(k);
      this.featureCache.set(key, features);
    }
    return makeSnapshot(model, data, features);
  }

  private setModelGauges(old: ServedModel | null, next: ServedModel): void {
    const name = next.name;
    if (old) this.metrics.modelInfo.remove({ model: name, version: old.version, run_id: old.runId });
    this.metrics.modelInfo.set({ model: name, version: next.version, run_id: next.runId }, 1);
    this.metrics.modelVersion.set({ model: name }, Number(next.version));
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch((err: unknown) =>
          this.log('error', `background check failed (will retry): ${toPropflowError(err).message}`),
        )
        .finally(() => this.schedule());
    }, this.options.pollMs ?? 2000);
    this.timer.unref();
  }

  /** One check of the registry and the dataset folder (serialized with any other check). */
  tick(): Promise<void> {
    const next = this.busy.then(async () => {
      if (this.closed) return;
      const changed = await this.checkDataset();
      if (changed && this.options.recorder && this.options.monitor) await this.monitor();
      await this.checkRegistry();
    });
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** Swap to the registry's live version if it changed. Returns what happened. */
  async checkRegistry(): Promise<'unchanged' | 'swapped' | 'failed'> {
    const name = this.options.modelName;
    let v: ModelVersion;
    try {
      v = await liveVersion(this.options.store, name, this.alias, this.options.stage);
    } catch (err) {
      // during a promotion the alias can be absent for a moment: keep serving what we have
      this.log(
        'warn',
        `registry check for ${this.modelUri} failed (still serving v${this.snapshot.model.version}): ${toPropflowError(err).message}`,
      );
      return 'unchanged';
    }
    const cur = this.snapshot.model;
    if (v.version === cur.version) {
      this.failed = null;
      this.metrics.lastLoadFailed.set({ model: name }, 0);
      return 'unchanged';
    }
    if (this.failed && this.failed.version === v.version && this.failed.updated === v.lastUpdatedTimestamp)
      return 'failed';
    const t0 = performance.now();
    let next: Snapshot;
    try {
      const model = await loadServedModel(this.options.store, v);
      next = this.snapshotFor(model, this.snapshot.data);
      // the new version must answer the request the start-up line shows before it takes traffic
      predictGames(next, [this.probeGame(next.data)]);
    } catch (err) {
      this.failed = {
        version: v.version,
        updated: v.lastUpdatedTimestamp,
        message: toPropflowError(err).message,
        at: new Date().toISOString(),
      };
      this.metrics.failedLoads.inc({ model: name });
      this.metrics.lastLoadFailed.set({ model: name }, 1);
      this.log(
        'error',
        `could not load ${name} v${v.version} (${this.modelUri}); still serving v${cur.version}: ${toPropflowError(err).message}`,
      );
      return 'failed';
    }
    if (this.closed) return 'unchanged';
    this.snapshot = next;
    this.failed = null;
    const seconds = (performance.now() - t0) / 1000;
    this.swaps.push({ from: cur.version, to: next.model.version, at: new Date().toISOString(), seconds });
    this.metrics.swaps.inc({ model: name });
    this.metrics.lastLoadFailed.set({ model: name }, 0);
    this.setModelGauges(cur, next.model);
    this.log(
      'info',
      `swapped ${name} v${cur.version} → v${next.model.version} (${this.modelUri}, loaded and checked in ${seconds.toFixed(2)} s)`,
    );
    return 'swapped';
  }

  /** A game that must predict on this history: the example of the start-up lines. */
  private probeGame(data: ServingData) {
    const [id, info] = [...data.playerIndex][0]!;
    const opponent = [...data.teams].find((t) => t !== info.team)!;
    return {
      player_id: id,
      game_date: formatDay(data.historyEnd + 1),
      team: info.team,
      opponent,
      home: true,
      line: 20.5,
    };
  }

  /** Reload the dataset folder if it was rewritten (new games). Returns whether it changed. */
  async checkDataset(): Promise<boolean> {
    const cur = this.snapshot.data;
    const stamp = datasetStamp(cur.dir);
    if (stamp === 0 || stamp === cur.stamp) return false;
    let data: ServingData;
    try {
      data = loadServingData(cur.dir);
    } catch (err) {
      this.log(
        'error',
        `could not reload the dataset ${cur.dir}; keeping the history to ${formatDay(cur.historyEnd)}: ${toPropflowError(err).message}`,
      );
      return false;
    }
    if (data.version.hash === cur.version.hash) return false;
    this.snapshot = this.snapshotFor(this.snapshot.model, data);
    this.metrics.datasetReloads.inc();
    this.metrics.historyEnd.set(Number(formatDay(data.historyEnd).replaceAll('-', '')));
    this.log(
      'info',
      `dataset ${cur.dir} reloaded: history now to ${formatDay(data.historyEnd)} (${data.players.n.toLocaleString('en-US')} player-games)`,
    );
    return true;
  }

  /** Join results from the current history and apply the degradation rule; swaps after a rollback. */
  async monitor(): Promise<MonitorReport | null> {
    const { recorder, monitor } = this.options;
    if (!recorder || !monitor) return null;
    const report = await runMonitoring(
      {
        store: this.options.store,
        recorder,
        rule: monitor.rule,
        autoRollback: monitor.autoRollback,
        ...(monitor.webhook ? { webhook: monitor.webhook } : {}),
        ...(monitor.actor ? { actor: monitor.actor } : {}),
        log: this.log,
        metrics: this.metrics,
      },
      this.snapshot.data.players,
    );
    this.lastMonitor = report;
    return report;
  }

  private modelInfo(s: Snapshot) {
    const m = s.model;
    return {
      name: m.name,
      version: m.version,
      run_id: m.runId,
      model_uri: this.modelUri,
      stage_when_loaded: m.stage,
      source: m.source,
      model_uuid: m.modelUuid,
      model_type: m.model instanceof GbdtModel ? 'gbdt' : 'two_stage',
      trained_until: m.trainedUntil,
      feature_set: {
        name: m.featureSet.name,
        version: m.featureSet.version,
        n_features: m.featureSet.features.length,
      },
      val_mae: m.valMae,
      calibration: m.calibration !== null,
      loaded_at: m.loadedAt,
      dataset: {
        dir: s.data.dir,
        hash: s.data.version.hash,
        history_end: formatDay(s.data.historyEnd),
        first_predictable_date: formatDay(s.data.historyEnd + 1),
        players: s.data.playerIndex.size,
      },
      swaps: this.swaps.length,
      // the registry names a version that could not be loaded (the one above keeps serving)
      load_error: this.failed
        ? { version: this.failed.version, message: this.failed.message, at: this.failed.at }
        : null,
    };
  }

  /** `POST /v1/predictions`: check, predict and record with ONE snapshot. */
  private async predictions(c: Context<Env>): Promise<Response> {
    const m = this.metrics;
    const s = this.snapshot; // ONE snapshot for the whole request
    c.set('modelVersion', s.model.version);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new RequestError([
        {
          index: null,
          field: 'body',
          message: 'is not valid JSON; send {"games": [...]} with content-type application/json',
        },
      ]);
    }
    const games = parseRequest(body, s.data);
    const predictions = predictGames(s, games);
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    m.predictions.inc({ model_version: s.model.version }, predictions.length);
    const recorder = this.options.recorder;
    if (recorder) {
      const now = Date.now();
      recorder.record(
        predictions.map((p, i) => ({
          requestId,
          servedAt: now,
          modelName: s.model.name,
          modelVersion: s.model.version,
          runId: s.model.runId,
          playerId: p.player_id,
          day: parseIsoDay(p.game_date),
          team: p.team,
          opponent: p.opponent,
          home: p.home,
          line: p.line,
          prediction: p.prediction,
          pOver: p.p_over,
          inactive: games[i]!.inactive ?? null,
        })),
      );
      m.recorded.inc(predictions.length);
    }
    const anyInactive = !s.availability && games.some((g) => g.inactive && g.inactive.length > 0);
    return c.json({
      request_id: requestId,
      model: { name: s.model.name, version: s.model.version, run_id: s.model.runId },
      predictions,
      ...(anyInactive
        ? {
            note: `inactive lists are recorded; feature set ${s.model.featureSet.name} has no teammate-availability feature, so they do not change the predictions`,
          }
        : {}),
    });
  }

  private buildApp(): Hono<Env> {
    const app = new Hono<Env>();
    const m = this.metrics;
    app.use(async (c, next) => {
      const t0 = performance.now();
      await next();
      const route = c.req.routePath === '/*' ? 'other' : c.req.routePath;
      const version = c.get('modelVersion') ?? this.snapshot?.model.version ?? 'none';
      m.requests.inc({ route, method: c.req.method, status: String(c.res.status), model_version: version });
      m.latency.observe({ route, model_version: version }, (performance.now() - t0) / 1000);
    });
    app.get('/health', (c) => {
      const s = this.snapshot;
      c.set('modelVersion', s.model.version);
      return c.json({
        status: 'ok',
        model: s.model.name,
        version: s.model.version,
        history_end: formatDay(s.data.historyEnd),
        uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000),
      });
    });
    app.get('/v1/model', (c) => {
      const s = this.snapshot;
      c.set('modelVersion', s.model.version);
      return c.json(this.modelInfo(s));
    });
    app.get('/metrics', async (c) => {
      c.header('content-type', m.registry.contentType);
      return c.body(await m.registry.metrics());
    });
    app.post(
      '/v1/predictions',
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: (c) =>
          c.json(
            {
              error_code: 'RESOURCE_EXHAUSTED',
              message: `body: larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB; send at most ${MAX_GAMES} games a request`,
            },
            413,
          ),
      }),
      (c) => this.predictions(c),
    );
    app.notFound((c) =>
      c.json(
        {
          error_code: 'ENDPOINT_NOT_FOUND',
          message: `No route ${c.req.method} ${c.req.path}. Routes: POST /v1/predictions, GET /v1/model, /health, /metrics.`,
        },
        404,
      ),
    );
    app.onError((err, c) => {
      if (err instanceof RequestError) {
        return c.json({ error_code: err.code, message: err.message, problems: err.problems }, err.httpStatus);
      }
      const e = toPropflowError(err);
      if (e.status >= 500) this.log('error', `${c.req.method} ${c.req.path}: ${e.stack ?? e.message}`);
      return c.json(e.toJSON(), Math.min(e.status, 500) as 400);
    });
    return app;
  }

  /** Stop polling, let a running check finish, write pending predictions. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    this.options.recorder?.flush();
  }
}
