/** The service's Prometheus metrics (`GET /metrics`), on a registry of its own (no global state). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServingMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status' | 'model_version'>;
  latency: Histogram<'route' | 'model_version'>;
  predictions: Counter<'model_version'>;
  modelVersion: Gauge<'model'>;
  modelInfo: Gauge<'model' | 'version' | 'run_id'>;
  swaps: Counter<'model'>;
  failedLoads: Counter<'model'>;
  lastLoadFailed: Gauge<'model'>;
  alert: Gauge<'model' | 'version'>;
  liveMae: Gauge<'model' | 'version'>;
  valMae: Gauge<'model' | 'version'>;
  liveGames: Gauge<'model' | 'version'>;
  historyEnd: Gauge;
  datasetReloads: Counter;
  recorded: Counter;
}

export function createServingMetrics(): ServingMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'propflow_serving_requests_total',
      help: 'HTTP requests by route, method, status and the model version that answered',
      labelNames: ['route', 'method', 'status', 'model_version'],
      registers,
    }),
    latency: new Histogram({
      name: 'propflow_serving_request_duration_seconds',
      help: 'Time from request to response, by route and model version',
      labelNames: ['route', 'model_version'],
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    predictions: new Counter({
      name: 'propflow_serving_predictions_total',
      help: 'Games predicted, by model version',
      labelNames: ['model_version'],
      registers,
    }),
    modelVersion: new Gauge({
      name: 'propflow_serving_model_version',
      help: 'The registered model version being served',
      labelNames: ['model'],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'propflow_serving_model_info',
      help: '1 for the model version being served (run id as a label)',
      labelNames: ['model', 'version', 'run_id'],
      registers,
    }),
    swaps: new Counter({
      name: 'propflow_serving_model_swaps_total',
      help: 'Hot swaps to another model version',
      labelNames: ['model'],
      registers,
    }),
    failedLoads: new Counter({
      name: 'propflow_serving_model_load_failures_total',
      help: 'Model versions that failed to load or check (the previous version kept serving)',
      labelNames: ['model'],
      registers,
    }),
    lastLoadFailed: new Gauge({
      name: 'propflow_serving_model_load_failed',
      help: '1 while the latest attempt to load the registry version failed',
      labelNames: ['model'],
      registers,
    }),
    alert: new Gauge({
      name: 'propflow_serving_degradation_alert',
      help: '1 while a model version breaks the degradation rule',
      labelNames: ['model', 'version'],
      registers,
    }),
    liveMae: new Gauge({
      name: 'propflow_serving_live_mae',
      help: 'Live MAE over the rolling window of games with results',
      labelNames: ['model', 'version'],
      registers,
    }),
    valMae: new Gauge({
      name: 'propflow_serving_val_mae',
      help: "The version's validation MAE (run metric val_mae)",
      labelNames: ['model', 'version'],
      registers,
    }),
    liveGames: new Gauge({
      name: 'propflow_serving_live_games',
      help: 'Games with results in the rolling window',
      labelNames: ['model', 'version'],
      registers,
    }),
    historyEnd: new Gauge({
      name: 'propflow_serving_history_end_yyyymmdd',
      help: 'Last game date in the history the service computes features from',
      registers,
    }),
    datasetReloads: new Counter({
      name: 'propflow_serving_dataset_reloads_total',
      help: 'Times a newer dataset folder was loaded',
      registers,
    }),
    recorded: new Counter({
      name: 'propflow_serving_recorded_predictions_total',
      help: 'Predictions written to the monitoring database',
      registers,
    }),
  };
}
