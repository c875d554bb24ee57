/**
 * propflow tracking: MLflow-compatible entities, one store interface with an embedded
 * (SQLite) and a REST backend, URI resolution, search grammar, validation, and a fluent API
 * for scripts. The only entrance to `src/tracking/`.
 */

export { LocalArtifactRepository, normalizeArtifactPath } from './artifacts/local.js';
export * from './entities.js';
export type * from './store.js';
export { isLoggedModelStore } from './store.js';
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
export * from './wire/index.js';
