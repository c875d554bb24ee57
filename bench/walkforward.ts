/**
 * Walk-forward benchmark on the real data: propflow's engine against the naive XGBoost loop,
 * in one run, on the identical matrix and fold boundaries.
 *
 *   npm run bench -- walkforward [--full] [--days 40] [--strategy warm|full]
 *       [--full-refit-every 7] [--extra-trees 30] [--workers N] [--also-full]
 *       [--reuse-xgb] [--no-xgb] [--xgb-folds K] [--report]
 *
 * Data: the player logs in ../shared/data/nba, `v3_advanced` features; training history is
 * every season before 2023-24; folds are the 2023-24 game days (the first `--days`, or the
 * whole season with `--full`), one per day (daily refits). GBDT: 300 trees, depth 6, learning
 * rate 0.05, 256 bins.
 *
 * Ours: `runWalkForward` on all cores. Default strategy `warm`: a full refit every 7 days and
 * in between the last full model continued with 30 trees fitted on every row before the fold
 * date; `--strategy full` refits from scratch every day. `--also-full` runs both and reports
 * what the warm starts cost in MAE.
 * XGBoost: `../shared/bench/gbdt/bench_walkforward_xgb.py` (a new DMatrix and 300 trees per
 * fold, `nthread` = all cores) on the matrix exported to `bench/.data/walkforward/`. Its
 * result is written to `bench/.data/walkforward/results/`; `--reuse-xgb` reads it instead of
 * running it again (it fails when the export changed since). `--xgb-folds K` runs the XGBoost
 * loop on K evenly spaced folds only (its `--folds K`) and takes its total from the script's
 * own extrapolation to all folds (a line of fold time against training rows); the MAEs are
 * then compared on those K folds (`mae_on_xgb_folds` vs `xgb_mae`).
 * `--report`: closing-note figures over the predicted days — model vs the last-10 average on
 * every game of a player with ≥ 1 prior game, and vs the consensus closing line on the games
 * with a line (player with ≥ 5 prior games).
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConsensusLines, formatDay, ingestFiles } from '../src/data/index.js';
import { buildFeatures, type FeatureMatrix, linesForRows, V3_ADVANCED } from '../src/features/index.js';
import { type GbdtParamsInput, lastNAverage, sliceRows } from '../src/models/index.js';
import { runWalkForward, type WalkForwardResult, type WalkForwardStrategy } from '../src/validation/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
/** `../shared` beside the checkout (or beside a parent folder of it: git worktrees), or $PROPFLOW_SHARED. */
function sharedDir(): string {
  if (process.env.PROPFLOW_SHARED) return path.resolve(process.env.PROPFLOW_SHARED);
  for (let dir = root; ; dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared');
    if (existsSync(path.join(candidate, 'data/nba'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('no ../shared/data/nba found; set PROPFLOW_SHARED');
  }
}
const shared = sharedDir();
const nba = path.join(shared, 'data/nba');
const xgbScript = path.join(shared, 'bench/gbdt/bench_walkforward_xgb.py');
const python = '/usr/bin/python3';
const SEASON = 2023;

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const value = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const num = (name: string, def: number): number => {
  const v = Number(value(name, String(def)));
  if (!Number.isFinite(v) || v < 1)
    throw new Error(`${name} must be a positive number (got ${value(name, '')})`);
  return v;
};
const known = new Set([
  '--full',
  '--days',
  '--strategy',
  '--full-refit-every',
  '--extra-trees',
  '--workers',
  '--also-full',
  '--reuse-xgb',
  '--no-xgb',
  '--xgb-folds',
  '--report',
]);
for (const a of args) {
  if (a.startsWith('--') && !known.has(a)) {
    process.stderr.write(`unknown option ${a}; options: ${[...known].join(' ')}\n`);
    process.exit(2);
  }
}
const fullSeason = flag('--full');
const nDays = num('--days', 40);
const workers = num('--workers', availableParallelism());
const strategyName = value('--strategy', 'warm');
if (strategyName !== 'warm' && strategyName !== 'full') {
  process.stderr.write(`--strategy must be warm or full (got ${strategyName})\n`);
  process.exit(2);
}
const warm: WalkForwardStrategy = {
  warmStart: { fullRefitEveryDays: num('--full-refit-every', 7), extraTrees: num('--extra-trees', 30) },
};
const strategy: WalkForwardStrategy = strategyName === 'warm' ? warm : 'full';
const params: GbdtParamsInput = { nEstimators: 300, maxDepth: 6, learningRate: 0.05, maxBin: 256, seed: 0 };
const round = (x: number, d = 4): number => Number(x.toFixed(d));
const log = (msg: string): void => {
  process.stderr.write(`[walkforward] ${msg}\n`);
};

// ── data ────────────────────────────────────────────────────────────────────────────────
let t = performance.now();
const ds = ingestFiles({
  playerLogs: path.join(nba, 'player_game_logs_2015-16_to_2023-24.csv.gz'),
  ...(flag('--report') ? { lines: path.join(nba, 'pra_prop_odds_2023-24.csv.gz') } : {}),
});
const m = buildFeatures(ds.players, V3_ADVANCED);
const dates = m.keys.date;
const first = m.keys.season.indexOf(SEASON);
if (first < 0) throw new Error(`no ${SEASON}-${SEASON + 1 - 2000} rows in the player logs`);
const seasonDays = [...new Set(dates.subarray(first))];
const days = fullSeason ? seasonDays : seasonDays.slice(0, nDays);
const start = days[0]!;
const end = days.at(-1)!;
const nRows = dates.indexOf(end) + dates.subarray(dates.indexOf(end)).filter((d) => d === end).length;
log(
  `${V3_ADVANCED.name}: ${m.nRows.toLocaleString('en-US')} rows × ${m.nCols} in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
    `${days.length} fold days ${formatDay(start)} … ${formatDay(end)}, ${first.toLocaleString('en-US')} history rows, ${nRows.toLocaleString('en-US')} rows used`,
);
// every row after the last predicted day is dropped: neither side needs it
const X = sliceRows(m, 0, nRows);
const y = m.target.subarray(0, nRows);
const rowDates = dates.subarray(0, nRows);

// ── ours ────────────────────────────────────────────────────────────────────────────────
async function ours(s: WalkForwardStrategy, label: string): Promise<{ res: WalkForwardResult; mae: number }> {
  log(`ours (${label}, ${workers} workers) …`);
  let lastLog = performance.now();
  const res = await runWalkForward({
    X: X as { nRows: number; nCols: number; values: Float32Array; names: string[] },
    y,
    dates: rowDates,
    params,
    start,
    end,
    refitEveryDays: 1,
    workers,
    strategy: s,
    onFold: (r, done, total) => {
      if (done === total || performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${done}/${total} folds (last: ${formatDay(r.fold.foldDate)}, ${r.trainSeconds.toFixed(2)} s)`);
      }
    },
  });
  let abs = 0;
  for (let i = 0; i < res.pred.length; i++) abs += Math.abs(res.pred[i]! - y[res.valStart + i]!);
  const mae = abs / res.pred.length;
  log(`ours (${label}): ${res.folds.length} folds in ${res.seconds.toFixed(1)} s, MAE ${mae.toFixed(4)}`);
  return { res, mae };
}

