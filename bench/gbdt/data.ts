/** Load the reference data written by `../shared/bench/gbdt/gen_data.py` (binary files + meta.json). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type FeatureMatrix, fromRowMajor } from '../../src/models/index.js';

export interface BenchData {
  X: FeatureMatrix;
  y: Float32Array;
  meta: {
    n_rows: number;
    n_features: number;
    feature_names: string[];
    dates: string[];
    date_offsets: number[];
    n_history_dates: number;
    n_season_dates: number;
  };
}

export function loadBenchData(dir: string): BenchData {
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as BenchData['meta'];
  const xb = readFileSync(path.join(dir, 'X.f32'));
  const yb = readFileSync(path.join(dir, 'y.f32'));
  const rowMajor = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength));
  const y = new Float32Array(yb.buffer.slice(yb.byteOffset, yb.byteOffset + yb.byteLength));
  const X = fromRowMajor(rowMajor, meta.n_rows, meta.n_features, meta.feature_names);
  return { X, y, meta };
}

/** common.py's holdout_split: the date boundary nearest (1 − frac) × n rows. */
export function holdoutSplit(meta: BenchData['meta'], frac = 0.2): number {
  const target = (1 - frac) * meta.n_rows;
  let best = 0;
  for (let k = 1; k < meta.date_offsets.length; k++) {
    if (Math.abs(meta.date_offsets[k]! - target) < Math.abs(meta.date_offsets[best]! - target)) best = k;
  }
  return meta.date_offsets[best]!;
}

export function mae(pred: ArrayLike<number>, y: ArrayLike<number>, from = 0): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i]! - y[from + i]!);
  return s / pred.length;
}
