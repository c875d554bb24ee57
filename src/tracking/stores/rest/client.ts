/**
 * HTTP transport for the REST store: auth headers, timeouts and retries with exponential
 * backoff on 408/429/500/502/503/504 and network errors (as MLflow's Python client does).
 */
import { InvalidParameterError, PropflowError } from '../../../errors.js';
import { type BuiltRequest, errorFromWire } from '../../wire/index.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 5, or `MLFLOW_HTTP_REQUEST_MAX_RETRIES`). */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on each retry (default 250). */
  baseDelayMs?: number;
  /** Upper bound for one backoff delay in ms (default 10 000). */
  maxDelayMs?: number;
}

export interface RestStoreOptions {
  /** Basic auth user (default `MLFLOW_TRACKING_USERNAME`). */
  username?: string;
  /** Basic auth password (default `MLFLOW_TRACKING_PASSWORD`). */
  password?: string;
  /** Bearer token (default `MLFLOW_TRACKING_TOKEN`); wins over basic auth when both are set. */
  token?: string;
  retry?: RetryOptions;
  /** Timeout per attempt in ms (default 120 000, or `MLFLOW_HTTP_REQUEST_TIMEOUT` in seconds). */
  timeoutMs?: number;
  /** Environment consulted for the defaults above (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidParameterError(`${name} must be a non-negative number, got '${raw}'.`);
  }
  return value;
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly authHeader: string | undefined;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(uri: string, options: RestStoreOptions = {}) {
    const env = options.env ?? process.env;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new InvalidParameterError(
        `Invalid tracking URI '${uri}': expected http(s)://host:port[/prefix].`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidParameterError(`The REST store needs an http(s) URI, got '${uri}'.`);
    }
    const username =
      options.username ?? env['MLFLOW_TRACKING_USERNAME'] ?? (decodeURIComponent(url.username) || undefined);
    const password = options.password ?? env['MLFLOW_TRACKING_PASSWORD'] ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    const token = options.token ?? env['MLFLOW_TRACKING_TOKEN'];
    if (token) this.authHeader = `Bearer ${token}`;
    else if (username) {
      this.authHeader = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
    this.maxRetries = options.retry?.maxRetries ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES') ?? 5;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
    const timeoutS = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT');
    this.timeoutMs = options.timeoutMs ?? (timeoutS !== undefined ? timeoutS * 1000 : 120_000);
  }

  /** URL for a path below the server root (`api/2.0/mlflow/runs/get`). */
  url(path: string, query: ReadonlyArray<[string, string]> = []): string {
    const qs = query.length > 0 ? `?${new URLSearchParams(query as Array<[string, string]>).toString()}` : '';
    return `${this.baseUrl}/${path}${qs}`;
  }

  /** Send one request with retries; answers of any status come back, network failures throw. */
  async send(
    method: string,
    url: string,
    body: Uint8Array | string | undefined,
    contentType: string | undefined,
    context: string,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { 'User-Agent': 'propflow' };
    if (contentType) headers['Content-Type'] = contentType;
    if (this.authHeader) headers['Authorization'] = this.authHeader;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(url, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (!RETRY_STATUSES.has(res.status) || attempt >= this.maxRetries) {
          return { status: res.status, headers: res.headers, body: bytes };
        }
        await this.sleep(attempt, res.headers.get('retry-after'));
      } catch (err) {
        lastError = err;
        if (attempt >= this.maxRetries) break;
        await this.sleep(attempt, null);
      }
    }
    const reason = lastError instanceof Error ? (lastError.cause ?? lastError) : lastError;
    const detail = reason instanceof Error ? reason.message : String(reason);
    throw new PropflowError(
      `${context}: cannot reach the tracking server at ${this.baseUrl} after ${this.maxRetries + 1} attempts (${detail}). Check that it is running and that MLFLOW_TRACKING_URI is right.`,
      'TEMPORARILY_UNAVAILABLE',
      { cause: lastError },
    );
  }

  /** Send a built JSON API request and return the parsed JSON answer, or throw the mapped error. */
  async json(req: BuiltRequest, context: string): Promise<unknown> {
    const url = this.url(`api/2.0/${req.path}`, req.query);
    const body = req.body !== undefined ? JSON.stringify(req.body) : undefined;
    const res = await this.send(
      req.method,
      url,
      body,
      body !== undefined ? 'application/json' : undefined,
      context,
    );
    return parseJsonAnswer(res, context);
  }

  private async sleep(attempt: number, retryAfter: string | null): Promise<void> {
    const fromHeader =
      retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    const delay = Math.min(this.maxDelayMs, fromHeader ?? backoff * (0.5 + Math.random() / 2));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** An HTML page where MLflow's JSON was expected: the tracking URI points at a web site, a proxy or a UI. */
function htmlAnswer(res: RawResponse, text: string, context: string): PropflowError | undefined {
  const type = res.headers.get('content-type') ?? '';
  if (!/text\/html/i.test(type) && !/^\s*<(!doctype|html|head|body)\b/i.test(text)) return undefined;
  const title = /<title[^>]*>([^<]{1,80})/i.exec(text)?.[1]?.trim();
  return new PropflowError(
    `${context}: the server answered HTML (HTTP ${res.status}${title ? `, "${title}"` : ''}), not MLflow's API. Check the tracking URI (--tracking-uri / MLFLOW_TRACKING_URI): it must be the address of an MLflow or propflow server, such as http://127.0.0.1:5000, not a web page, a proxy's login page or a UI path.`,
    'INVALID_PARAMETER_VALUE',
  );
}

/** Decode a JSON answer; non-2xx statuses become the matching PropflowError. */
export function parseJsonAnswer(res: RawResponse, context: string): unknown {
  const text = new TextDecoder().decode(res.body);
  const html = htmlAnswer(res, text, context);
  if (html) throw html;
  let parsed: unknown = text;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    // keep the raw text for the error message
  }
  if (res.status < 200 || res.status >= 300) throw errorFromWire(res.status, parsed, context);
  if (typeof parsed !== 'object' || parsed === null) {
    throw new PropflowError(
      `${context}: the server answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      'INTERNAL_ERROR',
    );
  }
  return parsed;
}
