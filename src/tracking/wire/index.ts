/**
 * MLflow REST wire format: endpoints (path, method, transport, request/response schemas),
 * snake_case ⇄ camelCase converters, error mapping and mlflow-artifacts paths. Shared by the
 * REST store and the server.
 */
export * from './artifacts.js';
export * from './convert.js';
export * from './endpoints.js';
export * from './http.js';
export * from './schemas.js';
