/** Search grammar, ordering, paging and evaluation shared by the stores. */
export { filterItems, sortItems } from './evaluate.js';
export type { Comparison, Grammar, OrderClause } from './filter.js';
export {
  EXPERIMENT_GRAMMAR,
  LOGGED_MODEL_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  parseOrderBy,
  parseSearchFilter,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
} from './filter.js';
export { decodePageToken, encodePageToken, paginate } from './page-token.js';
export { PROMPT_TAG, parseRegistryFilter, type RegistryFilter } from './registry.js';
export { filterRuns, sortRuns } from './runs.js';
export type { SqlFragment } from './sql.js';
export { sqlAnd, sqlCompare, sqlNotTagged, sqlTagCompare } from './sql.js';
