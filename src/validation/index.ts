/**
 * Walk-forward validation and betting evaluation: fold construction (leak-free by
 * construction), regression metrics and a betting simulation at American odds. Pure
 * computation on typed arrays; the only entrance to `validation/`.
 */
export {
  americanPayout,
  type BetInput,
  type BetResult,
  type BootstrapOptions,
  bootstrapRoi,
  simulateBets,
} from './betting.js';
export { type Fold, type WalkForwardOptions, walkForwardFolds } from './folds.js';
export { type RegressionMetrics, regressionMetrics, type SegmentMetrics, segmentMetrics } from './metrics.js';
export {
  choiceLabel,
  normalPOver,
  type QuoteBetInput,
  type QuoteBetResult,
  type QuoteChoice,
  type RowQuotes,
  simulateQuoteBets,
} from './quotes.js';
export { type QualityInputs, type QualityReport, qualityReport, type VegaLiteSpec } from './report.js';
export {
  type FoldResult,
  planWalkForward,
  runWalkForward,
  type WalkForwardPlan,
  type WalkForwardResult,
  type WalkForwardSpec,
  type WalkForwardStrategy,
} from './walkforward.js';
