/**
 * propflow's models: gradient-boosted trees, baselines, the two-stage model, isotonic
 * calibration and the model artifact. Pure computation (plus reading and writing the
 * artifact folder); the only entrance to `models/`.
 *
 * Features come in as a `FeatureMatrix`: `{ nRows, nCols, values, names? }` with
 * column-major `values[c * nRows + r]` (Float32Array or Float64Array, NaN = missing).
 */
export {
  type ArtifactModel,
  FLAVOR,
  type InputExample,
  inputExampleFrom,
  type LoadedArtifact,
  MLMODEL_FILE,
  type MLmodelInfo,
  type ModelSignature,
  readModelArtifact,
  type SignatureColumn,
  type WriteArtifactOptions,
  writeModelArtifact,
} from './artifact.js';
export { type BaselineOptions, lastNAverage, meanOfPrior, seasonToDateAverage } from './baselines.js';
export { type BinLayout, BinnedMatrix, type BinnedParts } from './gbdt/binning.js';
export {
  checkFeatureMatrix,
  type FeatureMatrix,
  fromColumns,
  fromRowMajor,
  sliceRows,
} from './gbdt/matrix.js';
export {
  type ContinueOptions,
  continueGbdt,
  GBDT_FORMAT,
  GBDT_FORMAT_VERSION,
  GbdtModel,
  type GbdtModelJSON,
  type ImportanceType,
  loadGbdt,
  trainGbdt,
} from './gbdt/model.js';
export { type GbdtParams, type GbdtParamsInput, LOSSES, type Loss, resolveParams } from './gbdt/params.js';
export type { TrainOptions, ValidationSet } from './gbdt/train.js';
export type { Tree } from './gbdt/tree.js';
export {
  fitIsotonic,
  type IsotonicJSON,
  type IsotonicOptions,
  IsotonicRegression,
  loadIsotonic,
} from './isotonic.js';
export {
  loadTwoStage,
  MINUTES_FEATURE,
  type TwoStageJSON,
  type TwoStageMode,
  TwoStageModel,
  type TwoStageParams,
  type TwoStagePrediction,
  type TwoStageReport,
  trainTwoStage,
} from './twoStage.js';
