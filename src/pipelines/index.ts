/**
 * Pipelines: end-to-end jobs built from the data, features, models, validation, tracking
 * and registry modules. The only entrance to `pipelines/`.
 */
export {
  DEMO_CRITERIA,
  DEMO_EXPERIMENT,
  DEMO_GATE,
  DEMO_GBDT_PARAMS,
  DEMO_TARGET_MAE,
  type DemoFoldSummary,
  type DemoOptions,
  type DemoResult,
  type DemoSegment,
  runDemo,
} from './demo.js';
