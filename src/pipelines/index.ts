/**
 * Pipelines: walk-forward training, two-stage training and walk-forward validation, composed
 * from named steps and logged through the standard tracker; and the demo that runs all three.
 * The only entrance to `pipelines/`.
 */
export {
  DEFAULT_EXPERIMENTS,
  loadPipelineConfig,
  PIPELINE_KINDS,
  type PipelineConfig,
  type PipelineKind,
  readConfigFile,
  resolveConfig,
  type TwoStageConfig,
  type ValidateConfig,
  type WalkForwardConfig,
} from './config.js';
export {
  DEMO_CONFIGS,
  DEMO_CRITERIA,
  DEMO_DATASET_DIR,
  DEMO_EXPERIMENT,
  DEMO_TARGET_MAE,
  type DemoOptions,
  type DemoResult,
  runDemo,
} from './demo.js';
export { type PipelineContext, type PipelineResult, runPipeline } from './pipelines.js';
export { type Progress, Runner, type RunnerOptions, type StepTiming } from './runner.js';
export * as steps from './steps.js';
