/**
 * Wire the prediction service from settings: open the tracking store and the monitoring
 * database, load the live version and the history, listen. Used by `propflow serve`, the
 * tests and the benchmark.
 */
import { listen } from '../server/index.js';
import { openStore, type TrackingStore } from '../tracking/index.js';
import { exampleGame } from './data.js';
import type { Log } from './monitor.js';
import { PredictionRecorder } from './recorder.js';
import type { DegradationRule } from './rule.js';
import { PredictionService } from './service.js';

export interface StartServingOptions {
  trackingUri: string;
  modelName: string;
  alias?: string;
  stage?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  pollMs?: number;
  /** SQLite file for the served predictions (null: do not record). */
  monitorDb: string | null;
  rule: DegradationRule;
  autoRollback: boolean;
  webhook?: string;
  actor?: string;
  log?: Log;
  env?: NodeJS.ProcessEnv;
}

export interface RunningService {
  url: string;
  port: number;
  service: PredictionService;
  store: TrackingStore;
  recorder: PredictionRecorder | null;
  /** A ready-to-paste request for this history. */
  curl: string;
  /** Stop polling, finish in-flight requests, write pending predictions, close the stores. */
  close(): Promise<void>;
}

export async function startServing(options: StartServingOptions): Promise<RunningService> {
  const store = await openStore(options.trackingUri, options.env ? { env: options.env } : {});
  let recorder: PredictionRecorder | null = null;
  let service: PredictionService | null = null;
  try {
    const log = options.log;
    recorder = options.monitorDb
      ? new PredictionRecorder(
          options.monitorDb,
          log
            ? { onError: (err, rows) => log('error', `could not record ${rows} predictions: ${err.message}`) }
            : {},
        )
      : null;
    service = await PredictionService.start({
      store,
      modelName: options.modelName,
      ...(options.alias ? { alias: options.alias } : {}),
      ...(options.stage ? { stage: options.stage } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      recorder,
      monitor: recorder
        ? {
            rule: options.rule,
            autoRollback: options.autoRollback,
            ...(options.webhook ? { webhook: options.webhook } : {}),
            ...(options.actor ? { actor: options.actor } : {}),
          }
        : null,
      ...(options.log ? { log: options.log } : {}),
    });
    const server = await listen(service.app, {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8080,
      requestTimeoutMs: 60_000,
    });
    const body = JSON.stringify({ games: [exampleGame(service.current.data)] });
    const curl = `curl -s -X POST ${server.url}/v1/predictions -H 'content-type: application/json' -d '${body}'`;
    const svc = service;
    const rec = recorder;
    return {
      url: server.url,
      port: server.port,
      service: svc,
      store,
      recorder: rec,
      curl,
      close: async () => {
        await svc.close();
        await server.close();
        rec?.close();
        await store.close();
      },
    };
  } catch (err) {
    await service?.close();
    recorder?.close();
    await store.close();
    throw err;
  }
}
