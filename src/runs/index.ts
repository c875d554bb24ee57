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
export { type LintProblem, type LintReport, lintRunNames, RUN_NAME_RULE, runNameProblem } from './lint.js';
export {
  experimentIdsFor,
  type FoldSummary,
  type ListRunsOptions,
  listArtifactsDeep,
  listRuns,
  type RunDetails,
  type RunSummary,
  showRun,
} from './list.js';
export { allRuns, listExperiments, mapLimit, metricHistory, resolveRun, resolveRuns } from './load.js';
export {
  compilePattern,
  copyRun,
  MIGRATED_FROM,
  MIGRATED_TO,
  type MigrationAction,
  type MigrationEvent,
  type MigrationPlan,
  type MigrationResult,
  type MigrationRule,
  migrate,
  PARTIAL as MIGRATION_PARTIAL_TAG,
  type PlannedMove,
  parseRules,
  planMigration,
} from './migrate.js';
export {
  checkLineage,
  type MetricDifference,
  REPRODUCES_TAG,
  type ReproduceOptions,
  type ReproduceReport,
  reproduceRun,
} from './reproduce.js';
export {
  loadStatistics,
  type PairedTestResult,
  pairedTests,
  type TTestResult,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from './stats.js';
export { clip, clipMiddle, fmtNumber, fmtP, renderSideBySide, renderTable, TABLE_WIDTH } from './table.js';
export {
  type CreatedExperiment,
  createFromTemplate,
  type ExperimentTemplate,
  getTemplate,
  TEMPLATES,
  templateConfigYaml,
} from './templates.js';
export { experimentTree, PROJECT_ROOT, renderTree, STANDARD_PHASES, type TreeNode } from './tree.js';
