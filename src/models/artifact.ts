/**
 * The model artifact: a folder (logged as `model/`) in MLflow's layout.
 *
 *   MLmodel              YAML: artifact_path, flavors.propflow (naming the files below),
 *                        run_id, model_uuid, utc_time_created, signature (inputs/outputs as
 *                        MLflow's JSON-in-YAML strings), saved_input_example_info
 *   model.json           the model (propflow-gbdt or propflow-two-stage JSON)
 *   model.xgb.json       the same booster in XGBoost's JSON format (single-stage models)
 *   feature_set.json     the feature-set definition needed at serving time (opaque here)
 *   calibration.json     isotonic calibration of the over-the-line probability (optional)
 *   input_example.json   a few input rows, pandas "split" orient (optional)
 *
 * `readModelArtifact` validates every piece and names the file and field that is wrong.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, Scalar, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { DataError, InvalidParameterError, NotFoundError } from '../errors.js';
import { GbdtModel, loadGbdt } from './gbdt/model.js';
import { type IsotonicRegression, loadIsotonic } from './isotonic.js';
import { describeIssues } from './json.js';
import { loadTwoStage, MINUTES_FEATURE, TwoStageModel } from './twoStage.js';

export const MLMODEL_FILE = 'MLmodel';
export const FLAVOR = 'propflow';
export const FLAVOR_FORMAT_VERSION = 1;
const FILES = {
  model: 'model.json',
  xgboost: 'model.xgb.json',
  featureSet: 'feature_set.json',
  calibration: 'calibration.json',
  inputExample: 'input_example.json',
} as const;

const COLUMN_TYPES = [
  'boolean',
  'integer',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'datetime',
] as const;
export interface SignatureColumn {
  name: string;
  type: (typeof COLUMN_TYPES)[number];
  required?: boolean;
}
export interface ModelSignature {
  inputs: SignatureColumn[];
  outputs: SignatureColumn[];
}

/** Input rows in pandas' "split" orient; `null` stands for a missing value. */
export interface InputExample {
  columns: string[];
  data: (number | string | null)[][];
}

export type ArtifactModel = GbdtModel | TwoStageModel;

export interface WriteArtifactOptions {
  model: ArtifactModel;
  /** The feature-set definition, stored as given (any JSON value). */
  featureSet: unknown;
  /** The run the artifact belongs to. */
  runId: string;
  calibration?: IsotonicRegression | null;
  inputExample?: InputExample | null;
  /** Defaults: one double input per model feature; outputs `prediction` (and `minutes` for two-stage). */
  signature?: ModelSignature;
  /** Where the folder sits in the run's artifacts. Default 'model'. */
  artifactPath?: string;
  /** Default: a fresh uuid4 hex. */
  modelUuid?: string;
  /** Default: now. */
  createdAt?: Date;
  /** Extra keys for the propflow flavor (e.g. the target name). */
  flavorExtras?: Record<string, string | number | boolean>;
}

/** What MLmodel says (the parsed YAML, with the signature decoded). */
export interface MLmodelInfo {
  artifactPath: string;
  runId: string;
  modelUuid: string;
  utcTimeCreated: string;
  flavor: {
    modelType: 'gbdt' | 'two_stage';
    modelFile: string;
    xgboostModel: string | null;
    featureSet: string;
    calibration: string | null;
    inputExample: string | null;
    formatVersion: number;
  } & Record<string, unknown>;
  signature: ModelSignature;
}

export interface LoadedArtifact {
  mlmodel: MLmodelInfo;
  model: ArtifactModel;
  featureSet: unknown;
  calibration: IsotonicRegression | null;
  inputExample: InputExample | null;
}

