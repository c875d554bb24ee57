/** The standard tags every propflow run carries (SPEC §8), and where their values come from. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Standard tags of SPEC §8 under their propflow names, plus MLflow's own where MLflow has one. */
export const STANDARD_TAGS = [
  'project',
  'phase',
  'objective',
  'model_type',
  'model_architecture',
  'train_seasons',
  'val_seasons',
  'validation_type',
  'feature_version',
  'feature_set',
  'new_features',
  'baseline_mae',
  'target_mae',
  'production_ready',
  'mlflow.source.git.commit',
  'data_version',
  'mlflow.runName',
  'mlflow.user',
  'mlflow.source.name',
  'propflow.pipeline',
  'propflow.version',
] as const;

/** What a pipeline knows about its run when it starts. */
export interface StandardTagsInput {
  /** `walk-forward` | `two-stage` | `validate` (tag `propflow.pipeline`). */
  pipeline: string;
  /** Experiment phase, e.g. `Phase1_Features`. */
  phase: string;
  /** What is predicted, e.g. `pra`. */
  objective: string;
  /** `gbdt`, `two_stage`. */
  modelType: string;
  /** e.g. `single_gbdt`, `minutes_then_pra`. */
  modelArchitecture: string;
  trainSeasons: string;
  valSeasons: string;
  /** e.g. `walk_forward_expanding_refit_1d`. */
  validationType: string;
  featureSet: string;
  featureVersion: string;
  /** The validation MAE the model should reach. */
  targetMae: number;
  /** `mlflow.source.name`: the command that made the run. */
  sourceName: string;
}

let commitCache: string | null | undefined;

/** The commit of the propflow checkout (for `mlflow.source.git.commit`), null outside a git checkout. */
export function gitCommit(): string | null {
  if (commitCache !== undefined) return commitCache;
  try {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    commitCache = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    })
      .toString()
      .trim();
  } catch {
    commitCache = null;
  }
  return commitCache;
}

let versionCache: string | undefined;

/** propflow's package version (tag `propflow.version`). */
export function propflowVersion(): string {
  if (versionCache) return versionCache;
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  try {
    versionCache = String(
      (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown',
    );
  } catch {
    versionCache = 'unknown';
  }
  return versionCache;
}

/** The tags known when a run starts; `new_features`, `baseline_mae` and `data_version` follow as they are logged. */
export function initialTags(input: StandardTagsInput, runName: string): Record<string, string> {
  const commit = gitCommit();
  return {
    project: 'propflow',
    phase: input.phase,
    objective: input.objective,
    model_type: input.modelType,
    model_architecture: input.modelArchitecture,
    train_seasons: input.trainSeasons,
    val_seasons: input.valSeasons,
    validation_type: input.validationType,
    feature_set: input.featureSet,
    feature_version: input.featureVersion,
    target_mae: String(input.targetMae),
    production_ready: 'false',
    'mlflow.runName': runName,
    'mlflow.source.name': input.sourceName,
    'propflow.pipeline': input.pipeline,
    'propflow.version': propflowVersion(),
    ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
  };
}
