/**
 * The NBA standard tracker: the only place that turns domain results (datasets, folds,
 * predictions, models) into tracking calls and artifacts, and the run-name rules. The only
 * entrance to `src/tracker/`.
 */
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
