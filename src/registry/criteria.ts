/**
 * Production criteria: a file (JSON, or the same in YAML) listing what a model version's
 * run must satisfy before it may become the Production version.
 *
 * ```yaml
 * criteria:
 *   - metric: val_mae            # bounds on a run metric (min and/or max, inclusive)
 *     max: 6.0
 *   - metric: n_bets
 *     min: 500
 *   - metric: val_mae            # must beat the current Production version
 *     beat_production_by: 0.02   # by at least this much (absolute)
 *     higher_is_better: false
 *   - artifact: validation_predictions.csv   # must exist on the run
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DataError, InvalidParameterError } from '../errors.js';

const boundsSchema = z.strictObject({
  metric: z.string().min(1),
  min: z.number().optional(),
  max: z.number().optional(),
  description: z.string().optional(),
});

const beatSchema = z.strictObject({
  metric: z.string().min(1),
  beat_production_by: z.number().nonnegative(),
  higher_is_better: z.boolean(),
  description: z.string().optional(),
});

const artifactSchema = z.strictObject({
  artifact: z.string().min(1),
  description: z.string().optional(),
});

const fileSchema = z.strictObject({ criteria: z.array(z.unknown()).min(1) });

export type Criterion =
  | { kind: 'bounds'; metric: string; min?: number; max?: number; description?: string }
  | { kind: 'beat_production'; metric: string; by: number; higherIsBetter: boolean; description?: string }
  | { kind: 'artifact'; artifact: string; description?: string };

export interface Criteria {
  /** Where the criteria came from (a file path, or `inline`). */
  source: string;
  criteria: Criterion[];
}

function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
      if (issue.code === 'unrecognized_keys') {
        return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      }
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

const FORMAT_HINT =
  'Each criterion is {metric, min?, max?}, {metric, beat_production_by, higher_is_better} or {artifact}.';

function parseCriterion(raw: unknown, index: number, source: string): Criterion {
  const where = `${source}: criteria[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DataError(`${where} must be an object. ${FORMAT_HINT}`);
  }
  const keys = Object.keys(raw);
  if (keys.includes('artifact')) {
    const parsed = artifactSchema.safeParse(raw);
    if (!parsed.success) throw new DataError(`${describeIssues(parsed.error, where)}. ${FORMAT_HINT}`);
    const artifact = parsed.data.artifact.replace(/^\/+|\/+$/g, '');
    if (artifact.split('/').includes('..'))
      throw new DataError(`${where}: artifact path may not contain '..'.`);
    return {
      kind: 'artifact',
      artifact,
      ...(parsed.data.description !== undefined && { description: parsed.data.description }),
    };
  }
  if (keys.includes('beat_production_by') || keys.includes('higher_is_better')) {
    const parsed = beatSchema.safeParse(raw);
    if (!parsed.success) throw new DataError(`${describeIssues(parsed.error, where)}. ${FORMAT_HINT}`);
    return {
      kind: 'beat_production',
      metric: parsed.data.metric,
      by: parsed.data.beat_production_by,
      higherIsBetter: parsed.data.higher_is_better,
      ...(parsed.data.description !== undefined && { description: parsed.data.description }),
    };
  }
  if (keys.includes('metric')) {
    const parsed = boundsSchema.safeParse(raw);
    if (!parsed.success) throw new DataError(`${describeIssues(parsed.error, where)}. ${FORMAT_HINT}`);
    const { metric, min, max, description } = parsed.data;
    if (min === undefined && max === undefined) {
      throw new DataError(`${where}: metric '${metric}' needs 'min', 'max' or both.`);
    }
    if (min !== undefined && max !== undefined && min > max) {
      throw new DataError(`${where}: metric '${metric}' has min ${min} above max ${max}.`);
    }
    return {
      kind: 'bounds',
      metric,
      ...(min !== undefined && { min }),
      ...(max !== undefined && { max }),
      ...(description !== undefined && { description }),
    };
  }
  throw new DataError(
    `${where} has neither 'metric' nor 'artifact' (keys: ${keys.join(', ') || 'none'}). ${FORMAT_HINT}`,
  );
}

/** Validate already-parsed criteria (an object `{criteria: [...]}`). */
export function criteriaFromObject(value: unknown, source = 'criteria'): Criteria {
  const top = fileSchema.safeParse(value);
  if (!top.success) {
    throw new DataError(
      `${describeIssues(top.error, source)}. A criteria file is an object with one key, 'criteria', a non-empty list. ${FORMAT_HINT}`,
    );
  }
  return { source, criteria: top.data.criteria.map((c, i) => parseCriterion(c, i, source)) };
}

/** Parse criteria from JSON or YAML text (YAML is a superset of JSON). */
export function parseCriteria(text: string, source = 'criteria'): Criteria {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new DataError(`${source}: not valid YAML or JSON${at}: ${err.message.split('\n')[0]}`);
    }
    throw err;
  }
  return criteriaFromObject(value, source);
}

/** Read and validate a criteria file (`.json`, `.yaml`, `.yml`). */
export async function loadCriteria(path: string): Promise<Criteria> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidParameterError(
      code === 'ENOENT'
        ? `Criteria file '${path}' does not exist; pass the path of a JSON or YAML criteria file.`
        : `Cannot read criteria file '${path}': ${(err as Error).message}`,
    );
  }
  return parseCriteria(text, path);
}

// ── evaluation (pure: the workflow fetches metrics and artifacts) ─────────────────────────

export interface CriterionResult {
  /** Human label, e.g. `val_mae <= 6`, `artifact validation_predictions.csv`. */
  criterion: string;
  kind: 'min' | 'max' | 'beat_production' | 'artifact';
  /** The version tag that carries this result (`production_evaluation.val_mae.max`). */
  tag: string;
  required: string;
  actual: number | string | null;
  pass: boolean;
  note?: string;
}

/** Floating-point slack for comparisons of logged metrics with thresholds written in a file. */
function slack(...values: number[]): number {
  return 1e-9 * Math.max(1, ...values.map(Math.abs));
}

export function checkMin(value: number, min: number): boolean {
  return value >= min - slack(value, min);
}

export function checkMax(value: number, max: number): boolean {
  return value <= max + slack(value, max);
}

/** Whether `candidate` improves on `production` by at least `by`. */
export function checkBeat(
  candidate: number,
  production: number,
  by: number,
  higherIsBetter: boolean,
): boolean {
  const improvement = higherIsBetter ? candidate - production : production - candidate;
  return improvement >= by - slack(candidate, production, by);
}

/** A tag key safe on MLflow (letters, digits, `_ - . / : space`). */
export function tagSafe(text: string): string {
  return text.replace(/[^\w.\-/: ]/g, '_');
}
