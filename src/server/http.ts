/**
 * HTTP edges of the server: the one place errors become `{error_code, message}` answers,
 * and bounded, validated request-body reading.
 */
import type { Context } from 'hono';
import { ERROR_STATUS, type ErrorCode, InvalidParameterError, PropflowError } from '../errors.js';

/** A request body over the configured limit (HTTP 413). */
export class PayloadTooLargeError extends PropflowError {
  constructor(message: string) {
    super(message, 'RESOURCE_LIMIT_EXCEEDED');
  }
  override get status(): number {
    return 413;
  }
}

/** A method the route does not serve (HTTP 405). */
export class MethodNotAllowedError extends PropflowError {
  constructor(message: string) {
    super(message, 'ENDPOINT_NOT_FOUND');
  }
  override get status(): number {
    return 405;
  }
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * Turn anything thrown while handling a request into MLflow's error answer. Expected errors
 * (PropflowError) keep their code and message; anything else is an INTERNAL_ERROR whose
 * details go to the log, not to the client.
 */
export function errorResponse(err: unknown, logger: Logger, where: string): Response {
  let code: ErrorCode;
  let status: number;
  let message: string;
  if (isBusy(err)) {
    // Another process holds the database past the busy timeout: ask the client to retry
    // (MLflow clients retry 503 with backoff).
    code = 'TEMPORARILY_UNAVAILABLE';
    status = ERROR_STATUS.TEMPORARILY_UNAVAILABLE;
    message = 'The tracking database is busy with other writers; retry the request.';
    logger.warn(`${where}: database busy`);
  } else if (err instanceof PropflowError) {
    code = err.code;
    status = err.status;
    message = err.message;
    if (status >= 500) logger.error(`${where}: ${err.stack ?? err.message}`);
  } else {
    code = 'INTERNAL_ERROR';
    status = ERROR_STATUS.INTERNAL_ERROR;
    message = `Internal error while handling ${where}; the server log has the details.`;
    logger.error(`${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="propflow", charset="UTF-8"';
  return new Response(JSON.stringify({ error_code: code, message }), { status, headers });
}

/** SQLite's "database is busy/locked", anywhere in the cause chain. */
function isBusy(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A JSON answer (MLflow's writes answer `{}`). */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Read the whole body, refusing more than `limit` bytes (by header and by actual size). */
async function readBodyLimited(c: Context, limit: number, what: string): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > limit) {
    throw new PayloadTooLargeError(
      `${what}: the request body has ${declared} bytes; the limit is ${limit} bytes.`,
    );
  }
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(`${what}: the request body is over the limit of ${limit} bytes.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const CONTENT_TYPE_MESSAGE = "Bad Request. Content-Type must be one of ['application/json'].";

/** True when the request says its body is JSON. */
export function isJsonContentType(c: Context): boolean {
  const type = c.req.header('content-type');
  return type !== undefined && type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Parse a JSON request body into an object: the content type must be JSON, the bytes valid
 * UTF-8, the text valid JSON, the value an object.
 */
export async function readJsonObject(
  c: Context,
  limit: number,
  what: string,
): Promise<Record<string, unknown>> {
  if (!isJsonContentType(c)) throw new InvalidParameterError(CONTENT_TYPE_MESSAGE);
  const bytes = await readBodyLimited(c, limit, what);
  if (bytes.byteLength === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidParameterError(`${what}: the request body is not valid UTF-8.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof RangeError ? 'it is nested too deeply' : (err as Error).message;
    throw new InvalidParameterError(`${what}: the request body is not valid JSON (${detail}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidParameterError(`${what}: the request body must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}
