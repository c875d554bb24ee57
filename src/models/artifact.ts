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
 * and, so that MLflow itself loads it (`mlflow.xgboost.load_model`, `mlflow.pyfunc.load_model`),
 * what `mlflow.xgboost.save_model` writes (mlflow/xgboost/__init__.py `save_model`,
 * mlflow/pyfunc/__init__.py `add_to_model`, mlflow/utils/environment.py):
 *   model.ubj            the booster in XGBoost's UBJSON format (MLflow's default
 *                        `model_format="ubj"`, file `model.{model_format}`)
 *   MLmodel flavors      `xgboost` {code, data, model_class, model_format, xgb_version} and
 *                        `python_function` {data, env {conda, virtualenv}, loader_module:
 *                        mlflow.xgboost, python_version}; `model_size_bytes`
 *   conda.yaml, python_env.yaml, requirements.txt   the environment files
 * A two-stage model is two boosters: each stage is exported (`stage1_minutes.ubj`,
 * `stage2_target.ubj`) and `python_function` loads both through the shipped
 * `code/propflow_two_stage.py`; it has no `xgboost` flavor (one booster cannot hold it), and
 * MLmodel's `metadata.propflow_flavors` says so.
 *
 * `readModelArtifact` validates every piece and names the file and field that is wrong.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, Scalar, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { DataError, InvalidParameterError, NotFoundError } from '../errors.js';
import { GbdtModel, loadGbdt } from './gbdt/model.js';
import { type IsotonicRegression, loadIsotonic } from './isotonic.js';
import { describeIssues } from './json.js';
import { TWO_STAGE_PYFUNC_MODULE, TWO_STAGE_PYFUNC_SOURCE } from './two-stage-pyfunc.js';
import { loadTwoStage, MINUTES_FEATURE, TwoStageModel } from './twoStage.js';
import { xgboostJsonToUbj } from './ubjson.js';

export const MLMODEL_FILE = 'MLmodel';
export const FLAVOR = 'propflow';
export const FLAVOR_FORMAT_VERSION = 1;
const FILES = {
  model: 'model.json',
  xgboost: 'model.xgb.json',
  featureSet: 'feature_set.json',
  calibration: 'calibration.json',
  inputExample: 'input_example.json',
  xgboostUbj: 'model.ubj',
  stage1Ubj: 'stage1_minutes.ubj',
  stage2Ubj: 'stage2_target.ubj',
  twoStageCode: 'code',
  twoStageConfig: 'two_stage.json',
  conda: 'conda.yaml',
  pythonEnv: 'python_env.yaml',
  requirements: 'requirements.txt',
} as const;

/** The Python environment the MLflow flavors name (`python_version`, conda.yaml, python_env.yaml, requirements.txt). */
export interface PythonEnvOptions {
  /** Default '3.11.2' (Debian 12's python3, whose python3-xgboost loads these files). */
  pythonVersion?: string;
  /** The MLflow requirement line; default 'mlflow>=2.12'. */
  mlflowRequirement?: string;
  /** Build dependencies for python_env.yaml; default pip, setuptools, wheel unpinned. */
  buildDependencies?: string[];
}

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
  /** The Python environment the MLflow `python_function` flavor names. */
  python?: PythonEnvOptions;
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

/** Refuse options that cannot make a valid artifact; returns the signature to write. */
function checkWriteOptions(opts: WriteArtifactOptions): ModelSignature {
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
  return signature;
}

