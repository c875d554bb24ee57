/**
 * Validation exactly as MLflow does it (mlflow/utils/validation.py): the same limits, the
 * same key rules, truncation of long param/tag values, and the same error codes and messages.
 * Every store calls these before writing, so the embedded store answers like a real server.
 */
import { InvalidParameterError } from '../errors.js';
import type { Metric, ModelStage, Param, Tag } from './entities.js';
import { MODEL_STAGES } from './entities.js';

/** Keys may only contain these characters (MLflow 3 also allows `:`). */
export const KEY_PATTERN = /^[/\w.\- :]*$/;
const BAD_CHARACTERS_MESSAGE =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const ALIAS_PATTERN = /^[\w-]*$/;
const VERSION_ALIAS_PATTERN = /^[vV]\d+$/;

export const LIMITS = {
  /** Params per `log-batch` request. */
  paramsPerBatch: 100,
  /** Tags per `log-batch` request. */
  tagsPerBatch: 100,
  /** Metrics per `log-batch` request. */
  metricsPerBatch: 1000,
  /** Params + tags + metrics per `log-batch` request. */
  entitiesPerBatch: 1000,
  /** Bytes of one `log-batch` request body. */
  batchRequestBytes: 1_000_000,
  /** Datasets per `log-inputs` request. */
  datasetsPerBatch: 1000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagValueLength: 5000,
  registryTagValueLength: 5000,
  aliasLength: 255,
  datasetNameLength: 500,
  datasetDigestLength: 36,
  inputTagKeyLength: 255,
  inputTagValueLength: 500,
} as const;

/** posixpath.normpath, as MLflow uses it to detect names that resolve to other names. */
export function normalizePosixPath(name: string): string {
  if (name === '') return '.';
  const absolute = name.startsWith('/');
  // POSIX keeps exactly two leading slashes, collapses three or more to one.
  const doubleSlash = absolute && name.startsWith('//') && !name.startsWith('///');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && (parts.length > 0 ? parts[parts.length - 1] !== '..' : absolute)) {
      if (parts.length > 0) parts.pop();
      continue;
    }
    parts.push(part);
  }
  const prefix = doubleSlash ? '//' : absolute ? '/' : '';
  const joined = prefix + parts.join('/');
  return joined === '' ? '.' : joined;
}

function pathNotUnique(name: string): boolean {
  const norm = normalizePosixPath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

function badPathMessage(name: string): string {
  return `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalizePosixPath(name)}'`;
}

type KeyKind = 'metric' | 'parameter' | 'tag';

/** Keys already found valid (validation is pure; bulk logging repeats the same few keys). */
const knownGoodKeys = new Set<string>();
const KNOWN_GOOD_KEYS_MAX = 10_000;

/** A metric, param or tag key: allowed characters, no `..`/leading `/`, at most 250 characters. */
export function validateKey(kind: KeyKind, key: unknown): string {
  const label = kind === 'metric' ? 'Metric' : kind === 'parameter' ? 'Parameter' : 'Tag';
  if (key === undefined || key === null) {
    throw new InvalidParameterError(`${label} name cannot be None. A key name must be provided.`);
  }
  if (typeof key !== 'string') {
    throw new InvalidParameterError(`Invalid ${kind} name: '${String(key)}'. Expected a string.`);
  }
  if (knownGoodKeys.has(key)) return key;
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidParameterError(`Invalid ${kind} name: '${key}'. ${BAD_CHARACTERS_MESSAGE}`);
  }
  if (pathNotUnique(key)) {
    throw new InvalidParameterError(`Invalid ${kind} name: '${key}'. ${badPathMessage(key)}`);
  }
  const keyLabel = kind === 'metric' ? 'Metric name' : kind === 'parameter' ? 'Param key' : 'Tag key';
  validateLength(keyLabel, LIMITS.keyLength, key);
  if (knownGoodKeys.size >= KNOWN_GOOD_KEYS_MAX) knownGoodKeys.clear();
  knownGoodKeys.add(key);
  return key;
}

