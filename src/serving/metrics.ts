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

/** Metric constructors that register on one registry. */
interface Makers {
  counter: <L extends string>(name: string, help: string, labelNames: L[]) => Counter<L>;
  gauge: <L extends string>(name: string, help: string, labelNames: L[]) => Gauge<L>;
  histogram: <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets: number[],
  ) => Histogram<L>;
}

/** Requests, their latency and the games predicted. */
function trafficMetrics({
  counter,
  histogram,
}: Makers): Pick<ServingMetrics, 'requests' | 'latency' | 'predictions'> {
  return {
    requests: counter(
      'propflow_serving_requests_total',
      'HTTP requests by route, method, status and the model version that answered',
      ['route', 'method', 'status', 'model_version'],
    ),
    latency: histogram(
      'propflow_serving_request_duration_seconds',
      'Time from request to response, by route and model version',
      ['route', 'model_version'],
      [
        0.0001, 0.0002, 0.0003, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
        5,
      ],
    ),
    predictions: counter('propflow_serving_predictions_total', 'Games predicted, by model version', [
      'model_version',
    ]),
  };
}

/** The model version served, its swaps and failed loads. */
function modelMetrics({
  counter,
  gauge,
}: Makers): Pick<ServingMetrics, 'modelVersion' | 'modelInfo' | 'swaps' | 'failedLoads' | 'lastLoadFailed'> {
  return {
    modelVersion: gauge('propflow_serving_model_version', 'The registered model version being served', [
      'model',
    ]),
    modelInfo: gauge(
      'propflow_serving_model_info',
      '1 for the model version being served (run id as a label)',
      ['model', 'version', 'run_id'],
    ),
    swaps: counter('propflow_serving_model_swaps_total', 'Hot swaps to another model version', ['model']),
    failedLoads: counter(
      'propflow_serving_model_load_failures_total',
      'Model versions that failed to load or check (the previous version kept serving)',
      ['model'],
    ),
    lastLoadFailed: gauge(
      'propflow_serving_model_load_failed',
      '1 while the latest attempt to load the registry version failed',
      ['model'],
    ),
  };
}

/** Live accuracy against the version's validation and the degradation alert. */
function monitoringMetrics({
  gauge,
}: Makers): Pick<ServingMetrics, 'alert' | 'liveMae' | 'valMae' | 'liveGames'> {
  return {
    alert: gauge(
      'propflow_serving_degradation_alert',
      '1 while a model version breaks the degradation rule',
      ['model', 'version'],
    ),
    liveMae: gauge('propflow_serving_live_mae', 'Live MAE over the rolling window of games with results', [
      'model',
      'version',
    ]),
    valMae: gauge('propflow_serving_val_mae', "The version's validation MAE (run metric val_mae)", [
      'model',
      'version',
    ]),
    liveGames: gauge('propflow_serving_live_games', 'Games with results in the rolling window', [
      'model',
      'version',
    ]),
  };
}

/** The history features are computed from, its reloads and the predictions recorded. */
function dataMetrics({
  counter,
  gauge,
}: Makers): Pick<ServingMetrics, 'historyEnd' | 'datasetReloads' | 'recorded'> {
  return {
    historyEnd: gauge(
      'propflow_serving_history_end_yyyymmdd',
      'Last game date in the history the service computes features from',
      [],
    ),
    datasetReloads: counter(
      'propflow_serving_dataset_reloads_total',
      'Times a newer dataset folder was loaded',
      [],
    ),
    recorded: counter(
      'propflow_serving_recorded_predictions_total',
      'Predictions written to the monitoring database',
      [],
    ),
  };
}

export function createServingMetrics(): ServingMetrics {
  const registry = new Registry();
  const registers = [registry];
  const makers: Makers = {
    counter: (name, help, labelNames) => new Counter({ name, help, labelNames, registers }),
    gauge: (name, help, labelNames) => new Gauge({ name, help, labelNames, registers }),
    histogram: (name, help, labelNames, buckets) =>
      new Histogram({ name, help, labelNames, buckets, registers }),
  };
  // registration order is the order /metrics lists them in
  return {
    registry,
    ...trafficMetrics(makers),
    ...modelMetrics(makers),
    ...monitoringMetrics(makers),
    ...dataMetrics(makers),
  };
}