/** Write the artifact folder `dir` (created if needed). Returns what MLmodel records. */
export function writeModelArtifact(dir: string, opts: WriteArtifactOptions): MLmodelInfo {
  const { model } = opts;
  const signature = checkWriteOptions(opts);
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
  const mlflow = writeMlflowFlavors(dir, model, opts.python ?? {});
  if (mlflow.stages) flavor.xgboost_stages = mlflow.stages;
  // Keys in the order MLflow's `yaml.safe_dump` writes them (sorted).
  const doc: Record<string, unknown> = {
    artifact_path: info.artifactPath,
    flavors: { [FLAVOR]: flavor, ...mlflow.flavors },
    ...(mlflow.metadata && { metadata: mlflow.metadata }),
    model_size_bytes: mlflow.sizeBytes,
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
  writeEnvFiles(dir, opts.python ?? {}, mlflow.xgbVersion);
  return info;
}

/** The XGBoost version the booster JSON declares (`"version": [1, 7, 4]`). */
function xgbVersionOf(xgboostJson: string): string {
  const v = (JSON.parse(xgboostJson) as { version?: unknown }).version;
  return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? v.join('.') : '1.7.4';
}

function pythonVersionOf(env: PythonEnvOptions): string {
  return env.pythonVersion ?? '3.11.2';
}

/** Total size of the files in `dir` (MLflow's `get_total_file_size`, taken before MLmodel is written). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name !== MLMODEL_FILE) {
      total += statSync(path.join(entry.parentPath, entry.name)).size;
    }
  }
  return total;
}

interface MlflowFlavors {
  flavors: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  stages?: Record<string, string>;
  sizeBytes: number;
  xgbVersion: string;
}

/**
 * MLflow's `python_function` flavor (`pyfunc.add_to_model`), keys sorted as `yaml.safe_dump`
 * writes them; `code` only when the loader is shipped with the model.
 */
function pythonFunctionFlavor(
  env: PythonEnvOptions,
  loaderModule: string,
  data: string,
  code?: string,
): Record<string, unknown> {
  return {
    ...(code && { code }),
    data,
    env: { conda: FILES.conda, virtualenv: FILES.pythonEnv },
    loader_module: loaderModule,
    python_version: pythonVersionOf(env),
  };
}

/**
 * The MLflow flavors: for one booster, `xgboost` + `python_function` exactly as
 * `mlflow.xgboost.save_model(model_format="ubj")` writes them; for a two-stage model, both
 * boosters and a `python_function` over them through shipped code.
 */
function writeMlflowFlavors(dir: string, model: ArtifactModel, env: PythonEnvOptions): MlflowFlavors {
  if (model instanceof GbdtModel) {
    const json = model.toXGBoostJSON();
    const xgbVersion = xgbVersionOf(json);
    writeFileSync(path.join(dir, FILES.xgboostUbj), xgboostJsonToUbj(json));
    return {
      flavors: {
        // pyfunc.add_to_model(mlflow_model, loader_module="mlflow.xgboost", data=model_data_subpath,
        //                     conda_env=_CONDA_ENV_FILE_NAME, python_env=_PYTHON_ENV_FILE_NAME, code=None)
        python_function: pythonFunctionFlavor(env, 'mlflow.xgboost', FILES.xgboostUbj),
        // mlflow_model.add_flavor("xgboost", xgb_version=…, data=…, model_class=…, model_format=…, code=None)
        xgboost: {
          code: null,
          data: FILES.xgboostUbj,
          model_class: 'xgboost.core.Booster',
          model_format: 'ubj',
          xgb_version: xgbVersion,
        },
      },
      sizeBytes: folderBytes(dir),
      xgbVersion,
    };
  }
  const json1 = model.stage1.toXGBoostJSON();
  const xgbVersion = xgbVersionOf(json1);
  writeFileSync(path.join(dir, FILES.stage1Ubj), xgboostJsonToUbj(json1));
  writeFileSync(path.join(dir, FILES.stage2Ubj), xgboostJsonToUbj(model.stage2.toXGBoostJSON()));
  writeFileSync(
    path.join(dir, FILES.twoStageConfig),
    JSON.stringify({
      mode: model.mode,
      stage1: FILES.stage1Ubj,
      stage2: FILES.stage2Ubj,
      minutes_column: MINUTES_FEATURE,
    }),
  );
  mkdirSync(path.join(dir, FILES.twoStageCode), { recursive: true });
  writeFileSync(path.join(dir, FILES.twoStageCode, `${TWO_STAGE_PYFUNC_MODULE}.py`), TWO_STAGE_PYFUNC_SOURCE);
  return {
    flavors: {
      python_function: pythonFunctionFlavor(
        env,
        TWO_STAGE_PYFUNC_MODULE,
        FILES.twoStageConfig,
        FILES.twoStageCode,
      ),
    },
    metadata: {
      propflow_flavors:
        'two-stage model: python_function (both stages, through code/propflow_two_stage.py) and propflow; ' +
        'no xgboost flavor, since one booster cannot hold two stages. Each stage loads alone with ' +
        `xgboost.Booster().load_model('${FILES.stage1Ubj}') or ('${FILES.stage2Ubj}').`,
    },
    stages: { minutes: FILES.stage1Ubj, target: FILES.stage2Ubj },
    sizeBytes: folderBytes(dir),
    xgbVersion,
  };
}

/** conda.yaml, python_env.yaml and requirements.txt, in the form MLflow writes them. */
function writeEnvFiles(dir: string, env: PythonEnvOptions, xgbVersion: string): void {
  const python = pythonVersionOf(env);
  const pip = [env.mlflowRequirement ?? 'mlflow>=2.12', `xgboost==${xgbVersion}`];
  // `_mlflow_conda_env`: name, channels [conda-forge], dependencies [python=…, pip, {pip: […]}],
  // written with yaml.safe_dump (sorted keys).
  writeFileSync(
    path.join(dir, FILES.conda),
    stringifyYaml({
      channels: ['conda-forge'],
      dependencies: [`python=${python}`, 'pip', { pip }],
      name: 'mlflow-env',
    }),
  );
  // `_PythonEnv(python, build_dependencies, dependencies=["-r requirements.txt"]).to_yaml`
  writeFileSync(
    path.join(dir, FILES.pythonEnv),
    stringifyYaml({
      build_dependencies: env.buildDependencies ?? ['pip', 'setuptools', 'wheel'],
      dependencies: [`-r ${FILES.requirements}`],
      python,
    }),
  );
  // `write_to(requirements.txt, "\n".join(pip_requirements))`
  writeFileSync(path.join(dir, FILES.requirements), pip.join('\n'));
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

type MLmodelYaml = z.infer<typeof mlmodelSchema>;
type PropflowFlavorYaml = MLmodelYaml['flavors'][typeof FLAVOR];

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

/** MLmodel's YAML, parsed and checked against its schema. */
function readMlmodel(dir: string): MLmodelYaml {
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
  return parsed.data;
}

/** One side of MLmodel's signature, decoded from MLflow's JSON-in-YAML string. */
function decodeSignatureColumns(
  dir: string,
  ml: MLmodelYaml,
  field: 'inputs' | 'outputs',
): SignatureColumn[] {
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
}

/** The model file the propflow flavor names, loaded and checked against the signature's inputs. */
function loadFlavorModel(dir: string, fl: PropflowFlavorYaml, signature: ModelSignature): ArtifactModel {
  const modelJson = readJson(dir, fl.model_file);
  const source = `model artifact ${dir}: ${fl.model_file}`;
  const model: ArtifactModel =
    fl.model_type === 'gbdt' ? loadGbdt(modelJson, source) : loadTwoStage(modelJson, source);
  if (signature.inputs.length !== model.nFeatures) {
    throw new DataError(
      `model artifact ${dir}: the signature has ${signature.inputs.length} inputs but ${fl.model_file} takes ${model.nFeatures} features`,
    );
  }
  return model;
}

function readCalibration(dir: string, fl: PropflowFlavorYaml): IsotonicRegression | null {
  return fl.calibration
    ? loadIsotonic(readJson(dir, fl.calibration), `model artifact ${dir}: ${fl.calibration}`)
    : null;
}

function readInputExample(dir: string, exFile: string | undefined): InputExample | null {
  if (!exFile) return null;
  const ex = inputExampleSchema.safeParse(readJson(dir, exFile));
  if (!ex.success) throw new DataError(`model artifact ${dir}: ${exFile}: ${describeIssues(ex.error)}`);
  return ex.data;
}

/** What MLmodel records, in `MLmodelInfo`'s shape (the flavor's extra keys kept). */
function mlmodelInfo(ml: MLmodelYaml, signature: ModelSignature): MLmodelInfo {
  const {
    model_type,
    model_file,
    xgboost_model,
    feature_set,
    calibration: cal,
    format_version,
    ...extras
  } = ml.flavors[FLAVOR];
  return {
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
      inputExample: ml.saved_input_example_info?.artifact_path ?? null,
      formatVersion: format_version,
    },
    signature,
  };
}

/** Read and validate an artifact folder written by `writeModelArtifact` (or by hand in its layout). */
export function readModelArtifact(dir: string): LoadedArtifact {
  const ml = readMlmodel(dir);
  const signature = {
    inputs: decodeSignatureColumns(dir, ml, 'inputs'),
    outputs: decodeSignatureColumns(dir, ml, 'outputs'),
  };
  const fl = ml.flavors[FLAVOR];
  const model = loadFlavorModel(dir, fl, signature);
  const featureSet = readJson(dir, fl.feature_set);
  const calibration = readCalibration(dir, fl);
  const inputExample = readInputExample(dir, ml.saved_input_example_info?.artifact_path);
  return { mlmodel: mlmodelInfo(ml, signature), model, featureSet, calibration, inputExample };
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
