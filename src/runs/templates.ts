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

const GBDT = { n_estimators: 300, max_depth: 6, learning_rate: 0.05, min_child_weight: 20, lambda: 1 };
const TWO_STAGE = {
  mode: 'total',
  folds: 3,
  min_minutes: 1,
  minutes: { n_estimators: 150, max_depth: 5, learning_rate: 0.08, min_child_weight: 20 },
  target: { n_estimators: 300, max_depth: 6, learning_rate: 0.05, min_child_weight: 20 },
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
      'propflow.pipeline': String(config['pipeline']),
      'mlflow.note.content': description,
    },
    // the pipelines' config format (src/pipelines/config.ts): `propflow train <pipeline> --config FILE`
    config: {
      experiment,
      phase: phaseTag === 'p2' ? 2 : 1,
      seed: 42,
      target_mae: 6.0,
      ...config,
    },
  };
}

/** What sets one standard experiment apart; `starterConfig` builds the rest. */
interface TemplateSpec {
  /** The experiment's folder under the project root. */
  phase: string;
  description: string;
  phaseTag: string;
  pipeline: 'walk-forward' | 'two-stage' | 'validate';
  features: { set: string; baseline?: string };
  /** The GBDT's parameters (two-stage pipelines take TWO_STAGE instead). */
  model?: Record<string, unknown>;
  refitEveryDays: number;
  /** Register passing versions (production); a validate run compares against a baseline run instead. */
  register?: boolean;
}

const V3_AGAINST_V1 = { set: 'v3_advanced', baseline: 'v1_baseline' };

/** The pipeline config of a spec: pipeline, features, model, validation, then registry or baseline run. */
function starterConfig(s: TemplateSpec): Record<string, unknown> {
  return {
    pipeline: s.pipeline,
    features: s.features,
    ...(s.pipeline === 'two-stage' ? { two_stage: TWO_STAGE } : { model: s.model ?? GBDT }),
    validation: { season: 'last', start: 'season_start', refit_every_days: s.refitEveryDays },
    ...(s.pipeline === 'validate'
      ? { baseline_run: null }
      : {
          registry: s.register
            ? { register: true, model_name: 'NBAPropsModel', gate: 'val_mae<6.0' }
            : { register: false },
        }),
  };
}

const SPECS: Readonly<Record<string, TemplateSpec>> = {
  phase1_baseline: {
    phase: 'Phase1_Baseline',
    description: 'Phase 1 baselines: simple features and models every later run must beat.',
    phaseTag: 'p1',
    pipeline: 'walk-forward',
    features: { set: 'v1_baseline' },
    model: { ...GBDT, n_estimators: 150 },
    refitEveryDays: 7,
  },
  phase1_features: {
    phase: 'Phase1_Features',
    description:
      'Phase 1 feature work: one feature set per run against its baseline set, same model and validation.',
    phaseTag: 'p1',
    pipeline: 'walk-forward',
    features: V3_AGAINST_V1,
    refitEveryDays: 1,
  },
  architecture: {
    phase: 'Phase1_Architecture',
    description: 'Phase 1 architecture: the two-stage minutes → PRA model against the single GBDT.',
    phaseTag: 'p1',
    pipeline: 'two-stage',
    features: V3_AGAINST_V1,
    refitEveryDays: 7,
  },
  position_defense: {
    phase: 'Phase2_PositionDefense',
    description:
      'Phase 2: opponent defence (position-level features to come) validated against the Phase 1 features.',
    phaseTag: 'p2',
    pipeline: 'validate',
    features: { set: 'v2_opponent_efficiency', baseline: 'v1_baseline' },
    refitEveryDays: 1,
  },
  production: {
    phase: 'Production',
    description: 'Production candidates: full walk-forward validation, calibration, registration gate.',
    phaseTag: 'production',
    pipeline: 'two-stage',
    features: V3_AGAINST_V1,
    refitEveryDays: 1,
    register: true,
  },
};

/** The templates by name. */
export const TEMPLATES: Readonly<Record<string, ExperimentTemplate>> = Object.fromEntries(
  Object.entries(SPECS).map(([name, s]) => [
    name,
    template(name, s.phase, s.description, s.phaseTag, starterConfig(s)),
  ]),
);

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
  const header =
    `# Starter pipeline config for experiment ${experiment} (template ${t.name}).\n# ${t.description}\n` +
    `# Run: propflow ${t.config['pipeline'] === 'validate' ? 'validate' : `train ${String(t.config['pipeline'])}`} --config <this file> --data data/nba\n`;
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
