/**
 * Serving: the prediction service (`propflow serve`) — the registry's live model version over
 * the dataset's history with the training feature code, hot swap, Prometheus metrics — and
 * monitoring (recorded predictions, live MAE per version, degradation alerts, rollback).
 * The only entrance to `serving/`.
 */
export { datasetStamp, exampleGame, loadServingData, type PlayerInfo, type ServingData } from './data.js';
export { createServingMetrics, type ServingMetrics } from './metrics.js';
export { loadServedModel, predictPra, type ServedModel } from './model.js';
export {
  degradationReason,
  joinResults,
  type Log,
  liveSeries,
  MONITOR_MODEL_TAG,
  MONITOR_VERSION_TAG,
  MONITORING_EXPERIMENT,
  type MonitorOptions,
  type MonitorReport,
  monitorStatus,
  runMonitoring,
  type VersionStatus,
} from './monitor.js';
export {
  type GamePrediction,
  type GameRequest,
  MAX_GAMES,
  makeSnapshot,
  type Problem,
  parseRequest,
  predictGames,
  RequestError,
  type Snapshot,
} from './predict.js';
export {
  type AlertRow,
  DEFAULT_MONITOR_DB,
  type JoinedRow,
  PredictionRecorder,
  type RecordedPrediction,
} from './recorder.js';
export { DEFAULT_RULE, type DegradationRule, describeThreshold, parseRule, threshold } from './rule.js';
export { PredictionService, type ServiceOptions, type SwapEvent } from './service.js';
export { type RunningService, type StartServingOptions, startServing } from './start.js';
