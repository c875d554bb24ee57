/**
 * The model registry workflow: gated registration, production criteria, promotion with
 * exactly one Production version, rollback from the history, and an audit history kept with
 * MLflow primitives. Works on any `TrackingStore` (embedded or an MLflow server).
 *
 * ```ts
 * const registry = new ModelRegistry(store, { actor: 'ci' });
 * const reg = await registry.register({ runId, gate: 'val_mae<6.0' });
 * if (reg.registered) {
 *   await registry.evaluate({ version: reg.version, criteria: await loadCriteria('criteria.yaml') });
 *   await registry.promote({ version: reg.version, stage: 'Production' });
 * }
 * await registry.rollback({ reason: 'live MAE drifted' });
 * ```
 */
export {
  type Criteria,
  type Criterion,
  type CriterionResult,
  criteriaFromObject,
  loadCriteria,
  parseCriteria,
} from './criteria.js';
export { type Gate, type GateOperator, parseGate, passesGate } from './gate.js';
export {
  HISTORY_PREFIX,
  type HistoryAction,
  type HistoryEvent,
  historyKey,
  LEDGER_EXPERIMENT,
  LEDGER_TAG,
  MAX_REASON_LENGTH,
  type ReplayedState,
  replay,
} from './history.js';
export {
  artifactExists,
  DEFAULT_MODEL_ARTIFACT_PATH,
  DEFAULT_MODEL_NAME,
  EVALUATION_TAG,
  type EvaluationReport,
  FORCED_PROMOTION_TAG,
  type ModelListing,
  ModelRegistry,
  type ModelSummary,
  PRODUCTION_ALIAS,
  type PromoteOptions,
  parseStage,
  REGISTRATION_RUN_TAG,
  type RegisterOptions,
  type RegisterResult,
  type RegistryOptions,
  ROLLBACK_REASON_TAG,
  type RollbackOptions,
  type RollbackResult,
  resolveActor,
  STAGING_ALIAS,
  type TransitionResult,
} from './registry.js';
