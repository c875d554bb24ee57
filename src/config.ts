/**
 * Configuration resolved in one place: an explicit option wins, then the environment
 * variable, then the default.
 */

/** Where the embedded store lives when nothing is configured (not MLflow's `mlflow.db`). */
export const DEFAULT_HOME = 'propflow';
export const DEFAULT_DB_FILE = 'tracking.db';
export const DEFAULT_ARTIFACTS_DIR = 'artifacts';

export interface Setting<T> {
  /** The CLI flag or option name, for messages. */
  option: string;
  /** The environment variable consulted when the option is not given. */
  env?: string;
  default: T;
}

/** Resolve one setting: explicit value > environment variable > default. */
export function resolveSetting(
  setting: Setting<string>,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = setting.env ? env[setting.env] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return setting.default;
}

/** The tracking URI: `--tracking-uri` > `MLFLOW_TRACKING_URI` > the embedded store under the working folder. */
export const TRACKING_URI: Setting<string> = {
  option: '--tracking-uri',
  env: 'MLFLOW_TRACKING_URI',
  default: `sqlite:///${DEFAULT_HOME}/${DEFAULT_DB_FILE}`,
};