/** Reject a value longer than `limit` (or cut it to `limit` when `truncate`). */
export function validateLength(label: string, limit: number, value: string, truncate = false): string {
  if (value.length <= limit) return value;
  if (truncate) return value.slice(0, limit);
  throw new InvalidParameterError(
    `${label} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`,
  );
}

/** A metric: valid key, a number value (NaN/±Infinity allowed), timestamp ≥ 0, integer step. */
export function validateMetric(metric: Partial<Metric> | undefined | null): Metric {
  if (!metric) throw new InvalidParameterError('Missing metric: expected {key, value, timestamp, step}.');
  const key = validateKey('metric', metric.key);
  const { value, timestamp, step } = metric;
  if (value === undefined || value === null) {
    throw new InvalidParameterError(
      "Missing value for required parameter 'value'. See the API docs for more information about request parameters.",
    );
  }
  if (typeof value !== 'number') {
    throw new InvalidParameterError(
      `Got invalid value ${String(value)} for metric '${key}' (timestamp=${String(timestamp)}). Please specify value as a valid double (64-bit floating point)`,
    );
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    throw new InvalidParameterError(
      `Got invalid timestamp ${String(timestamp)} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  const s = step ?? 0;
  if (typeof s !== 'number' || !Number.isInteger(s)) {
    throw new InvalidParameterError(
      `Got invalid step ${String(s)} for metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
    );
  }
  const out: Metric = { key, value, timestamp: Math.trunc(timestamp), step: s };
  const modelId = (metric as { modelId?: string }).modelId;
  if (modelId !== undefined) out.modelId = modelId;
  return out;
}

/** A param: valid key; a value longer than 6000 characters is truncated (MLflow's default). */
export function validateParam(param: Partial<Param> | undefined | null): Param {
  if (!param) throw new InvalidParameterError('Missing param: expected {key, value}.');
  const key = validateKey('parameter', param.key);
  const value = param.value === undefined || param.value === null ? '' : String(param.value);
  return { key, value: validateLength('Param value', LIMITS.paramValueLength, value, true) };
}

/** A run tag: valid key; a value longer than 8000 characters is truncated (MLflow's default). */
export function validateTag(tag: Partial<Tag> | undefined | null): Tag {
  if (!tag) throw new InvalidParameterError('Missing tag: expected {key, value}.');
  const key = validateKey('tag', tag.key);
  const value = tag.value === undefined || tag.value === null ? '' : String(tag.value);
  return { key, value: validateLength('Tag value', LIMITS.tagValueLength, value, true) };
}

/** An experiment tag: valid key, value at most 5000 characters. */
export function validateExperimentTag(tag: Partial<Tag>): Tag {
  const key = validateKey('tag', tag.key);
  const value = tag.value ?? '';
  return { key, value: validateLength('Tag value', LIMITS.experimentTagValueLength, value) };
}

/** A registered-model or model-version tag: valid key, value at most 5000 characters. */
export function validateRegistryTag(kind: 'Registered model' | 'Model version', tag: Partial<Tag>): Tag {
  const key = validateKey('tag', tag.key);
  const value = tag.value ?? '';
  return { key, value: validateLength(`${kind} value`, LIMITS.registryTagValueLength, value) };
}

function batchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw new InvalidParameterError(
      `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`,
    );
  }
}

/** MLflow's per-request limits of `log-batch` (the REST store chunks to stay within them). */
export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  batchLimit('metrics', LIMITS.metricsPerBatch, metrics);
  batchLimit('params', LIMITS.paramsPerBatch, params);
  batchLimit('tags', LIMITS.tagsPerBatch, tags);
  batchLimit('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics + params + tags);
}

