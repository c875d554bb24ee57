/**
 * propflow tracking: MLflow-compatible entities, one store interface with an embedded
 * (SQLite) and a REST backend, URI resolution, the search grammar, MLflow's validation, the
 * MLflow REST wire format, and a fluent API for scripts. The only entrance to `src/tracking/`.
 *
 * Backends are opened through `openStore(uri)`, which imports the SQLite (native) or REST
 * module only when it is used.
 */

// local artifact folders (path normalisation and confinement)
export { LocalArtifactRepository, normalizeArtifactPath } from './artifacts/local.js';
// entities and the store interface
export * from './entities.js';
// fluent API for scripts
export {
  ActiveRun,
  endActiveRuns,
  getOrCreateExperiment,
  type StartRunOptions,
  startRun,
  type TagInput,
  withRun,
} from './fluent.js';
// search grammar, ordering, paging
export {
  type Comparison,
  decodePageToken,
  EXPERIMENT_GRAMMAR,
  encodePageToken,
  filterItems,
  filterRuns,
  type Grammar,
  LOGGED_MODEL_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  type OrderClause,
  paginate,
  parseOrderBy,
  parseSearchFilter,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
  sortItems,
  sortRuns,
} from './search/index.js';
export type * from './store.js';
export { isLoggedModelStore } from './store.js';
export type { RestStoreOptions, RetryOptions } from './stores/rest/index.js';
export type { SqliteStore, SqliteStoreOptions } from './stores/sqlite/index.js';
// URIs: tracking URIs, opening stores, model URIs
export {
  defaultArtifactRoot,
  type ModelUri,
  type OpenStoreOptions,
  openStore,
  parseModelUri,
  type ResolvedModelUri,
  resolveModelUri,
  resolveTrackingUri,
  sqlitePathFromUri,
  type TrackingUriKind,
  trackingUriKind,
} from './uri.js';
// MLflow's validation (limits, key rules, messages) for servers and clients
export {
  ACTIVE_STAGES,
  canonicalStage,
  KEY_PATTERN,
  LIMITS,
  normalizePosixPath,
  paramChangedError,
  validateAliasName,
  validateBatchLimits,
  validateExperimentName,
  validateKey,
  validateMaxResults,
  validateMetric,
  validateModelName,
  validateModelVersion,
  validateParam,
  validateParamKeysUnique,
  validateTag,
} from './validation.js';

// the MLflow REST wire format, shared by the REST store and the server
export * from './wire/index.js';
