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

/** propflow's own version (package.json's; a test keeps the two equal). */
export const PROPFLOW_VERSION = '0.1.0';

/**
 * The MLflow version whose REST API the server speaks, answered by `GET /version` as an MLflow
 * server does (clients choose behaviour by it). The wire recordings in the repository were
 * made against MLflow 3.11.2.dev0 and 2.12.2; the server answers as MLflow 3.11 does.
 */
export const MLFLOW_COMPATIBLE_VERSION = '3.11.2';

/** `propflow server` settings, with MLflow's environment variables. */
export const SERVER_SETTINGS = {
  backendStoreUri: {
    option: '--backend-store-uri',
    env: 'MLFLOW_BACKEND_STORE_URI',
    default: TRACKING_URI.default,
  },
  defaultArtifactRoot: {
    option: '--default-artifact-root',
    env: 'MLFLOW_DEFAULT_ARTIFACT_ROOT',
    default: '',
  },
  artifactsDestination: {
    option: '--artifacts-destination',
    env: 'MLFLOW_ARTIFACTS_DESTINATION',
    default: '',
  },
  host: { option: '--host', env: 'MLFLOW_HOST', default: '127.0.0.1' },
  port: { option: '--port', env: 'MLFLOW_PORT', default: '5000' },
  workers: { option: '--workers', env: 'MLFLOW_WORKERS', default: '1' },
} as const satisfies Record<string, Setting<string>>;
