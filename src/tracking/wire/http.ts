/**
 * Request building and error mapping shared by the REST store and the server.
 */
import type { z } from 'zod';
import {
  type ErrorCode,
  errorForCode,
  InvalidParameterError,
  isErrorCode,
  type PropflowError,
} from '../../errors.js';
import type { Endpoint, HttpMethod } from './endpoints.js';

export interface BuiltRequest {
  method: HttpMethod;
  /** Path below `/api/2.0/`, path parameters filled in and percent-encoded. */
  path: string;
  /** Query pairs in order (repeated keys for lists). */
  query: Array<[string, string]>;
  /** JSON body, or undefined for query transport. */
  body: Record<string, unknown> | undefined;
}

/**
 * Build one request for an endpoint: path parameters from `pathParams`, the fields in the
 * query string (GET) or as a JSON body (everything else). Undefined fields are left out.
 */
export function buildRequest(
  ep: Endpoint,
  fields: Record<string, unknown>,
  pathParams: Record<string, string> = {},
): BuiltRequest {
  const path = ep.path.replace(/:([a-z_]+)/g, (_, name: string) => {
    const value = pathParams[name];
    if (value === undefined) throw new InvalidParameterError(`${ep.name}: missing path parameter '${name}'.`);
    return encodeURIComponent(value);
  });
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  if (ep.transport === 'body') return { method: ep.method, path, query: [], body: defined };
  const query: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(defined)) {
    for (const item of Array.isArray(value) ? value : [value]) query.push([key, String(item)]);
  }
  return { method: ep.method, path, query, body: undefined };
}

/** Turn MLflow's `{error_code, message}` into the same error class the embedded store throws. */
export function errorFromWire(status: number, body: unknown, context: string): PropflowError {
  const obj = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const rawCode = typeof obj['error_code'] === 'string' ? obj['error_code'] : '';
  const message =
    typeof obj['message'] === 'string' && obj['message'] !== ''
      ? obj['message']
      : `${context} failed with HTTP ${status}${typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''}`;
  const code: ErrorCode = isErrorCode(rawCode) ? rawCode : statusToCode(status);
  return errorForCode(code, message);
}

/** The error code for an HTTP status that came without an MLflow error body. */
function statusToCode(status: number): ErrorCode {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'ENDPOINT_NOT_FOUND';
  if (status === 409) return 'RESOURCE_CONFLICT';
  if (status === 413) return 'RESOURCE_LIMIT_EXCEEDED';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  if (status === 501) return 'NOT_IMPLEMENTED';
  if (status === 503) return 'TEMPORARILY_UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  return 'INTERNAL_ERROR';
}

/**
 * A zod error as MLflow words request validation errors: a missing field is
 * "Missing value for required parameter 'x'", a wrong one names the field and the value.
 */
export function describeIssues(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid request.';
  const field = issue.path.map(String).join('.') || '(body)';
  let value: unknown = input;
  for (const part of issue.path) {
    value =
      typeof value === 'object' && value !== null
        ? (value as Record<string, unknown>)[String(part)]
        : undefined;
  }
  if (value === undefined) {
    return `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`;
  }
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = '(a value too deeply nested to show)';
  }
  return `Invalid value ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown} for parameter '${field}' supplied: ${issue.message}.`;
}

/** Query parameters as request fields: a repeated key becomes a list, a single one a string. */
export function decodeQuery(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}
