/** Feature lineage: what `feature_lineage.json` holds. */
import type { FeatureCategory, FeatureDefinition, FeatureSet } from './definitions.js';
import { FEATURE_SETS } from './sets.js';

export interface FeatureLineage {
  format: 'propflow-feature-lineage';
  format_version: 1;
  feature_set: string;
  version: string;
  baseline: string;
  baseline_version: string;
  description: string;
  /** Feature names per category. */
  categories: Record<FeatureCategory, string[]>;
  /** Every feature with its full definition, in matrix column order. */
  features: FeatureDefinition[];
  /** Features not in the baseline. */
  new_features: string[];
  /** Baseline features not in this set. */
  removed_features: string[];
  /** Features in both whose definition differs. */
  changed_features: string[];
}

function sameDefinition(a: FeatureDefinition, b: FeatureDefinition): boolean {
  return (
    a.transform === b.transform &&
    a.version === b.version &&
    a.category === b.category &&
    JSON.stringify(a.inputs) === JSON.stringify(b.inputs) &&
    JSON.stringify(Object.entries(a.params).sort()) === JSON.stringify(Object.entries(b.params).sort())
  );
}

/**
 * The lineage of a set against its baseline (`baseline` overrides the set's own, e.g. a
 * custom set; a shipped name or a FeatureSet).
 */
export function featureLineage(set: FeatureSet, baseline?: FeatureSet): FeatureLineage {
  const base = baseline ?? FEATURE_SETS[set.baseline] ?? set;
  const baseByName = new Map(base.features.map((f) => [f.name, f]));
  const names = new Set(set.features.map((f) => f.name));
  const categories: Record<FeatureCategory, string[]> = { core: [], contextual: [], temporal: [] };
  for (const f of set.features) categories[f.category].push(f.name);
  return {
    format: 'propflow-feature-lineage',
    format_version: 1,
    feature_set: set.name,
    version: set.version,
    baseline: base.name,
    baseline_version: base.version,
    description: set.description,
    categories,
    features: set.features.map((f) => ({ ...f, inputs: [...f.inputs], params: { ...f.params } })),
    new_features: set.features.filter((f) => !baseByName.has(f.name)).map((f) => f.name),
    removed_features: base.features.filter((f) => !names.has(f.name)).map((f) => f.name),
    changed_features: set.features
      .filter((f) => {
        const b = baseByName.get(f.name);
        return b !== undefined && !sameDefinition(f, b);
      })
      .map((f) => f.name),
  };
}
