/**
 * Loading a registered model version for serving: its files from the run's artifacts, the
 * validated model artifact (model, feature set, calibration, input example), the run's
 * validation MAE and training info — checked (the input example predicts finite numbers)
 * before anything is switched to it. A `ServedModel` is immutable once built.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError, NotFoundError, PropflowError } from '../errors.js';
import { type FeatureSet, validateFeatureSet } from '../features/index.js';
import {
  type ArtifactModel,
  type FeatureMatrix,
  GbdtModel,
  type InputExample,
  type IsotonicRegression,
  readModelArtifact,
} from '../models/index.js';
import { type ModelVersion, resolveModelUri, type TrackingStore } from '../tracking/index.js';

/** One loaded, checked model version; requests hold a reference to exactly one. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly runId: string;
  readonly source: string;
  readonly stage: string;
  readonly model: ArtifactModel;
  readonly calibration: IsotonicRegression | null;
  readonly featureSet: FeatureSet;
  /** The run's `val_mae` metric (null when the run has none). */
  readonly valMae: number | null;
  /** Last game date the final model was trained on (from `training_info.json`), if known. */
  readonly trainedUntil: string | null;
  /** `dataset_dir` of `training_info.json`: the dataset folder the run read (null: synthetic or absent). */
  readonly datasetDir: string | null;
  /** Whether the run has a `training_info.json` at all. */
  readonly hasTrainingInfo: boolean;
  readonly modelUuid: string;
  readonly loadedAt: string;
  /** Seconds the load and check took. */
  readonly loadSeconds: number;
}

/** PRA predictions of a matrix, whatever the model kind. */
export function predictPra(model: ArtifactModel, X: FeatureMatrix): Float64Array {
  return model instanceof GbdtModel ? model.predict(X) : model.predict(X).target;
}

/** Copy an artifact folder of a run into `dest` (listing it recursively). */
async function downloadFolder(
  store: TrackingStore,
  runId: string,
  artifactPath: string,
  dest: string,
): Promise<number> {
  const entries = await store.listArtifacts(runId, artifactPath);
  let files = 0;
  for (const e of entries) {
    const rel = path.posix.relative(artifactPath, e.path);
    const local = path.join(dest, ...rel.split('/'));
    if (e.isDir) {
      await mkdir(local, { recursive: true });
      files += await downloadFolder(store, runId, e.path, local);
    } else if (e.path.endsWith('.xgb.json')) {
      // the XGBoost copy is for Python users; serving reads model.json (saves a download and a parse)
    } else {
      await mkdir(path.dirname(local), { recursive: true });
      await writeFile(local, await store.downloadArtifact(runId, e.path));
      files++;
    }
  }
  return files;
}

function matrixFromExample(ex: InputExample, names: readonly string[]): FeatureMatrix {
  const nRows = ex.data.length;
  const values = new Float64Array(nRows * names.length);
  names.forEach((name, c) => {
    const j = ex.columns.indexOf(name);
    for (let r = 0; r < nRows; r++) {
      const v = j < 0 ? null : ex.data[r]![j];
      values[c * nRows + r] = typeof v === 'number' ? v : Number.NaN;
    }
  });
  return { nRows, nCols: names.length, values, names: [...names] };
}

interface TrainingInfo {
  present: boolean;
  datasetDir: string | null;
  trainedUntil: string | null;
}

async function readTrainingInfo(store: TrackingStore, runId: string): Promise<TrainingInfo> {
  let raw: Uint8Array;
  try {
    raw = await store.downloadArtifact(runId, 'training_info.json');
  } catch (err) {
    if (err instanceof NotFoundError || (err instanceof PropflowError && err.status === 404)) {
      return { present: false, datasetDir: null, trainedUntil: null };
    }
    throw err;
  }
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DataError(`run ${runId}: training_info.json is not valid JSON (${(err as Error).message})`);
  }
  const dir = typeof info['dataset_dir'] === 'string' ? info['dataset_dir'] : null;
  const finalModel = info['final_model'] as Record<string, unknown> | undefined;
  const dataset = info['dataset'] as Record<string, unknown> | undefined;
  const until = finalModel?.['date_max'] ?? dataset?.['date_max'];
  return { present: true, datasetDir: dir, trainedUntil: typeof until === 'string' ? until : null };
}

/**
 * Load version `v` of a registered model and check it: the artifact validates, its feature
 * set matches the model's features, and its input example predicts finite values. Throws with
 * the version and what is wrong; the caller keeps serving what it had.
 */
export async function loadServedModel(store: TrackingStore, v: ModelVersion): Promise<ServedModel> {
  const t0 = performance.now();
  const where = `${v.name} version ${v.version}`;
  const loc = await resolveModelUri(store, `models:/${v.name}/${v.version}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'propflow-serve-'));
  try {
    const files = await downloadFolder(store, loc.runId, loc.artifactPath, dir);
    if (files === 0) {
      throw new NotFoundError(
        `${where}: no files under '${loc.artifactPath}' in run ${loc.runId}; register a run that logged its model.`,
      );
    }
    const art = readModelArtifact(dir);
    let featureSet: FeatureSet;
    try {
      featureSet = validateFeatureSet(art.featureSet as FeatureSet);
    } catch (err) {
      throw new DataError(
        `${where}: feature_set.json is not a valid feature set (${(err as Error).message})`,
      );
    }
    const setNames = featureSet.features.map((f) => f.name);
    const modelNames = art.model.featureNames;
    if (art.model.nFeatures !== setNames.length || (modelNames && modelNames.join() !== setNames.join())) {
      throw new DataError(
        `${where}: the model takes ${art.model.nFeatures} features (${modelNames?.join(', ') ?? 'unnamed'}) but its feature set '${featureSet.name}' defines ${setNames.length} (${setNames.join(', ')})`,
      );
    }
    if (art.inputExample && art.inputExample.data.length > 0) {
      const p = predictPra(art.model, matrixFromExample(art.inputExample, setNames));
      const bad = p.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new DataError(`${where}: the input example's row ${bad} predicts ${p[bad]}`);
    }
    const run = await store.getRun(loc.runId);
    const valMae = run.data.metrics.find((m) => m.key === 'val_mae')?.value ?? null;
    const info = await readTrainingInfo(store, loc.runId);
    return Object.freeze({
      name: v.name,
      version: v.version,
      runId: loc.runId,
      source: v.source,
      stage: v.currentStage,
      model: art.model,
      calibration: art.calibration,
      featureSet,
      valMae,
      trainedUntil: info.trainedUntil,
      datasetDir: info.datasetDir,
      hasTrainingInfo: info.present,
      modelUuid: art.mlmodel.modelUuid,
      loadedAt: new Date().toISOString(),
      loadSeconds: (performance.now() - t0) / 1000,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
