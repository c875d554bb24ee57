/**
 * The NBA standard tracker: the only place that turns domain results (datasets, folds,
 * predictions, models) into tracking calls and artifacts, and the run-name rules. The only
 * entrance to `src/tracker/`.
 */

export {
  type FoldMaeRow,
  featureImportanceSpec,
  foldMaeSpec,
  type ImportanceRow,
  type ReliabilityBin,
  type ResidualRow,
  reliabilityBins,
  reliabilitySpec,
  residualSummaries,
  residualsSpec,
} from './charts.js';
export {
  formatRunName,
  nextRunName,
  parseRunName,
  type RunNameInput,
  type RunNameParts,
  runNameDate,
  validateRunName,
  walkForwardValidationName,
} from './naming.js';
export { gitCommit, initialTags, propflowVersion, STANDARD_TAGS, type StandardTagsInput } from './tags.js';
export {
  type BettingSummary,
  dayNumberToYyyymmdd,
  type FoldLog,
  type LogModelOptions,
  type PredictionRow,
  StandardNBAPropsTracker,
  type TrackerRunOptions,
  type ValidationMetricsInput,
} from './tracker.js';
