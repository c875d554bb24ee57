/**
 * Registry search semantics for MLflow 3 prompts. MLflow keeps prompts as registered models
 * (and their versions) tagged `mlflow.prompt.is_prompt = 'true'`, and its model-registry
 * store (`_update_query_to_exclude_prompts` in MLflow's SQLAlchemy store) hides them from
 * registered-model and model-version searches unless the filter asks for prompts:
 *
 * - a filter asks for prompts when its first comparison on the prompt tag is `= 'true'` or
 *   `!= 'false'` (values case-insensitive); those comparisons then apply as ordinary tag
 *   comparisons (so only rows carrying the tag match);
 * - otherwise every comparison on the prompt tag is dropped and rows whose prompt tag is
 *   exactly `'true'` are left out — which is why the `tag.\`mlflow.prompt.is_prompt\` != 'true'`
 *   that MLflow 3 clients append to every search matches models without the tag.
 *
 * Any other tag comparison, `!=` included, only matches rows that carry the tag, in registry
 * and run searches alike (MLflow joins on the tag row).
 */
import type { Tag } from '../entities.js';
import type { Comparison, Grammar } from './filter.js';
import { parseSearchFilter } from './filter.js';

/** The tag MLflow 3 puts on prompts (registered models and their versions). */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

export interface RegistryFilter {
  /** The comparisons to apply (prompt-tag comparisons removed when prompts are hidden). */
  comparisons: Comparison[];
  /** Leave out rows tagged as prompts (MLflow's default). */
  excludePrompts: boolean;
}

function isPromptComparison(c: Comparison): boolean {
  return c.type === 'tag' && c.key === PROMPT_TAG;
}

/** Does the filter ask for prompts (its first prompt-tag comparison is `= 'true'` or `!= 'false'`)? */
function queriesPrompts(comparisons: readonly Comparison[]): boolean {
  const c = comparisons.find(isPromptComparison);
  if (!c || typeof c.value !== 'string') return false;
  const value = c.value.toLowerCase();
  return (c.comparator === '=' && value === 'true') || (c.comparator === '!=' && value === 'false');
}

/** Apply MLflow's prompt rule to parsed registry comparisons. */
function registryFilter(comparisons: readonly Comparison[]): RegistryFilter {
  if (queriesPrompts(comparisons)) return { comparisons: [...comparisons], excludePrompts: false };
  return { comparisons: comparisons.filter((c) => !isPromptComparison(c)), excludePrompts: true };
}

/** Parse a registered-model or model-version filter with MLflow's prompt rule applied. */
export function parseRegistryFilter(filter: string | undefined, grammar: Grammar): RegistryFilter {
  return registryFilter(parseSearchFilter(filter, grammar));
}

/** Is an entity with these tags a prompt (its prompt tag is exactly `'true'`)? */
export function isPrompt(tags: readonly Tag[]): boolean {
  return tags.some((t) => t.key === PROMPT_TAG && t.value === 'true');
}
