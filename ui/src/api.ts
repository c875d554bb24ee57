/**
 * The UI's only way to the data: the server's MLflow REST API (`/ajax-api/2.0/mlflow/…`, as
 * MLflow's own UI) and the few `/ajax-api/propflow/…` endpoints. Types follow the wire
 * (snake_case); int64 fields may arrive as numbers or strings, so read them with `num`.
 */

export interface Tag {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number | string;
  timestamp: number | string;
  step?: number | string;
}
export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status?: string;
  start_time?: number | string;
  end_time?: number | string;
  artifact_uri?: string;
  lifecycle_stage?: string;
}
export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}
export interface Run {
  info: RunInfo;
  data?: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] };
  inputs?: { dataset_inputs?: Array<{ tags?: Tag[]; dataset: Dataset }> };
}
export interface ExperimentSummary {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  last_update_time: number;
  run_count: number;
}
export interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}
export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  current_stage?: string;
  run_id?: string;
  source?: string;
  tags?: Tag[];
  aliases?: string[];
}
export interface RegisteredModel {
  name: string;
  description?: string;
  last_updated_timestamp?: number | string;
  latest_versions?: ModelVersion[];
  aliases?: Array<{ alias: string; version: string }>;
  tags?: Tag[];
}
export interface HistoryEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  version: string | null;
  from: string | null;
  to: string | null;
  reason: string | null;
}
export interface WhoAmI {
  auth: boolean;
  user: string | null;
  permission: 'read' | 'write';
}

/**
 * `compareRuns`' answer (src/runs/compare.ts `Comparison`), the fields the page shows. Kept
 * here rather than imported: the type's module graph is the node side of the project.
 */
export interface Comparison {
  runs: Array<{ run_id: string; run_name: string; label: string; n_folds: number; fold_mean: number | null }>;
  baseline_run_id: string | null;
  fold_metric: string;
  higher_is_better: boolean;
  params: Array<{ key: string; values: Array<string | null>; differs: boolean }>;
  metrics: Array<{ key: string; values: Array<number | null>; differs: boolean }>;
  tags: Array<{ key: string; values: Array<string | null>; differs: boolean }>;
  folds: Array<{ date: string; values: Array<number | null>; best: number[] }>;
  common_dates: number;
  wins: Array<{ run_id: string; label: string; dates_won: number }>;
  tied_dates: number;
  pairs: RunPair[];
  warnings: string[];
}
export interface RunPair {
  a: string;
  b: string;
  a_label: string;
  b_label: string;
  n: number;
  mean_difference: number | null;
  ci95: [number, number] | null;
  t_test: { statistic: number; df: number; p_value: number } | null;
  wilcoxon: { statistic: number; p_value: number; method: string } | null;
  wins_a: number;
  wins_b: number;
  ties: number;
  better: string | null;
  significant: boolean;
}

