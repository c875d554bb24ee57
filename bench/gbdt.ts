/**
 * GBDT benchmark: propflow's engine against XGBoost on the shared reference data, in one run.
 *
 *   npm run bench -- gbdt [--repeats 3] [--folds 20] [--reuse-xgb]
 *
 * 1. Generates the data once with `../shared/bench/gbdt/gen_data.py` into `bench/.data/gbdt/`.
 * 2. Runs the XGBoost reference scripts (one thread, `tree_method=hist`) with their results
 *    in `bench/.results/gbdt/`: depth-wise, lossguide with 31 leaves, and the naive 20-fold
 *    walk-forward loop. `--reuse-xgb` reads the figures of an earlier run instead.
 * 3. Fits ours the same way (first 80% of rows by date, 300 rounds, learning rate 0.05,
 *    depth 6 or 31 leaves, 256 bins, one thread; median of the repeats). Fit time counts
 *    binning plus training, as XGBoost's counts DMatrix plus training. The walk-forward
 *    slice bins the matrix once and fits each fold on a row prefix.
 * Progress goes to stderr; the last stdout line is one JSON object with the figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BinnedMatrix, type GbdtParamsInput, sliceRows, trainGbdt } from '../src/models/index.js';
import { holdoutSplit, loadBenchData, mae } from './gbdt/data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const shared = path.resolve(root, '../shared/bench/gbdt');
const dataDir = path.join(root, 'bench/.data/gbdt/data');
const resultsDir = path.join(root, 'bench/.results/gbdt');
const python = '/usr/bin/python3';

const args = process.argv.slice(2);
const argValue = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const repeats = argValue('--repeats', 3);
const folds = argValue('--folds', 20);
const reuseXgb = args.includes('--reuse-xgb');

const log = (msg: string): void => {
  process.stderr.write(`[gbdt] ${msg}\n`);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length;
  return m % 2 ? s[(m - 1) / 2]! : (s[m / 2 - 1]! + s[m / 2]!) / 2;
};
const round = (x: number, d = 4): number => Number(x.toFixed(d));

function runPython(script: string, scriptArgs: string[]): void {
  log(`running ${script} ${scriptArgs.join(' ')}`);
  const res = spawnSync(python, [path.join(shared, script), ...scriptArgs], {
    cwd: shared,
    env: { ...process.env, OMP_NUM_THREADS: '1', GBDT_BENCH_DATA: dataDir, GBDT_BENCH_RESULTS: resultsDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) {
    throw new Error(
      `${script} failed (exit ${res.status}); check that ${python} has xgboost (apt-get install python3-xgboost)`,
    );
  }
}

function checkResult(name: string): void {
  const file = path.join(resultsDir, name);
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing; run without --reuse-xgb (or with the --folds of the run that wrote it)`,
    );
  }
}

function readResult(name: string): Record<string, unknown> {
  checkResult(name);
  return JSON.parse(readFileSync(path.join(resultsDir, name), 'utf8')) as Record<string, unknown>;
}

// 1. data
if (!existsSync(path.join(dataDir, 'meta.json'))) {
  mkdirSync(dataDir, { recursive: true });
  log(`generating the reference data into ${dataDir}`);
  const res = spawnSync(python, [path.join(shared, 'gen_data.py'), '--out', dataDir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (res.status !== 0) throw new Error(`gen_data.py failed (exit ${res.status})`);
}
mkdirSync(resultsDir, { recursive: true });
const { X, y, meta } = loadBenchData(dataDir);
const split = holdoutSplit(meta);
log(`data: ${meta.n_rows} rows × ${meta.n_features} features; holdout split at row ${split}`);

const base: GbdtParamsInput = { nEstimators: 300, learningRate: 0.05, maxBin: 256, maxDepth: 6, seed: 0 };
const configs: Record<string, GbdtParamsInput> = {
  depthwise: base,
  lossguide31: { ...base, growPolicy: 'lossguide', maxDepth: 0, numLeaves: 31 },
};

interface HoldoutFigures {
  fit_s: number;
  fit_all_s: number[];
  train_s: number;
  bin_s: number;
  predict_s: number;
  mae: number;
}

function holdout(params: GbdtParamsInput, label: string): HoldoutFigures {
  const train = sliceRows(X, 0, split);
  const test = sliceRows(X, split, X.nRows);
  const yTrain = y.subarray(0, split);
  const fits: number[] = [];
  const bins: number[] = [];
  let lastMae = Number.NaN;
  let predictS = Number.NaN;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const binned = new BinnedMatrix(train);
    const t1 = performance.now();
    const model = trainGbdt(binned, yTrain, params);
    const t2 = performance.now();
    const pred = model.predict(test);
    const t3 = performance.now();
    fits.push((t2 - t0) / 1000);
    bins.push((t1 - t0) / 1000);
    predictS = (t3 - t2) / 1000;
    lastMae = mae(pred, y, split);
    log(
      `ours ${label} rep ${r}: fit ${((t2 - t0) / 1000).toFixed(2)}s (binning ${((t1 - t0) / 1000).toFixed(2)}s) predict ${predictS.toFixed(3)}s mae ${lastMae.toFixed(4)}`,
    );
  }
  const fit = median(fits);
  return {
    fit_s: round(fit, 3),
    fit_all_s: fits.map((f) => round(f, 3)),
    train_s: round(fit - median(bins), 3),
    bin_s: round(median(bins), 3),
    predict_s: round(predictS, 3),
    mae: round(lastMae, 4),
  };
}

/** numpy's unique(round(linspace(0, S-1, k))) — the python loop's folds. */
function foldIndices(S: number, k: number): number[] {
  if (k >= S) return Array.from({ length: S }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < k; i++) {
    const v = k === 1 ? 0 : (i * (S - 1)) / (k - 1);
    // numpy rounds half to even
    const f = Math.floor(v);
    const d = v - f;
    out.add(d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f);
  }
  return [...out].sort((a, b) => a - b);
}

