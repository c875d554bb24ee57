import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
