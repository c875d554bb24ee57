/**
 * Experiment templates: each standard experiment of the hierarchy with its standard tags
 * and a starter pipeline config. `createFromTemplate` creates the experiment (or completes
 * its tags when it exists) and returns the config text for the caller to write.
 */
import { stringify } from 'yaml';
import { InvalidParameterError } from '../errors.js';
import { getOrCreateExperiment, type TrackingStore } from '../tracking/index.js';
import { PROJECT_ROOT } from './tree.js';

export interface ExperimentTemplate {
  name: string;
  experiment: string;
  description: string;
  tags: Record<string, string>;
  /** Starter pipeline config (pipeline kind, features, model, validation, seed). */
  config: Record<string, unknown>;
}

const GBDT = {
  n_estimators: 300,
  max_depth: 6,
  learning_rate: 0.05,
  min_child_weight: 20,
  lambda: 1,
  seed: 0,
};

function template(
  name: string,
  phase: string,
  description: string,
  phaseTag: string,
  config: Record<string, unknown>,
): ExperimentTemplate {
  const experiment = `${PROJECT_ROOT}/${phase}`;
  return {
    name,
    experiment,
    description,
    tags: {
      project: 'propflow',
      phase: phaseTag,
      objective: 'pra',
      target_mae: '6.0',
      'propflow.template': name,
      'mlflow.note.content': description,
    },
    config: {
      pipeline: 'walk-forward',
      experiment,
      seed: 42,
      target: 'pra',
      data: { dir: 'data/nba' },
      ...config,
    },
  };
}

/** The templates by name. */
export const TEMPLATES: Readonly<Record<string, ExperimentTemplate>> = {
  phase1_baseline: template(
    'phase1_baseline',
    'Phase1_Baseline',
    'Phase 1 baselines: simple features and models every later run must beat.',
    'p1',
    {
      features: { set: 'v1_baseline' },
      model: { type: 'gbdt', params: { ...GBDT, n_estimators: 150 } },
      validation: { refit_every_days: 7 },
    },
  ),
  phase1_features: template(
    'phase1_features',
    'Phase1_Features',
    'Phase 1 feature work: one feature set per run, same model and validation.',
    'p1',
    {
      features: { set: 'v3_advanced' },
      model: { type: 'gbdt', params: GBDT },
      validation: { refit_every_days: 1 },
    },
  ),
  architecture: template(
    'architecture',
    'Phase1_Architecture',
    'Phase 1 architecture: single GBDT against the two-stage minutes → PRA model.',
    'p1',
    {
      pipeline: 'two-stage',
      features: { set: 'v3_advanced' },
      model: { type: 'two_stage', mode: 'total', folds: 5, params: GBDT },
      calibration: { method: 'isotonic' },
      validation: { refit_every_days: 7 },
    },
  ),
  position_defense: template(
    'position_defense',
    'Phase2_PositionDefense',
    'Phase 2: opponent defence by position.',
    'p2',
    {
      features: { set: 'v2_opponent_efficiency' },
      model: { type: 'gbdt', params: GBDT },
      validation: { refit_every_days: 1 },
    },
  ),
  production: template(
    'production',
    'Production',
    'Production candidates: full walk-forward validation, calibration, registration gate.',
    'production',
    {
      pipeline: 'two-stage',
      features: { set: 'v3_advanced' },
      model: { type: 'two_stage', mode: 'total', folds: 5, params: GBDT },
      calibration: { method: 'isotonic' },
      validation: { refit_every_days: 1 },
      register: { name: 'NBAPropsModel', gate: 'val_mae<6.0' },
    },
  ),
};

/** A template by name; an unknown name is an error listing the known ones. */
export function getTemplate(name: string): ExperimentTemplate {
  const t = TEMPLATES[name];
  if (!t) {
    throw new InvalidParameterError(
      `Unknown experiment template '${name}'. Templates: ${Object.keys(TEMPLATES).join(', ')}.`,
    );
  }
  return t;
}

/** The starter config as YAML with a header comment. */
export function templateConfigYaml(t: ExperimentTemplate, experiment = t.experiment): string {
  const header = `# Starter pipeline config for experiment ${experiment} (template ${t.name}).\n# ${t.description}\n`;
  return header + stringify({ ...t.config, experiment });
}

export interface CreatedExperiment {
  experiment_id: string;
  experiment: string;
  template: string;
  created: boolean;
  tags_set: string[];
}

/** Create the template's experiment (name overridable) with its tags; an existing one gets missing tags. */
export async function createFromTemplate(
  store: TrackingStore,
  templateName: string,
  options: { name?: string } = {},
): Promise<CreatedExperiment> {
  const t = getTemplate(templateName);
  const name = options.name ?? t.experiment;
  const existing = await store.getExperimentByName(name);
  const id = existing?.experimentId ?? (await getOrCreateExperiment(store, name));
  const have = new Map((existing?.tags ?? []).map((x) => [x.key, x.value]));
  const set: string[] = [];
  for (const [k, v] of Object.entries(t.tags)) {
    if (have.has(k)) continue;
    await store.setExperimentTag(id, k, v);
    set.push(k);
  }
  return { experiment_id: id, experiment: name, template: t.name, created: existing === null, tags_set: set };
}
