/**
 * Features with lineage: definitions as data, versioned feature sets, lineage against a
 * baseline, one builder for training and serving, and the leakage guard.
 */
export {
  buildFeatures,
  buildFeaturesForUpcoming,
  type FeatureMatrix,
  featureColumn,
  type GameKeys,
  prepareUpcomingFeatures,
} from './builder.js';
export { type ContextOptions, DEFAULT_CONTEXT, type GameContext, gameContext } from './context.js';
export {
  type FeatureCategory,
  type FeatureDefinition,
  type FeatureSet,
  feature,
  TRANSFORMS,
  type Transform,
  validateFeature,
  validateFeatureSet,
} from './definitions.js';
export {
  checkNoLeakage,
  gameKeysOf,
  type LeakageMismatch,
  type LeakageReport,
  sampleDates,
} from './leakage.js';
export { type FeatureLineage, featureLineage } from './lineage.js';
export {
  FEATURE_SETS,
  getFeatureSet,
  V1_BASELINE,
  V2_OPPONENT_EFFICIENCY,
  V3_ADVANCED,
  V4_CONTEXT,
  V4_MARKET,
} from './sets.js';
export { linesForRows, quotesForRows, type ScheduledGame, upcomingFromSchedule } from './upcoming.js';