function walkForward(params: GbdtParamsInput): {
  total_s: number;
  all_s: number[];
  mae: number;
  rows: number;
} {
  const h = meta.n_history_dates;
  const ks = foldIndices(meta.n_season_dates, folds);
  const totals: number[] = [];
  let foldMae = Number.NaN;
  let predicted = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const binned = new BinnedMatrix(X); // once per season: fine codes only, edges come per fold
    let absSum = 0;
    predicted = 0;
    for (const k of ks) {
      const lo = meta.date_offsets[h + k]!;
      const hi = meta.date_offsets[h + k + 1]!;
      const model = trainGbdt(binned, y, params, { rows: lo });
      const pred = model.predict(sliceRows(X, lo, hi));
      for (let i = 0; i < pred.length; i++) absSum += Math.abs(pred[i]! - y[lo + i]!);
      predicted += pred.length;
    }
    const total = (performance.now() - t0) / 1000;
    totals.push(total);
    foldMae = absSum / predicted;
    log(`ours walk-forward rep ${r}: ${ks.length} folds in ${total.toFixed(2)}s, mae ${foldMae.toFixed(4)}`);
  }
  return {
    total_s: round(median(totals), 3),
    all_s: totals.map((t) => round(t, 3)),
    mae: round(foldMae, 4),
    rows: predicted,
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const medianOf = (v: unknown): number => num((v as { median?: unknown } | undefined)?.median);

const wfFolds = foldIndices(meta.n_season_dates, folds).length;
const xgbFiles = {
  depthwise: 'xgb_full_depthwise_nt1.json',
  lossguide31: 'xgb_full_lossguide31_nt1.json',
  walkForward: `walkforward_xgb_nt1_folds${wfFolds}.json`,
};
// reusing XGBoost's figures: fail before any fit when one of them is missing
if (reuseXgb) for (const name of Object.values(xgbFiles)) checkResult(name);

// 2 + 3, side by side
if (!reuseXgb) runPython('bench_xgb_full.py', ['--nthread', '1', '--repeats', String(repeats)]);
const xgbDepth = readResult(xgbFiles.depthwise);
const ours = holdout(configs.depthwise!, 'depthwise');

if (!reuseXgb) {
  runPython('bench_xgb_full.py', ['--nthread', '1', '--repeats', String(repeats), '--grow', 'lossguide31']);
}
const xgbLoss = readResult(xgbFiles.lossguide31);
const oursLoss = holdout(configs.lossguide31!, 'lossguide31');

if (!reuseXgb) {
  runPython('bench_walkforward_xgb.py', [
    '--nthread',
    '1',
    '--folds',
    String(folds),
    '--repeats',
    String(repeats),
  ]);
}
const xgbWf = readResult(xgbFiles.walkForward);
const oursWf = walkForward(configs.depthwise!);

const xgbFit = medianOf(xgbDepth.holdout80_fit_s);
const xgbLossFit = medianOf(xgbLoss.holdout80_fit_s);
const xgbWfTotal = medianOf(xgbWf.loop_total_s);
const line = {
  bench: 'gbdt',
  fit_s: ours.fit_s,
  xgb_fit_s: round(xgbFit, 3),
  ratio: round(ours.fit_s / xgbFit, 3),
  mae: ours.mae,
  xgb_mae: round(num(xgbDepth.holdout_mae), 4),
  mae_ratio: round(ours.mae / num(xgbDepth.holdout_mae), 4),
  bin_s: ours.bin_s,
  train_s: ours.train_s,
  predict_s: ours.predict_s,
  fit_all_s: ours.fit_all_s,
  xgb_fit_all_s: (xgbDepth.holdout80_fit_s as { all?: number[] }).all,
  lossguide31_fit_s: oursLoss.fit_s,
  xgb_lossguide31_fit_s: round(xgbLossFit, 3),
  lossguide31_ratio: round(oursLoss.fit_s / xgbLossFit, 3),
  lossguide31_mae: oursLoss.mae,
  xgb_lossguide31_mae: round(num(xgbLoss.holdout_mae), 4),
  wf_folds: wfFolds,
  wf_s: oursWf.total_s,
  xgb_wf_s: round(xgbWfTotal, 3),
  wf_ratio: round(oursWf.total_s / xgbWfTotal, 3),
  wf_mae: oursWf.mae,
  xgb_wf_mae: round(num(xgbWf.mae_over_predicted_rows), 4),
  wf_predicted_rows: oursWf.rows,
  repeats,
  xgboost: xgbDepth.version,
  node: process.version,
  loadavg: loadavg().map((l) => round(l, 2)),
  reused_xgb_results: reuseXgb,
};
process.stdout.write(`${JSON.stringify(line)}\n`);
