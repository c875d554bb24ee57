/**
 * MLflow's JSON wire shapes (snake_case), as zod schemas. These follow what a real MLflow
 * server sends (see `mlflow-contract/*.jsonl`): protobuf JSON, so empty repeated fields and
 * unset optional fields are absent, int64 fields may arrive as numbers or as strings, and
 * doubles may arrive as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
 */
import { z } from 'zod';

/** Largest integer a JSON number keeps exactly; int64 values beyond it are refused. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** An int64 field: a JSON number or a string of digits, finite and within ±2^53. */
export const int64 = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const value = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || Math.abs(value) > MAX_SAFE) {
    ctx.addIssue({ code: 'custom', message: `expected an integer, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  }
  return value;
});

/** A double field: a JSON number, or protobuf JSON's `"NaN"`, `"Infinity"`, `"-Infinity"` (or a numeric string). */
export const double = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  if (typeof raw === 'number') return raw;
  const special: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
  if (raw in special) return special[raw] as number;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isNaN(value)) {
    ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  }
  return value;
});

/** A boolean field; query strings carry `true`/`false`. */
export const bool = z
  .union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])])
  .transform((v) => (typeof v === 'boolean' ? v : v.toLowerCase() === 'true'));

/** An id field: a string, or a number some clients send for ids such as experiment ids and versions. */
export const idString = z.union([z.string(), z.number().int()]).transform((v) => String(v));

/** A repeated field; a query string with one value gives a single string, so a lone value becomes a list. */
export function repeated<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));
}

export const wireTag = z.object({ key: z.string(), value: z.string().optional().default('') });

export const wireParam = z.object({ key: z.string(), value: z.string().optional().default('') });

export const wireMetric = z.object({
  key: z.string(),
  value: double,
  timestamp: int64,
  step: int64.optional(),
  run_id: z.string().optional(),
  model_id: z.string().optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
});

export const wireExperiment = z.object({
  experiment_id: idString,
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.enum(['active', 'deleted']).optional(),
  last_update_time: int64.optional(),
  creation_time: int64.optional(),
  tags: z.array(wireTag).optional(),
});

export const runStatus = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export const wireRunInfo = z.object({
  run_id: z.string().optional(),
  run_uuid: z.string().optional(),
  run_name: z.string().optional(),
  experiment_id: idString,
  user_id: z.string().optional(),
  status: runStatus.optional(),
  start_time: int64.optional(),
  end_time: int64.optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.enum(['active', 'deleted']).optional(),
});

export const wireDataset = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});

export const wireDatasetInput = z.object({
  tags: z.array(wireTag).optional(),
  dataset: wireDataset,
});

export const wireModelOutput = z.object({ model_id: z.string(), step: int64.optional() });
export const wireModelInput = z.object({ model_id: z.string() });

export const wireRun = z.object({
  info: wireRunInfo,
  data: z
    .object({
      metrics: z.array(wireMetric).optional(),
      params: z.array(wireParam).optional(),
      tags: z.array(wireTag).optional(),
    })
    .optional(),
  inputs: z
    .object({
      dataset_inputs: z.array(wireDatasetInput).optional(),
      model_inputs: z.array(wireModelInput).optional(),
    })
    .optional(),
  outputs: z.object({ model_outputs: z.array(wireModelOutput).optional() }).optional(),
});

export const wireModelVersion = z.object({
  name: z.string(),
  version: idString,
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']).optional(),
  status_message: z.string().optional(),
  tags: z.array(wireTag).optional(),
  run_link: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  model_id: z.string().optional(),
});

export const wireRegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  latest_versions: z.array(wireModelVersion).optional(),
  tags: z.array(wireTag).optional(),
  aliases: z.array(z.object({ alias: z.string(), version: idString })).optional(),
});

export const wireFileInfo = z.object({
  path: z.string(),
  is_dir: bool.optional(),
  file_size: int64.optional(),
});

export const loggedModelStatus = z.enum([
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
]);

export const wireLoggedModel = z.object({
  info: z.object({
    model_id: z.string(),
    experiment_id: idString,
    name: z.string(),
    creation_timestamp_ms: int64.optional(),
    last_updated_timestamp_ms: int64.optional(),
    artifact_uri: z.string().optional(),
    status: loggedModelStatus.optional(),
    status_message: z.string().optional(),
    model_type: z.string().optional(),
    source_run_id: z.string().optional(),
    tags: z.array(wireTag).optional(),
  }),
  data: z
    .object({
      params: z.array(wireParam).optional(),
      metrics: z.array(wireMetric).optional(),
    })
    .optional(),
});

/** MLflow's error body; MLflow 3 adds `sqlstate` and `error_class`. */
/** An order-by entry of a logged-model search (MLflow's `OrderBy` message). */
export const wireOrderBy = z.object({
  field_name: z.string(),
  ascending: bool.optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
});