t = performance.now();
const main = await ours(strategy, strategyName === 'warm' ? describe(warm) : 'full daily refits');
const alt = flag('--also-full') && strategyName === 'warm' ? await ours('full', 'full daily refits') : null;

function describe(s: WalkForwardStrategy): string {
  return s === 'full'
    ? 'full daily refits'
    : `warm starts: full refit every ${s.warmStart.fullRefitEveryDays} days, +${s.warmStart.extraTrees} trees daily`;
}

// ── XGBoost on the same rows and folds ──────────────────────────────────────────────────
/** Write the matrix in the layout of ../shared/bench/gbdt (row-major float32, meta.json). */
function exportMatrix(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const p = X.nCols;
  const rowMajor = new Float32Array(nRows * p);
  for (let c = 0; c < p; c++) {
    const col = X.values.subarray(c * nRows, (c + 1) * nRows);
    for (let r = 0; r < nRows; r++) rowMajor[r * p + c] = col[r]!;
  }
  const allDays = [...new Set(rowDates)];
  const dayIndex = new Map(allDays.map((d, i) => [d, i]));
  const dateIdx = Int32Array.from(rowDates, (d) => dayIndex.get(d)!);
  const offsets: number[] = [0];
  for (let r = 1; r <= nRows; r++) if (r === nRows || rowDates[r] !== rowDates[r - 1]) offsets.push(r);
  const files: Record<string, Uint8Array> = {
    'X.f32': new Uint8Array(rowMajor.buffer),
    'y.f32': new Uint8Array(Float32Array.from(y).buffer),
    'date_idx.i32': new Uint8Array(dateIdx.buffer),
  };
  const sha: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), bytes);
    sha[name] = createHash('sha256').update(bytes).digest('hex');
  }
  const nHistory = dayIndex.get(start)!;
  const meta = {
    n_rows: nRows,
    n_features: p,
    feature_names: X.names,
    dates: allDays.map(formatDay),
    date_offsets: offsets,
    n_history_dates: nHistory,
    n_season_dates: allDays.length - nHistory,
    sha256: sha,
  };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
  return createHash('sha256').update(JSON.stringify(sha)).digest('hex').slice(0, 16);
}

