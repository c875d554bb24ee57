/** Search grammar, ordering, paging and evaluation shared by the stores. */
export type { Accessor } from './evaluate.js';
export { compareValue, filterItems, sortItems } from './evaluate.js';
export type { Comparator, Comparison, EntityType, Grammar, OrderClause, RawComparison } from './filter.js';
export {
  EXPERIMENT_GRAMMAR,
  LOGGED_MODEL_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  parseFilter,
  parseOrderBy,
  parseSearchFilter,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
} from './filter.js';
export { likeToGlob, likeToRegExp } from './like.js';
export { decodePageToken, encodePageToken, paginate } from './page-token.js';
export {
  isPrompt,
  PROMPT_TAG,
  parseRegistryFilter,
  queriesPrompts,
  type RegistryFilter,
  registryFilter,
} from './registry.js';
export { filterRuns, runValue, sortRuns } from './runs.js';
export type { SqlFragment } from './sql.js';
export { sqlAnd, sqlCompare, sqlNotTagged, sqlTagCompare } from './sql.js';
