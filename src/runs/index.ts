/**
 * Runs: listing and showing runs, comparing them (params, metrics, per-fold scores by date,
 * paired tests), reproducing a run, the experiment tree, templates, migration and run-name
 * lint. Uses only the `TrackingStore` interface, so it works on the embedded store, a
 * `propflow server` and a real MLflow server. The only entrance to `src/runs/`.
 */
export { foldChartSpec } from './chart-spec.js';
export {
  type ComparedRun,
  type CompareOptions,
  type Comparison,
  compareRuns,
  type FoldRow,
  foldDateString,
  type MetricRow,
  type RunPair,
  type RunWins,
  type ValueRow,
} from './compare.js';
export {
  type ComparisonFormat,
  comparisonCsv,
  comparisonMarkdown,
  comparisonTable,
  formatComparison,
} from './format.js';
export { listExperiments, mapLimit, metricHistory, resolveRun, resolveRuns } from './load.js';
export {
  type PairedTestResult,
  pairedTests,
  type TTestResult,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from './stats.js';
export { clip, fmtNumber, fmtP, renderSideBySide, renderTable, TABLE_WIDTH } from './table.js';