const dataDir = path.join(root, 'bench/.data/walkforward', fullSeason ? 'season' : `days${days.length}`);
const resultsDir = path.join(dataDir, 'results');
const xgbThreads = availableParallelism();
const xgbFoldsAsked = Math.min(num('--xgb-folds', days.length), days.length);
const xgbFolds = foldIndices(days.length, xgbFoldsAsked);
const xgbFile = path.join(resultsDir, `walkforward_xgb_nt${xgbThreads}_folds${xgbFolds.length}.json`);
const exportHash = exportMatrix(dataDir);
let xgb: { s: number; measured: number; mae: number; sameFoldsMae: number; version: string } | null = null;
if (!flag('--no-xgb')) {
  const stamp = path.join(resultsDir, 'export_hash.txt');
  if (flag('--reuse-xgb')) {
    if (!existsSync(xgbFile) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== exportHash) {
      throw new Error(`${xgbFile} is missing or was computed on other data; run without --reuse-xgb`);
    }
    log(`XGBoost: reusing ${xgbFile}`);
  } else {
    mkdirSync(resultsDir, { recursive: true });
    log(`XGBoost: naive loop, ${xgbFolds.length} of ${days.length} folds, nthread ${xgbThreads} …`);
    const r = spawnSync(
      python,
      [xgbScript, '--nthread', String(xgbThreads), '--folds', String(xgbFoldsAsked), '--repeats', '1'],
      {
        cwd: path.dirname(xgbScript),
        env: {
          ...process.env,
          OMP_NUM_THREADS: String(xgbThreads),
          GBDT_BENCH_DATA: dataDir,
          GBDT_BENCH_RESULTS: resultsDir,
        },
        stdio: ['ignore', 'inherit', 'pipe'],
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (r.status !== 0) {
      throw new Error(`bench_walkforward_xgb.py failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    }
    writeFileSync(stamp, exportHash);
  }
  const j = JSON.parse(readFileSync(xgbFile, 'utf8')) as {
    loop_total_s: { median: number };
    mae_over_predicted_rows: number;
    n_pred_rows: number;
    version: string;
    extrapolated_200_fold_total_s?: { mean_x_200: number; linear_fit: number };
  };
  const same = maeOnFolds(main.res, xgbFolds);
  if (j.n_pred_rows !== same.rows) {
    throw new Error(`XGBoost predicted ${j.n_pred_rows} rows, ours ${same.rows}: the folds differ`);
  }
  const subset = xgbFolds.length < days.length;
  // on a subset of the folds, the total is the script's own extrapolation: a least-squares
  // line of fold time against training rows, summed over every fold's training rows
  const total = subset ? j.extrapolated_200_fold_total_s!.linear_fit : j.loop_total_s.median;
  xgb = {
    s: total,
    measured: j.loop_total_s.median,
    mae: j.mae_over_predicted_rows,
    sameFoldsMae: same.mae,
    version: j.version,
  };
  log(
    `XGBoost ${j.version}: ${j.loop_total_s.median.toFixed(1)} s for ${xgbFolds.length} folds` +
      (subset ? ` (all ${days.length} folds, extrapolated: ${total.toFixed(1)} s)` : '') +
      `, MAE ${xgb.mae.toFixed(4)} (ours on the same folds ${same.mae.toFixed(4)})`,
  );
}

/** numpy's unique(round(linspace(0, S-1, k))): the folds the XGBoost script runs for `--folds k`. */
function foldIndices(S: number, k: number): number[] {
  if (k >= S) return Array.from({ length: S }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < k; i++) {
    const v = k === 1 ? 0 : (i * (S - 1)) / (k - 1);
    const f = Math.floor(v);
    const d = v - f;
    out.add(d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f); // numpy rounds half to even
  }
  return [...out].sort((a, b) => a - b);
}

/** Our MAE over the rows of some folds (by fold index). */
function maeOnFolds(res: WalkForwardResult, folds: number[]): { mae: number; rows: number } {
  let abs = 0;
  let rows = 0;
  for (const k of folds) {
    const r = res.folds[k]!;
    for (let i = 0; i < r.pred.length; i++) abs += Math.abs(r.pred[i]! - y[r.fold.testStart + i]!);
    rows += r.pred.length;
  }
  return { mae: abs / rows, rows };
}

// ── closing-note figures ────────────────────────────────────────────────────────────────
/**
 * Model vs last-10 on every game of a player with ≥ 1 prior game, and model vs the closing
 * line on the games with a line of players with ≥ 5 prior games. `season`: history counted
 * within the season (last-10 keyed by player + season; the issue's 6.128 and 6.175 use this);
 * `career`: over every earlier season too.
 */
function report(res: WalkForwardResult, fm: FeatureMatrix, consensus: ConsensusLines | undefined) {
  const { valStart, valEnd, pred } = res;
  const actual = fm.target;
  const lines = consensus ? linesForRows(fm, consensus) : null;
  const out: Record<string, number> = {};
  const scopes = {
    season: Int32Array.from(fm.keys.playerId, (p, r) => p * 100 + (fm.keys.season[r]! % 100)),
    career: fm.keys.playerId,
  };
  for (const [scope, group] of Object.entries(scopes)) {
    const l10 = lastNAverage(group, actual, 10);
    const prior = new Int32Array(fm.nRows);
    const seen = new Map<number, number>();
    for (let r = 0; r < fm.nRows; r++) {
      const k = seen.get(group[r]!) ?? 0;
      prior[r] = k;
      seen.set(group[r]!, k + 1);
    }
    const acc = { n1: 0, model1: 0, l10: 0, n5: 0, model5: 0, line: 0 };
    for (let r = valStart; r < valEnd; r++) {
      const e = Math.abs(pred[r - valStart]! - actual[r]!);
      if (prior[r]! >= 1) {
        acc.n1++;
        acc.model1 += e;
        acc.l10 += Math.abs(l10[r]! - actual[r]!);
      }
      const l = lines ? lines.line[r]! : Number.NaN;
      if (!Number.isNaN(l) && prior[r]! >= 5) {
        acc.n5++;
        acc.model5 += e;
        acc.line += Math.abs(l - actual[r]!);
      }
    }
    out[`report_${scope}_rows_prior1`] = acc.n1;
    out[`report_${scope}_model_mae`] = round(acc.model1 / acc.n1);
    out[`report_${scope}_last10_mae`] = round(acc.l10 / acc.n1);
    if (lines) {
      out[`report_${scope}_rows_with_line`] = acc.n5;
      out[`report_${scope}_model_mae_lined`] = round(acc.model5 / acc.n5);
      out[`report_${scope}_line_mae`] = round(acc.line / acc.n5);
    }
  }
  return out;
}

/** The predictions as CSV in bench/.results/walkforward/, to recompute figures without refitting. */
function writePredictions(res: WalkForwardResult, fm: FeatureMatrix, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const rows = ['game_id,player_id,date,fold,actual,pred'];
  for (let r = res.valStart; r < res.valEnd; r++) {
    const i = r - res.valStart;
    rows.push(
      `${fm.keys.gameId[r]},${fm.keys.playerId[r]},${formatDay(fm.keys.date[r]!)},${res.foldOfRow[i]},${fm.target[r]},${res.pred[i]}`,
    );
  }
  writeFileSync(file, `${rows.join('\n')}\n`);
  log(`predictions: ${file}`);
}

const reportFigures = flag('--report') ? report(main.res, m, ds.consensus) : {};
writePredictions(
  main.res,
  m,
  path.join(
    root,
    'bench/.results/walkforward',
    `predictions_${fullSeason ? 'season' : `days${days.length}`}_${strategyName}.csv`,
  ),
);
if (flag('--report')) log(`report: ${JSON.stringify(reportFigures)}`);

const line = {
  bench: 'walkforward',
  s: round(main.res.seconds, 2),
  xgb_s: xgb ? round(xgb.s, 2) : null,
  ratio: xgb ? round(main.res.seconds / xgb.s, 3) : null,
  mae: round(main.mae),
  xgb_mae: xgb ? round(xgb.mae) : null,
  folds: main.res.folds.length,
  ...(xgb && xgbFolds.length < days.length
    ? {
        xgb_folds_run: xgbFolds.length,
        xgb_s_measured: round(xgb.measured, 2),
        xgb_s_extrapolated: true,
        mae_on_xgb_folds: round(xgb.sameFoldsMae),
      }
    : {}),
  strategy: strategyName === 'warm' ? warm : 'full',
  workers,
  xgb_nthread: xgbThreads,
  predicted_rows: main.res.pred.length,
  train_rows_first_fold: main.res.folds[0]!.fold.trainRows,
  ...(alt
    ? {
        full_s: round(alt.res.seconds, 2),
        full_mae: round(alt.mae),
        warm_mae_cost: round(main.mae - alt.mae),
      }
    : {}),
  ...reportFigures,
  xgboost: xgb?.version ?? null,
  reused_xgb_result: flag('--reuse-xgb'),
  node: process.version,
  loadavg: loadavg().map((l) => round(l, 2)),
};
process.stdout.write(`${JSON.stringify(line)}\n`);
