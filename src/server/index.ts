/**
 * propflow server: the MLflow REST API (tracking, registry, logged models, mlflow-artifacts)
 * over a tracking store, for the official MLflow Python client and propflow alike.
 */

export { createServerApp, DEFAULT_LIMITS, type ServerAppOptions, type ServerLimits } from './app.js';
export {
  type AuthConfig,
  type AuthToken,
  type AuthUser,
  hashSecret,
  loadAuthConfig,
  type Permission,
  parseAuthConfig,
  verifySecret,
} from './auth.js';
export type { Logger } from './http.js';
export { type ListeningServer, type ListenOptions, listen } from './listen.js';
export { type RunningServer, type StartServerOptions, startServer } from './start.js';
