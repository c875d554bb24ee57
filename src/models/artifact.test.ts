import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  fitIsotonic,
  fromColumns,
  inputExampleFrom,
  readModelArtifact,
  trainGbdt,
  trainTwoStage,
  writeModelArtifact,
} from './index.js';

const root = mkdtempSync(path.join(tmpdir(), 'propflow-artifact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const X = fromColumns({
  minutes_avg: Array.from({ length: 200 }, (_, i) => 10 + (i % 30)),
  usage: Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? Number.NaN : 0.1 + (i % 13) / 50)),
});
const y = Array.from({ length: 200 }, (_, i) => 5 + (i % 30) * 0.8 + (i % 13) / 4);
const featureSet = { name: 'pra_v1', features: [{ name: 'minutes_avg', window: 5 }, { name: 'usage' }] };

describe('model artifact (MLflow layout)', () => {
  it('round-trips a GBDT model with calibration and input example', () => {
    const model = trainGbdt(X, y, { nEstimators: 20, maxDepth: 3 });
    const calibration = fitIsotonic([0.1, 0.4, 0.5, 0.9], [0, 1, 0, 1], { yMin: 0, yMax: 1 });
    const dir = path.join(root, 'gbdt', 'model');
    const when = new Date(Date.UTC(2024, 5, 1, 12, 30, 5, 250));
    const info = writeModelArtifact(dir, {
      model,
      featureSet,
      runId: 'abc123',
      calibration,
      inputExample: inputExampleFrom(X, 3),
      createdAt: when,
      flavorExtras: { target: 'pra' },
    });
    const text = readFileSync(path.join(dir, 'MLmodel'), 'utf8');
    // quoted like MLflow's own files, so YAML 1.1 readers (PyYAML) keep it a string
    expect(text).toContain("utc_time_created: '2024-06-01 12:30:05.250000'");
    const doc = parse(text);
    expect(doc.artifact_path).toBe('model');
    expect(doc.run_id).toBe('abc123');
    expect(doc.model_uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(doc.utc_time_created).toBe('2024-06-01 12:30:05.250000');
    expect(doc.flavors.propflow).toMatchObject({
      model_type: 'gbdt',
      model_file: 'model.json',
      xgboost_model: 'model.xgb.json',
      feature_set: 'feature_set.json',
      calibration: 'calibration.json',
      format_version: 1,
      target: 'pra',
    });
    expect(doc.signature.inputs).toBe(
      '[{"type": "double", "name": "minutes_avg", "required": true}, {"type": "double", "name": "usage", "required": true}]',
    );
    expect(JSON.parse(doc.signature.outputs)).toEqual([
      { type: 'double', name: 'prediction', required: true },
    ]);
    expect(doc.saved_input_example_info).toEqual({
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      type: 'dataframe',
    });

    const back = readModelArtifact(dir);
    expect(back.mlmodel).toEqual(info);
    expect(back.featureSet).toEqual(featureSet);
    expect(Array.from(back.model.predict(X) as Float64Array)).toEqual(Array.from(model.predict(X)));
    expect(Array.from(back.calibration!.predict([0.2, 0.7]))).toEqual(
      Array.from(calibration.predict([0.2, 0.7])),
    );
    expect(back.inputExample!.columns).toEqual(['minutes_avg', 'usage']);
    expect(back.inputExample!.data[0]).toEqual([10, null]);
  });

  it('round-trips a two-stage model without optional parts', () => {
    const model = trainTwoStage(X, Array.from(X.values.subarray(0, 200)), y, {
      minutes: { nEstimators: 5 },
      target: { nEstimators: 5 },
    });
    const dir = path.join(root, 'two', 'model');
    writeModelArtifact(dir, { model, featureSet, runId: 'r2' });
    const back = readModelArtifact(dir);
    expect(back.mlmodel.flavor.modelType).toBe('two_stage');
    expect(back.mlmodel.signature.outputs.map((c) => c.name)).toEqual(['stage1_minutes', 'prediction']);
    expect(back.calibration).toBeNull();
    expect(back.inputExample).toBeNull();
    expect(back.model.constructor.name).toBe('TwoStageModel');
  });

  it('names the file and field that is wrong', () => {
    const model = trainGbdt(X, y, { nEstimators: 3 });
    const dir = path.join(root, 'bad', 'model');
    writeModelArtifact(dir, { model, featureSet, runId: 'r3', calibration: fitIsotonic([0, 1], [0, 1]) });
    const mlPath = path.join(dir, 'MLmodel');
    const good = readFileSync(mlPath, 'utf8');
    writeFileSync(mlPath, good.replace(/model_uuid: .*/, 'model_uuid: nope'));
    expect(() => readModelArtifact(dir)).toThrow(/MLmodel: model_uuid: must be 32 lowercase hex digits/);
    writeFileSync(mlPath, good.replace('model_type: gbdt', 'model_type: forest'));
    expect(() => readModelArtifact(dir)).toThrow(/flavors\.propflow\.model_type/);
    writeFileSync(mlPath, good.replace(/inputs: .*/, 'inputs: \'[{"type": "double", "name": "x"}]\''));
    expect(() => readModelArtifact(dir)).toThrow(/signature has 1 inputs but model.json takes 2 features/);
    writeFileSync(mlPath, good);
    rmSync(path.join(dir, 'calibration.json'));
    expect(() => readModelArtifact(dir)).toThrow(/calibration.json is named in MLmodel but missing/);
    writeFileSync(path.join(dir, 'calibration.json'), '{"format":"propflow-isotonic"}');
    expect(() => readModelArtifact(dir)).toThrow(/calibration.json: invalid calibration/);
    writeFileSync(path.join(dir, 'model.json'), '{"format":"propflow-gbdt","formatVersion":1}');
    expect(() => readModelArtifact(dir)).toThrow(/model.json: invalid model file/);
    expect(() => readModelArtifact(path.join(root, 'nowhere'))).toThrow(/no MLmodel file/);
    expect(() => writeModelArtifact(dir, { model, featureSet: undefined, runId: 'r' })).toThrow(
      /featureSet is required/,
    );
  });
});

/**
 * What `mlflow.xgboost.save_model(model, path, signature=…, input_example=…)` writes, from
 * MLflow's source (harupy/mlflow, MLflow 3.11; the same keys in williamjamir/mlflow v2.12.2):
 * - mlflow/xgboost/__init__.py `save_model`: `model_data_subpath = f"model.{model_format}"`
 *   with `model_format="ubj"` by default; `pyfunc.add_to_model(mlflow_model,
 *   loader_module="mlflow.xgboost", data=model_data_subpath, conda_env=_CONDA_ENV_FILE_NAME,
 *   python_env=_PYTHON_ENV_FILE_NAME, code=code_dir_subpath)`; `mlflow_model.add_flavor(
 *   FLAVOR_NAME, xgb_version=xgb.__version__, data=model_data_subpath,
 *   model_class=xgb_model_class, model_format=model_format, code=code_dir_subpath)`;
 *   then conda.yaml, requirements.txt and python_env.yaml.
 * - mlflow/pyfunc/__init__.py `add_to_model`: `loader_module`, `python_version`, `data`,
 *   `env: {conda: …, virtualenv: …}` (`code` only when given).
 * - mlflow/utils/environment.py: `_CONDA_ENV_FILE_NAME = "conda.yaml"`,
 *   `_REQUIREMENTS_FILE_NAME = "requirements.txt"`, `_PYTHON_ENV_FILE_NAME = "python_env.yaml"`;
 *   `_mlflow_conda_env` → {name: mlflow-env, channels: [conda-forge], dependencies:
 *   [python=…, pip…, {pip: […]}]}; `_PythonEnv.to_dict` → {python, build_dependencies, dependencies}.
 * - mlflow/models/model.py `Model.to_dict`: `model_size_bytes` when known.
 */
const MLFLOW_XGBOOST_FLAVOR_KEYS = ['code', 'data', 'model_class', 'model_format', 'xgb_version'];
const MLFLOW_PYFUNC_FLAVOR_KEYS = ['data', 'env', 'loader_module', 'python_version'];

describe('model artifact: MLflow xgboost and python_function flavors', () => {
  const python = '/usr/bin/python3';
  const script = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../test/python/mlflow_flavor_predict.py',
  );
  const haveXgb = spawnSync(python, ['-c', 'import xgboost, numpy, yaml'], { encoding: 'utf8' }).status === 0;

  function mlflowLoad(dir: string): {
    flavors: string[];
    feature_names?: string[];
    xgboost?: number[];
    pyfunc?: Record<string, number[]>;
  } {
    const res = spawnSync(python, [script, dir], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`mlflow_flavor_predict.py failed: ${res.stderr}`);
    return JSON.parse(res.stdout);
  }

  /** The input example as the column-major matrix the model predicts (null → NaN). */
  function exampleMatrix(ex: { columns: string[]; data: (number | string | null)[][] }) {
    return fromColumns(
      Object.fromEntries(
        ex.columns.map((c, j) => [c, ex.data.map((r) => (r[j] === null ? Number.NaN : Number(r[j])))]),
      ),
    );
  }

  it('writes the xgboost and python_function flavors and files as mlflow.xgboost.save_model does', () => {
    const model = trainGbdt(X, y, { nEstimators: 30, maxDepth: 4 });
    const dir = path.join(root, 'mlflow-gbdt', 'model');
    writeModelArtifact(dir, { model, featureSet, runId: 'r1', inputExample: inputExampleFrom(X, 8) });
    const doc = parse(readFileSync(path.join(dir, 'MLmodel'), 'utf8'));
    expect(Object.keys(doc.flavors).sort()).toEqual(['propflow', 'python_function', 'xgboost']);
    const xgbFlavor = doc.flavors.xgboost;
    expect(Object.keys(xgbFlavor).sort()).toEqual(MLFLOW_XGBOOST_FLAVOR_KEYS);
    expect(xgbFlavor).toEqual({
      code: null,
      data: `model.${xgbFlavor.model_format}`,
      model_class: 'xgboost.core.Booster',
      model_format: 'ubj',
      xgb_version: '1.7.4',
    });
    const pyfunc = doc.flavors.python_function;
    expect(Object.keys(pyfunc).sort()).toEqual(MLFLOW_PYFUNC_FLAVOR_KEYS);
    expect(pyfunc).toMatchObject({
      loader_module: 'mlflow.xgboost',
      data: 'model.ubj',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
    });
    expect(pyfunc.python_version).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.model_size_bytes).toBeGreaterThan(0);
    for (const f of ['model.ubj', 'conda.yaml', 'python_env.yaml', 'requirements.txt']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    const conda = parse(readFileSync(path.join(dir, 'conda.yaml'), 'utf8'));
    expect(Object.keys(conda)).toEqual(['channels', 'dependencies', 'name']);
    expect(conda).toMatchObject({ name: 'mlflow-env', channels: ['conda-forge'] });
    expect(conda.dependencies[0]).toBe(`python=${pyfunc.python_version}`);
    expect(conda.dependencies.at(-1).pip).toContain('xgboost==1.7.4');
    const pyEnv = parse(readFileSync(path.join(dir, 'python_env.yaml'), 'utf8'));
    expect(Object.keys(pyEnv)).toEqual(['build_dependencies', 'dependencies', 'python']);
    expect(pyEnv).toMatchObject({ python: pyfunc.python_version, dependencies: ['-r requirements.txt'] });
    expect(readFileSync(path.join(dir, 'requirements.txt'), 'utf8').split('\n')).toEqual(
      conda.dependencies.at(-1).pip,
    );
    // The signature's feature columns, in the model's order, are the booster's feature names.
    const inputs = JSON.parse(doc.signature.inputs).map((c: { name: string }) => c.name);
    expect(inputs).toEqual(['minutes_avg', 'usage']);
    expect(doc.saved_input_example_info).toMatchObject({
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
    });
    // The propflow flavor still reads back.
    expect(readModelArtifact(dir).model.predict(X)).toEqual(model.predict(X));
  });

  it.skipIf(!haveXgb)(
    'the xgboost flavor loads in XGBoost and predicts the input example as propflow does (float32)',
    () => {
      const model = trainGbdt(X, y, { nEstimators: 60, maxDepth: 5, learningRate: 0.1 });
      const dir = path.join(root, 'mlflow-gbdt-predict', 'model');
      const example = inputExampleFrom(X, 40);
      writeModelArtifact(dir, { model, featureSet, runId: 'r2', inputExample: example });
      const got = mlflowLoad(dir);
      expect(got.feature_names).toEqual(['minutes_avg', 'usage']);
      const ours = model.predict(exampleMatrix(example));
      expect(got.xgboost).toHaveLength(40);
      got.xgboost!.forEach((p, i) => {
        expect(Math.abs(p - ours[i]!), `row ${i}`).toBeLessThanOrEqual(
          1e-5 * Math.max(1, Math.abs(ours[i]!)),
        );
      });
      expect(example.data.some((r) => r.includes(null))).toBe(true); // missing values took the learned branch
    },
  );

  it.skipIf(!haveXgb)(
    'a two-stage model exports both stages and a python_function over them, and says so',
    () => {
      const minutes = Array.from({ length: 200 }, (_, i) => 10 + (i % 30) * 0.9);
      const model = trainTwoStage(X, minutes, y, {
        mode: 'perMinute',
        folds: 2,
        minutes: { nEstimators: 15 },
        target: { nEstimators: 15 },
      });
      const dir = path.join(root, 'mlflow-two-stage', 'model');
      const example = inputExampleFrom(X, 25);
      writeModelArtifact(dir, { model, featureSet, runId: 'r3', inputExample: example });
      const doc = parse(readFileSync(path.join(dir, 'MLmodel'), 'utf8'));
      expect(Object.keys(doc.flavors).sort()).toEqual(['propflow', 'python_function']);
      expect(doc.metadata.propflow_flavors).toMatch(/no xgboost flavor/);
      expect(doc.flavors.python_function).toMatchObject({
        loader_module: 'propflow_two_stage',
        code: 'code',
      });
      expect(doc.flavors.propflow.xgboost_stages).toEqual({
        minutes: 'stage1_minutes.ubj',
        target: 'stage2_target.ubj',
      });
      const got = mlflowLoad(dir);
      const ours = model.predict(exampleMatrix(example));
      const tol = (a: number) => 1e-5 * Math.max(1, Math.abs(a));
      const gotMinutes = got.pyfunc!['stage1_minutes']!;
      const prediction = got.pyfunc!['prediction']!;
      expect(gotMinutes).toHaveLength(25);
      for (let i = 0; i < 25; i++) {
        expect(Math.abs(gotMinutes[i]! - ours.minutes[i]!), `minutes ${i}`).toBeLessThanOrEqual(
          tol(ours.minutes[i]!),
        );
        expect(Math.abs(prediction[i]! - ours.target[i]!), `row ${i}`).toBeLessThanOrEqual(
          tol(ours.target[i]!),
        );
      }
    },
  );
});