/** A failed request, with the server's own words. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export const num = (v: number | string | undefined | null): number => (v == null ? Number.NaN : Number(v));

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? { method }
      : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  const text = await res.text();
  let json: unknown = {};
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(
      `${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`,
      res.status,
      '',
    );
  }
  if (!res.ok) {
    const e = json as { message?: string; error_code?: string };
    throw new ApiError(e.message ?? `HTTP ${res.status}`, res.status, e.error_code ?? '');
  }
  return json as T;
}

const q = (params: Record<string, string | number | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  return s.toString();
};

const ML = '/ajax-api/2.0/mlflow';
const PF = '/ajax-api/propflow';

export const api = {
  whoami: () => request<WhoAmI>('GET', `${PF}/whoami`),
  /** Active experiments with run counts (slow on big stores: it pages through every run). */
  experimentCounts: () => request<{ experiments: ExperimentSummary[] }>('GET', `${PF}/experiments`),
  searchExperiments: async (): Promise<Array<{ experiment_id: string; name: string }>> => {
    const out: Array<{ experiment_id: string; name: string }> = [];
    let token: string | undefined;
    do {
      const page = await request<{
        experiments?: Array<{ experiment_id: string; name: string }>;
        next_page_token?: string;
      }>('POST', `${ML}/experiments/search`, { max_results: 1000, ...(token && { page_token: token }) });
      out.push(...(page.experiments ?? []));
      token = page.next_page_token || undefined;
    } while (token);
    return out;
  },
  getExperiment: (id: string) =>
    request<{ experiment: { experiment_id: string; name: string } }>(
      'GET',
      `${ML}/experiments/get?${q({ experiment_id: id })}`,
    ),
  experimentByName: (name: string) =>
    request<{ experiment: { experiment_id: string; name: string } }>(
      'GET',
      `${ML}/experiments/get-by-name?${q({ experiment_name: name })}`,
    ),
  searchRuns: (body: {
    experiment_ids: string[];
    filter?: string;
    order_by?: string[];
    max_results: number;
    page_token?: string;
  }) => request<{ runs?: Run[]; next_page_token?: string }>('POST', `${ML}/runs/search`, body),
  getRun: (runId: string) => request<{ run: Run }>('GET', `${ML}/runs/get?${q({ run_id: runId })}`),
  metricHistory: async (runId: string, key: string): Promise<Array<{ step: number; value: number }>> => {
    const out: Array<{ step: number; value: number }> = [];
    let token: string | undefined;
    do {
      const page = await request<{ metrics?: Metric[]; next_page_token?: string }>(
        'GET',
        `${ML}/metrics/get-history?${q({ run_id: runId, metric_key: key, max_results: 25000, page_token: token })}`,
      );
      for (const m of page.metrics ?? []) out.push({ step: num(m.step ?? 0), value: num(m.value) });
      token = page.next_page_token || undefined;
    } while (token);
    return out;
  },
  listArtifacts: (runId: string, path: string) =>
    request<{ files?: FileInfo[]; root_uri?: string }>(
      'GET',
      `${ML}/artifacts/list?${q({ run_id: runId, path: path || undefined })}`,
    ),
  artifactUrl: (runId: string, path: string) => `${PF}/artifact?${q({ run_id: runId, path })}`,
  searchModels: () =>
    request<{ registered_models?: RegisteredModel[] }>(
      'GET',
      `${ML}/registered-models/search?${q({ max_results: 1000 })}`,
    ),
  getModel: (name: string) =>
    request<{ registered_model: RegisteredModel }>('GET', `${ML}/registered-models/get?${q({ name })}`),
  searchVersions: (filter: string) =>
    request<{ model_versions?: ModelVersion[] }>(
      'GET',
      `${ML}/model-versions/search?${q({ filter, max_results: 1000 })}`,
    ),
  history: (name: string) =>
    request<{ name: string; events: HistoryEvent[] }>('GET', `${PF}/registry/history?${q({ name })}`),
  promote: (body: { name: string; version: string; stage: string; reason: string; force: boolean }) =>
    request<unknown>('POST', `${PF}/registry/promote`, body),
  rollback: (body: { name: string; reason: string; to_version?: string }) =>
    request<unknown>('POST', `${PF}/registry/rollback`, body),
  compare: (runIds: string[]) =>
    request<Comparison>('GET', `${PF}/compare?${q({ run_ids: runIds.join(',') })}`),
};

/** A quoted MLflow search string literal. */
export const sqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `metrics.\`a b\``: an identifier for filters and order_by. */
export const searchKey = (kind: 'metrics' | 'params' | 'tags' | 'attributes', key: string): string =>
  /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key}\``;

export const tagsOf = (list: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((t) => [t.key, t.value]));

export const formatTime = (ms: number | string | undefined): string => {
  const n = num(ms);
  return Number.isFinite(n) && n > 0 ? new Date(n).toISOString().replace('T', ' ').slice(0, 19) : '—';
};

export const formatValue = (v: number | string | undefined): string => {
  if (v === undefined) return '';
  const n = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'string' && (v.trim() === '' || !Number.isFinite(n))) return v;
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(5)));
};