/** MLflow writes `datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")`. */
function mlflowTime(d: Date): string {
  return `${d.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/** JSON as Python's json.dumps writes it (", " and ": "), as MLflow stores signatures. */
function pyJson(cols: SignatureColumn[]): string {
  return `[${cols
    .map(
      (c) =>
        `{${Object.entries({ type: c.type, name: c.name, required: c.required ?? true })
          .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
          .join(', ')}}`,
    )
    .join(', ')}]`;
}

function modelFeatureNames(model: ArtifactModel): string[] {
  const names = model.featureNames;
  return names ? [...names] : Array.from({ length: model.nFeatures }, (_, i) => `f${i}`);
}

function defaultSignature(model: ArtifactModel): ModelSignature {
  const inputs = modelFeatureNames(model).map((name) => ({ name, type: 'double' as const, required: true }));
  const outputs: SignatureColumn[] =
    model instanceof TwoStageModel
      ? [
          { name: MINUTES_FEATURE, type: 'double', required: true },
          { name: 'prediction', type: 'double', required: true },
        ]
      : [{ name: 'prediction', type: 'double', required: true }];
  return { inputs, outputs };
}

/** Write the artifact folder `dir` (created if needed). Returns what MLmodel records. */
export function writeModelArtifact(dir: string, opts: WriteArtifactOptions): MLmodelInfo {
  const { model } = opts;
  if (!(model instanceof GbdtModel || model instanceof TwoStageModel)) {
    throw new InvalidParameterError('writeModelArtifact: model must be a GbdtModel or a TwoStageModel');
  }
  if (!opts.runId) throw new InvalidParameterError('writeModelArtifact: runId is required');
  if (opts.featureSet === undefined) {
    throw new InvalidParameterError(
      'writeModelArtifact: featureSet is required (the definition used at serving time)',
    );
  }
  const signature = opts.signature ?? defaultSignature(model);
  if (signature.inputs.length !== model.nFeatures) {
    throw new InvalidParameterError(
      `writeModelArtifact: the signature has ${signature.inputs.length} inputs but the model takes ${model.nFeatures} features`,
    );
  }
  if (opts.inputExample) {
    const ex = opts.inputExample;
    const bad = ex.data.findIndex((row) => row.length !== ex.columns.length);
    if (bad >= 0) {
      throw new InvalidParameterError(
        `writeModelArtifact: input example row ${bad} has ${ex.data[bad]!.length} values for ${ex.columns.length} columns`,
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  const isGbdt = model instanceof GbdtModel;
  writeFileSync(path.join(dir, FILES.model), JSON.stringify(model.toJSON()));
  if (isGbdt) writeFileSync(path.join(dir, FILES.xgboost), model.toXGBoostJSON());
  writeFileSync(path.join(dir, FILES.featureSet), JSON.stringify(opts.featureSet, null, 1));
  if (opts.calibration)
    writeFileSync(path.join(dir, FILES.calibration), JSON.stringify(opts.calibration.toJSON()));
  if (opts.inputExample) writeFileSync(path.join(dir, FILES.inputExample), JSON.stringify(opts.inputExample));

  const info: MLmodelInfo = {
    artifactPath: opts.artifactPath ?? 'model',
    runId: opts.runId,
    modelUuid: opts.modelUuid ?? randomUUID().replaceAll('-', ''),
    utcTimeCreated: mlflowTime(opts.createdAt ?? new Date()),
    flavor: {
      ...opts.flavorExtras,
      modelType: isGbdt ? 'gbdt' : 'two_stage',
      modelFile: FILES.model,
      xgboostModel: isGbdt ? FILES.xgboost : null,
      featureSet: FILES.featureSet,
      calibration: opts.calibration ? FILES.calibration : null,
      inputExample: opts.inputExample ? FILES.inputExample : null,
      formatVersion: FLAVOR_FORMAT_VERSION,
    },
    signature,
  };
  const flavor: Record<string, unknown> = {
    ...opts.flavorExtras,
    model_type: info.flavor.modelType,
    model_file: FILES.model,
    feature_set: FILES.featureSet,
    format_version: FLAVOR_FORMAT_VERSION,
  };
  if (isGbdt) flavor.xgboost_model = FILES.xgboost;
  if (opts.calibration) flavor.calibration = FILES.calibration;
  const doc: Record<string, unknown> = {
    artifact_path: info.artifactPath,
    flavors: { [FLAVOR]: flavor },
    model_uuid: info.modelUuid,
    run_id: info.runId,
  };
  if (opts.inputExample) {
    doc.saved_input_example_info = {
      artifact_path: FILES.inputExample,
      pandas_orient: 'split',
      type: 'dataframe',
    };
  }
  doc.signature = { inputs: pyJson(signature.inputs), outputs: pyJson(signature.outputs), params: null };
  // quoted, as MLflow writes it: unquoted, YAML 1.1 readers (PyYAML) would load a datetime
  const created = new Scalar(info.utcTimeCreated);
  created.type = Scalar.QUOTE_SINGLE;
  doc.utc_time_created = created;
  writeFileSync(path.join(dir, MLMODEL_FILE), stringifyYaml(doc, { lineWidth: 0 }));
  return info;
}

const columnSchema = z.object({
  type: z.enum(COLUMN_TYPES),
  name: z.string().min(1),
  required: z.boolean().optional(),
});

const mlmodelSchema = z.object({
  artifact_path: z.string().min(1),
  run_id: z.string().min(1),
  model_uuid: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits (uuid4 hex)'),
  utc_time_created: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/, "must look like '2024-06-01 12:00:00.000000'"),
  flavors: z.looseObject({
    [FLAVOR]: z.looseObject({
      model_type: z.enum(['gbdt', 'two_stage']),
      model_file: z.string().min(1),
      xgboost_model: z.string().min(1).optional(),
      feature_set: z.string().min(1),
      calibration: z.string().min(1).optional(),
      format_version: z.literal(FLAVOR_FORMAT_VERSION),
    }),
  }),
  signature: z.object({ inputs: z.string(), outputs: z.string(), params: z.unknown().optional() }),
  saved_input_example_info: z.looseObject({ artifact_path: z.string().min(1) }).optional(),
});

const inputExampleSchema = z.object({
  columns: z.array(z.string()),
  data: z.array(z.array(z.union([z.number(), z.string(), z.null()]))),
});

function readJson(dir: string, file: string): unknown {
  const p = path.join(dir, file);
  if (!existsSync(p)) throw new DataError(`model artifact ${dir}: ${file} is named in MLmodel but missing`);
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new DataError(`model artifact ${dir}: ${file} is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** Read and validate an artifact folder written by `writeModelArtifact` (or by hand in its layout). */
export function readModelArtifact(dir: string): LoadedArtifact {
  const mlPath = path.join(dir, MLMODEL_FILE);
  if (!existsSync(mlPath)) throw new NotFoundError(`model artifact ${dir}: no ${MLMODEL_FILE} file`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(mlPath, 'utf8'));
  } catch (err) {
    throw new DataError(
      `model artifact ${dir}: ${MLMODEL_FILE} is not valid YAML (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  const parsed = mlmodelSchema.safeParse(raw);
  if (!parsed.success)
    throw new DataError(`model artifact ${dir}: ${MLMODEL_FILE}: ${describeIssues(parsed.error)}`);
  const ml = parsed.data;
  const decode = (field: 'inputs' | 'outputs'): SignatureColumn[] => {
    let value: unknown;
    try {
      value = JSON.parse(ml.signature[field]);
    } catch {
      throw new DataError(`model artifact ${dir}: ${MLMODEL_FILE}: signature.${field} is not a JSON string`);
    }
    const cols = z.array(columnSchema).min(1).safeParse(value);
    if (!cols.success) {
      throw new DataError(
        `model artifact ${dir}: ${MLMODEL_FILE}: signature.${field}: ${describeIssues(cols.error)}`,
      );
    }
    return cols.data.map((c) =>
      c.required === undefined
        ? { name: c.name, type: c.type }
        : { name: c.name, type: c.type, required: c.required },
    );
  };
  const signature = { inputs: decode('inputs'), outputs: decode('outputs') };
  const fl = ml.flavors[FLAVOR];
  const modelJson = readJson(dir, fl.model_file);
  const source = `model artifact ${dir}: ${fl.model_file}`;
  const model: ArtifactModel =
    fl.model_type === 'gbdt' ? loadGbdt(modelJson, source) : loadTwoStage(modelJson, source);
  if (signature.inputs.length !== model.nFeatures) {
    throw new DataError(
      `model artifact ${dir}: the signature has ${signature.inputs.length} inputs but ${fl.model_file} takes ${model.nFeatures} features`,
    );
  }
  const featureSet = readJson(dir, fl.feature_set);
  const calibration = fl.calibration
    ? loadIsotonic(readJson(dir, fl.calibration), `model artifact ${dir}: ${fl.calibration}`)
    : null;
  let inputExample: InputExample | null = null;
  const exFile = ml.saved_input_example_info?.artifact_path;
  if (exFile) {
    const ex = inputExampleSchema.safeParse(readJson(dir, exFile));
    if (!ex.success) throw new DataError(`model artifact ${dir}: ${exFile}: ${describeIssues(ex.error)}`);
    inputExample = ex.data;
  }
  const {
    model_type,
    model_file,
    xgboost_model,
    feature_set,
    calibration: cal,
    format_version,
    ...extras
  } = fl;
  return {
    mlmodel: {
      artifactPath: ml.artifact_path,
      runId: ml.run_id,
      modelUuid: ml.model_uuid,
      utcTimeCreated: ml.utc_time_created,
      flavor: {
        ...extras,
        modelType: model_type,
        modelFile: model_file,
        xgboostModel: xgboost_model ?? null,
        featureSet: feature_set,
        calibration: cal ?? null,
        inputExample: exFile ?? null,
        formatVersion: format_version,
      },
      signature,
    },
    model,
    featureSet,
    calibration,
    inputExample,
  };
}

/** An input example from the first rows of a column-major matrix (NaN → null). */
export function inputExampleFrom(
  X: { nRows: number; nCols: number; values: Float32Array | Float64Array; names?: readonly string[] },
  rows = 5,
): InputExample {
  const n = Math.min(rows, X.nRows);
  const columns = X.names ? [...X.names] : Array.from({ length: X.nCols }, (_, i) => `f${i}`);
  const data = Array.from({ length: n }, (_, r) =>
    Array.from({ length: X.nCols }, (_, c) => {
      const v = X.values[c * X.nRows + r]!;
      return Number.isNaN(v) ? null : v;
    }),
  );
  return { columns, data };
}
