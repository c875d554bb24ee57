/**
 * propflow's models: gradient-boosted trees, baselines, the two-stage model, isotonic
 * calibration and the model artifact. Pure computation; the only entrance to `models/`.
 */
export { type BinLayout, BinnedMatrix } from './gbdt/binning.js';
export {
  checkFeatureMatrix,
  type FeatureMatrix,
  fromColumns,
  fromRowMajor,
  sliceRows,
} from './gbdt/matrix.js';
export {
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