/** One value per param key inside one batch. */
export function validateParamKeysUnique(params: readonly Param[]): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const p of params) {
    if (seen.has(p.key)) dupes.push(p.key);
    seen.add(p.key);
  }
  if (dupes.length > 0) {
    throw new InvalidParameterError(
      `Duplicate parameter keys have been submitted: [${dupes.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}

/** The message MLflow gives when a param of a run (or logged model) is logged again with another value. */
export function paramChangedError(
  ownerId: string,
  key: string,
  oldValue: string,
  newValue: string,
  owner: 'run' | 'logged model' = 'run',
) {
  return new InvalidParameterError(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${oldValue}' for ${owner} ID='${ownerId}'. Attempted logging new value '${newValue}'.`,
  );
}

export function validateExperimentName(name: unknown): string {
  if (name === undefined || name === null || name === '') {
    throw new InvalidParameterError(`Invalid experiment name: '${name ?? ''}'. Give a non-empty name.`);
  }
  if (typeof name !== 'string') {
    throw new InvalidParameterError(`Invalid experiment name: ${String(name)}. Expects a string.`);
  }
  if (name.length > LIMITS.experimentNameLength) {
    throw new InvalidParameterError(
      `Experiment name exceeds the maximum length of ${LIMITS.experimentNameLength} characters`,
    );
  }
  return name;
}

export function validateArtifactLocation(location: string | undefined): void {
  if (location?.startsWith('runs:')) {
    throw new InvalidParameterError(
      `Artifact location cannot be a runs:/ URI. Given: '${location}'. Use a file path or an artifact store URI.`,
    );
  }
}

export function validateModelName(name: unknown): string {
  if (name === undefined || name === null || name === '') {
    throw new InvalidParameterError('Registered model name cannot be empty.');
  }
  if (typeof name !== 'string') throw new InvalidParameterError(`Invalid model name: ${String(name)}.`);
  return name;
}

/** A model version is a positive integer (given as a string on the wire). */
export function validateModelVersion(version: unknown): string {
  const s = String(version ?? '');
  if (!/^\d+$/.test(s.trim())) {
    throw new InvalidParameterError(`Model version must be an integer, got '${s}'`);
  }
  return String(Number.parseInt(s, 10));
}

/** Alias names: `[\w-]`, at most 255 characters; `latest` and `v<digits>` are reserved. */
export function validateAliasName(alias: unknown): string {
  if (alias === undefined || alias === null || alias === '') {
    throw new InvalidParameterError('Registered model alias name cannot be empty.');
  }
  const a = String(alias);
  if (!ALIAS_PATTERN.test(a)) {
    throw new InvalidParameterError(
      `Invalid alias name: '${a}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  validateLength('Registered model alias name', LIMITS.aliasLength, a);
  if (a.toLowerCase() === 'latest') {
    throw new InvalidParameterError("'latest' alias name (case insensitive) is reserved.");
  }
  if (VERSION_ALIAS_PATTERN.test(a)) {
    throw new InvalidParameterError(`Version alias name '${a}' is reserved.`);
  }
  return a;
}

/** A stage name, matched case-insensitively to MLflow's canonical spelling. */
export function canonicalStage(stage: unknown): ModelStage {
  const s = String(stage ?? '');
  const found = MODEL_STAGES.find((m) => m.toLowerCase() === s.toLowerCase());
  if (!found) {
    throw new InvalidParameterError(
      `Invalid Model Version stage: ${s}. Value must be one of ${MODEL_STAGES.join(', ')}.`,
    );
  }
  return found;
}

/** Stages whose existing versions `archive_existing_versions` may archive. */
export const ACTIVE_STAGES: readonly ModelStage[] = ['Staging', 'Production'];

/** `max_results` of a search: a positive integer up to `limit`. */
export function validateMaxResults(value: number | undefined, fallback: number, limit: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidParameterError(
      `Invalid value ${value} for parameter 'max_results' supplied. It must be a positive integer.`,
    );
  }
  if (value > limit) {
    throw new InvalidParameterError(
      `Invalid value ${value} for parameter 'max_results' supplied. It must be at most ${limit}.`,
    );
  }
  return value;
}
