/**
 * Pipeline configuration: YAML or JSON files validated with zod, merged over defaults and
 * under CLI flags. Keys are snake_case (as in the files); errors name the file, the key and
 * the expected value. The resolved config is what a run logs as `pipeline_config.json`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidParameterError } from '../errors.js';
import { FEATURE_SETS } from '../features/index.js';
import { DEFAULT_MODEL_NAME } from '../registry/index.js';

export const PIPELINE_KINDS = ['walk-forward', 'two-stage', 'validate'] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

const featureSetName = z
  .string()
  .refine((s) => s in FEATURE_SETS, { message: `expected one of ${Object.keys(FEATURE_SETS).join(', ')}` });

/** GBDT parameters in snake_case (`n_estimators`, `max_depth`, …), as XGBoost users write them. */
const gbdt = z.strictObject({
  n_estimators: z.number().int().min(1).max(100_000).optional(),
  learning_rate: z.number().positive().max(1).optional(),
  max_depth: z.number().int().min(0).max(64).optional(),
  num_leaves: z.number().int().min(0).optional(),
  grow_policy: z.enum(['depthwise', 'lossguide']).optional(),
  min_child_samples: z.number().int().min(1).optional(),
  min_child_weight: z.number().min(0).optional(),
  lambda: z.number().min(0).optional(),
  min_split_gain: z.number().min(0).optional(),
  subsample: z.number().gt(0).max(1).optional(),
  colsample_by_tree: z.number().gt(0).max(1).optional(),
  max_bin: z.number().int().min(3).max(256).optional(),
  loss: z.enum(['squared', 'absolute', 'huber']).optional(),
  huber_delta: z.number().positive().optional(),
  seed: z.number().int().optional(),
});
export type GbdtConfig = z.infer<typeof gbdt>;

const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

const common = {
  /** Seed of everything random (GBDT sampling, bootstrap, the synthetic league unless given). */
  seed: z.number().int().min(0).default(42),
  /** Experiment, e.g. `NBA_Props_Model/Phase1_Features`. */
  experiment: z.string().min(1).optional(),
  /** Phase number in the run name (`p1`). */
  phase: z.number().int().min(0).max(99).default(1),
  /** Objective: PRA. */
  target: z.literal('pra').default('pra'),
  /** The validation MAE to reach (tag `target_mae`, the default registration gate). */
  target_mae: z.number().positive().default(6),
  features: z
    .strictObject({
      set: featureSetName.default('v3_advanced'),
      baseline: featureSetName.optional(),
    })
    .prefault({}),
  validation: z
    .strictObject({
      /** Season validated: `last` or a label like `2023-24`. */
      season: z
        .string()
        .regex(/^(last|\d{4}-\d{2})$/, "expected 'last' or a season like 2023-24")
        .default('last'),
      /** First day predicted: `season_start`, `season_mid` or YYYY-MM-DD. */
      start: z.union([z.enum(['season_start', 'season_mid']), dayText]).default('season_start'),
      /** Last day predicted (default: the season's last game day). */
      end: dayText.nullable().default(null),
      refit_every_days: z.number().int().min(1).max(366).default(1),
      /** Rolling training window in days; null = expanding. */
      window_days: z.number().int().min(1).nullable().default(null),
      /**
       * How each fold's model is fitted: `full` (a full refit per fold), or warm starts — a full
       * refit every `full_refit_every_days` days and, on the folds between, `extra_trees` more
       * trees fitted on that fold's own rows. Either way a fold's model sees only games before its date.
       */
      strategy: z
        .union([
          z.literal('full'),
          z.strictObject({
            warm_start: z.strictObject({
              full_refit_every_days: z.number().int().min(1),
              extra_trees: z.number().int().min(1),
            }),
          }),
        ])
        .default('full'),
      /** Worker threads for the folds (null = the machine's cores); results are identical for any count. */
      workers: z.number().int().min(1).max(256).nullable().default(null),
    })
    .prefault({}),
  betting: z
    .strictObject({
      min_edge: z.number().min(0).default(2),
      bootstrap_iterations: z.number().int().min(100).max(100_000).default(2000),
    })
    .prefault({}),
  registry: z
    .strictObject({
      register: z.boolean().optional(),
      model_name: z.string().min(1).default(DEFAULT_MODEL_NAME),
      /** e.g. `val_mae<6.0`; default: `val_mae<` the target MAE. */
      gate: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  /** Where the data came from, as a reproduced run passes it back (the CLI's --data / --synthetic win). */
  data: z
    .strictObject({
      dir: z.string().nullable().default(null),
      synthetic: z
        .strictObject({ seed: z.number().int().min(0), seasons: z.number().int().min(1).max(30) })
        .nullable()
        .default(null),
    })
    .optional(),
  /** Extra tags on the run. */
  tags: z.record(z.string(), z.string()).default({}),
};

const walkForwardSchema = z.strictObject({
  pipeline: z.literal('walk-forward'),
  ...common,
  model: gbdt.prefault({}),
});

const twoStageSchema = z.strictObject({
  pipeline: z.literal('two-stage'),
  ...common,
  two_stage: z
    .strictObject({
      mode: z.enum(['total', 'perMinute']).default('total'),
      /** Forward-chaining folds for stage 1's out-of-fold minutes inside each fit. */
      folds: z.number().int().min(1).max(20).default(3),
      min_minutes: z.number().positive().default(1),
      minutes: gbdt.prefault({}),
      target: gbdt.prefault({}),
    })
    .prefault({}),
});

const validateSchema = z.strictObject({
  pipeline: z.literal('validate'),
  ...common,
  model: gbdt.prefault({}),
  /** The run to compare against (its val_mae); null = the last-10 average in the same run. */
  baseline_run: z.string().min(1).nullable().default(null),
  /** Write the quality report (`validation_report.md` and its plots) and log it on the run. */
  report: z.boolean().default(false),
});

export type WalkForwardConfig = z.output<typeof walkForwardSchema>;
export type TwoStageConfig = z.output<typeof twoStageSchema>;
export type ValidateConfig = z.output<typeof validateSchema>;
export type PipelineConfig = WalkForwardConfig | TwoStageConfig | ValidateConfig;

const SCHEMAS = { 'walk-forward': walkForwardSchema, 'two-stage': twoStageSchema, validate: validateSchema };

/** Default experiment per pipeline. */
export const DEFAULT_EXPERIMENTS: Record<PipelineKind, string> = {
  'walk-forward': 'NBA_Props_Model/Phase1_Features',
  'two-stage': 'NBA_Props_Model/Phase1_Architecture',
  validate: 'NBA_Props_Model/Phase1_Features',
};

function describeZod(err: z.ZodError, source: string): string {
  return err.issues
    .map((i) => {
      const key = i.path.length > 0 ? i.path.join('.') : '(top level)';
      let msg = i.message;
      if (i.code === 'unrecognized_keys')
        msg = `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${source}: ${key}: ${msg}`;
    })
    .join('\n');
}

/** Set `a.b.c` = value in a nested plain object (for CLI flags over config keys). */
export function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys.at(-1)!] = value;
}

