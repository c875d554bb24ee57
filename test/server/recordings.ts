/**
 * The MLflow wire recordings (copied from the shared contract folder): what the official
 * Python client sent and what a real MLflow server answered, one exchange per line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Exchange {
  index: number;
  step: string;
  method: string;
  path: string;
  query: string;
  req_content_type: string | null;
  req_body: string | null;
  req_body_b64?: string;
  status: number;
  resp_body: string | null;
  resp_body_b64?: string;
}

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const RECORDINGS = ['python-client-2.12.2.jsonl', 'python-client-3.11.2.dev0.jsonl'] as const;

export function loadRecording(file: string): Exchange[] {
  return readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => ({ ...(JSON.parse(line) as Omit<Exchange, 'index'>), index }));
}

/** The request body bytes of an exchange (base64 when it was not text). */
export function requestBytes(ex: Exchange): Uint8Array {
  if (ex.req_body_b64 !== undefined) return new Uint8Array(Buffer.from(ex.req_body_b64, 'base64'));
  return new TextEncoder().encode(ex.req_body ?? '');
}

/** The response body bytes of an exchange (base64 when it was not text). */
export function responseBytes(ex: Exchange): Uint8Array {
  if (ex.resp_body_b64 !== undefined) return new Uint8Array(Buffer.from(ex.resp_body_b64, 'base64'));
  return new TextEncoder().encode(ex.resp_body ?? '');
}

/** The JSON response of an exchange, or undefined when the answer is not JSON (artifact bytes). */
export function responseJson(ex: Exchange): Record<string, unknown> | undefined {
  if (ex.resp_body_b64 !== undefined || ex.resp_body === null) return undefined;
  if (ex.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/') && ex.method === 'GET') return undefined;
  try {
    const parsed: unknown = JSON.parse(ex.resp_body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** True for an exchange with the JSON API (not the raw mlflow-artifacts file routes). */
export function isJsonApi(ex: Exchange): boolean {
  return ex.path.startsWith('/api/2.0/mlflow/');
}