/**
 * Validate a config object for `kind` (defaults filled in). `source` names where it came
 * from (a file path, `flags`) for the error message.
 */
export function resolveConfig(kind: PipelineKind, raw: unknown, source = 'config'): PipelineConfig {
  if (!PIPELINE_KINDS.includes(kind)) {
    throw new InvalidParameterError(
      `unknown pipeline '${kind}'; expected one of ${PIPELINE_KINDS.join(', ')}.`,
    );
  }
  const obj = raw === undefined || raw === null ? {} : raw;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    throw new InvalidParameterError(
      `${source}: expected a mapping of keys (YAML or JSON object), got ${Array.isArray(obj) ? 'a list' : typeof obj}.`,
    );
  }
  const withKind = { pipeline: kind, ...(obj as Record<string, unknown>) };
  if (withKind.pipeline !== kind) {
    throw new InvalidParameterError(
      `${source}: pipeline: the file is for '${String(withKind.pipeline)}' but you ran '${kind}'. Fix: run \`propflow ${withKind.pipeline === 'validate' ? 'validate' : `train ${String(withKind.pipeline)}`}\` or change the key.`,
    );
  }
  const parsed = SCHEMAS[kind].safeParse(withKind);
  if (!parsed.success)
    throw new InvalidParameterError(`invalid pipeline config:\n${describeZod(parsed.error, source)}`);
  return parsed.data as PipelineConfig;
}

/** Read a YAML (`.yaml`, `.yml`) or JSON config file into a plain object (not validated yet). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidParameterError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InvalidParameterError(
      `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterError(`${file}: expected a mapping of keys at the top level.`);
  }
  return value as Record<string, unknown>;
}

/**
 * The resolved config of a pipeline: defaults, then the file (when given), then the flags
 * (`{ 'validation.refit_every_days': 7 }`), validated once; errors name the file or the flag.
 */
export function loadPipelineConfig(
  kind: PipelineKind,
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): PipelineConfig {
  const raw = file ? readConfigFile(file) : {};
  if (file) resolveConfig(kind, raw, file); // the file alone must be valid: its errors name it
  const merged = structuredClone(raw);
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) setPath(merged, k, v);
  return resolveConfig(kind, merged, file ? `${file} with command-line flags` : 'command-line flags');
}

/** camelCase GBDT params from a config section. */
export function gbdtParamsFrom(c: GbdtConfig, seed: number): Record<string, unknown> {
  const out: Record<string, unknown> = { seed };
  for (const [k, v] of Object.entries(c)) {
    if (v !== undefined) out[k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase())] = v;
  }
  return out;
}
