/**
 * Model quality on the real NBA data: a weekly walk-forward over one season, trained on every
 * earlier game (from 2015-16), with the figures of the quality report.
 *
 *   npm run bench -- quality [--season 2023] [--set v3_advanced] [--loss huber]
 *     [--huber-quantile 0.5] [--trees 300] [--lr 0.05] [--depth 6] [--leaves 0]
 *     [--refit-days 7] [--data /work/shared/data/nba] [--out bench/.results/quality] [--no-report]
 *
 * `--season` is the start year of the validated season (2023 = 2023-24). Choose settings on an
 * earlier season (`--season 2022`, trained up to 2021-22) and run 2023-24 once with them.
 * Writes `<out>/<tag>/{figures.json,validation_report.md,*.png,predictions.csv}`; the last
 * stdout line is one JSON object with the figures.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPng } from '../src/charts/index.js';
import { ingestFiles } from '../src/data/index.js';
import { buildFeatures, getFeatureSet, linesForRows, quotesForRows } from '../src/features/index.js';
import {
  BinnedMatrix,
  type GbdtParamsInput,
  type Loss,
  lastNAverage,
  seasonToDateAverage,
  sliceRows,
  trainGbdt,
} from '../src/models/index.js';
import { qualityReport, simulateBets, simulateQuoteBets } from '../src/validation/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const season = Number(arg('--season', '2023'));
const setName = arg('--set', 'v3_advanced');
const loss = arg('--loss', 'huber') as Loss;
const huberQuantile = Number(arg('--huber-quantile', '0.5'));
const trees = Number(arg('--trees', '300'));
const lr = Number(arg('--lr', '0.05'));
const depth = Number(arg('--depth', '6'));
const leaves = Number(arg('--leaves', '0'));
const refitDays = Number(arg('--refit-days', '7'));
const dataDir = path.resolve(root, arg('--data', '/work/shared/data/nba'));
const outRoot = path.resolve(root, arg('--out', 'bench/.results/quality'));
const writeReport = !args.includes('--no-report');
/** Re-score the predictions of an earlier run (its predictions.csv) instead of fitting. */
const fromPredictions = arg('--from-predictions', '');
const log = (msg: string): void => {
  process.stderr.write(`[quality] ${msg}\n`);
};

const t0 = performance.now();
const ds = ingestFiles({
  playerLogs: path.join(dataDir, 'player_game_logs_2015-16_to_2023-24.csv.gz'),
  teamLogs: path.join(dataDir, 'team_game_logs_2014-15_to_2023-24.csv.gz'),
  lines: path.join(dataDir, 'pra_prop_odds_2023-24.csv.gz'),
});
const set = getFeatureSet(setName);
const m = buildFeatures(ds.players, set, ds.consensus ? { lines: ds.consensus } : {});
log(
  `data and ${set.name} features: ${m.nRows} rows × ${m.nCols} in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
);

// rows of the validated season and the rows before it
const seasonOf = m.keys.season;
let valStart = 0;
while (valStart < m.nRows && seasonOf[valStart]! < season) valStart++;
let valEnd = valStart;
while (valEnd < m.nRows && seasonOf[valEnd]! === season) valEnd++;
if (valStart === 0 || valEnd === valStart)
  throw new Error(`no rows of season ${season} after earlier seasons`);
const y = m.target;
const dates = m.keys.date;

// weekly folds from the first game date of the season: train on every earlier row
const params: GbdtParamsInput = {
  loss,
  nEstimators: trees,
  learningRate: lr,
  maxDepth: depth,
  numLeaves: leaves,
  ...(leaves > 0 ? { growPolicy: 'lossguide' as const } : {}),
  ...(loss === 'huber' ? { huberDelta: 'auto' as const, huberQuantile } : {}),
  minChildSamples: 20,
  seed: 0,
};
const X = { nRows: m.nRows, nCols: m.nCols, values: m.values, names: m.names };
const binned = new BinnedMatrix(X);
const pred = new Float64Array(valEnd - valStart);
const tWalk = performance.now();
let lo = valStart;
let folds = 0;
if (fromPredictions) {
  const rows = readFileSync(fromPredictions, 'utf8').trim().split('\n').slice(1);
  if (rows.length !== pred.length)
    throw new Error(`${fromPredictions}: ${rows.length} rows, expected ${pred.length}`);
  rows.forEach((r, k) => {
    const c = r.split(',');
    if (c[1] !== m.keys.gameId[valStart + k] || Number(c[2]) !== m.keys.playerId[valStart + k])
      throw new Error(`${fromPredictions}: row ${k + 1} is not the same player-game`);
    pred[k] = Number(c[4]);
  });
  folds = Number(
    JSON.parse(readFileSync(path.join(path.dirname(fromPredictions), 'figures.json'), 'utf8')).folds,
  );
  lo = valEnd;
}
while (lo < valEnd) {
  const until = dates[lo]! + refitDays;
  let hi = lo;
  while (hi < valEnd && dates[hi]! < until) hi++;
  const model = trainGbdt(binned, y, params, { rows: lo });
  pred.set(model.predict(sliceRows(X, lo, hi)), lo - valStart);
  folds++;
  log(
    `fold ${folds}: ${new Date(dates[lo]! * 86_400_000).toISOString().slice(0, 10)} trained on ${lo} rows, ${hi - lo} predictions`,
  );
  lo = hi;
}
const walkSeconds = (performance.now() - tWalk) / 1000;

// baselines and prior games (from every earlier row: the history is the whole table)
const l10 = lastNAverage(m.keys.playerId, y, 10);
const seasonKey = Array.from({ length: m.nRows }, (_, i) => `${m.keys.playerId[i]}|${seasonOf[i]}`);
const std = seasonToDateAverage(seasonKey, y);
const prior = new Int32Array(m.nRows);
{
  const count = new Map<number, number>();
  for (let i = 0; i < m.nRows; i++) {
    const p = m.keys.playerId[i]!;
    prior[i] = count.get(p) ?? 0;
    count.set(p, prior[i]! + 1);
  }
}
// the residual spread for P(over): the last-10 average's RMSE on the season before (known before it)
let sq = 0;
let ns = 0;
for (let i = 0; i < valStart; i++) {
  if (seasonOf[i] === season - 1 && !Number.isNaN(l10[i]!)) {
    sq += (l10[i]! - y[i]!) ** 2;
    ns++;
  }
}
const sigma = Math.sqrt(sq / ns);

const v = <T extends { subarray(a: number, b: number): T }>(a: T): T => a.subarray(valStart, valEnd);
const valKeys = {
  nRows: valEnd - valStart,
  keys: { gameId: m.keys.gameId.slice(valStart, valEnd), playerId: v(m.keys.playerId) },
};
const quotes = ds.lines ? quotesForRows(valKeys, ds.lines) : undefined;
const cons = ds.consensus ? linesForRows(valKeys, ds.consensus) : undefined;
const seasonAvg = Float64Array.from(v(std), (s, k) => (Number.isNaN(s) ? l10[valStart + k]! : s));
const inputs = {
  title: `${season}-${String((season + 1) % 100).padStart(2, '0')}, ${set.name}, ${loss}${loss === 'huber' ? ` (δ = q${huberQuantile} of |residual|)` : ''}, ${trees} trees, refit every ${refitDays} days`,
  date: v(dates),
  actual: v(y),
  pred,
  minutes: v(m.minutes),
  priorGames: v(prior),
  baselines: { last_10_average: v(l10), season_average: seasonAvg },
  sigma,
  ...(quotes ? { quotes } : {}),
  ...(cons
    ? { closeLine: cons.closeLine, line: cons.line, overOdds: cons.overOdds, underOdds: cons.underOdds }
    : {}),
};
const report = qualityReport(inputs);
const overall = report.tables['overall']!;
const lineSubset = report.tables['line_subset'] ?? [];
const edge1 = quotes
  ? simulateQuoteBets({ pred, actual: v(y), date: v(dates), quotes, minEdge: 1, choice: 'consensus' })
  : undefined;
// the old rule, for comparison only: the median line (quoted or not) at the best price of ANY book
const oldRule = (() => {
  if (!quotes || !ds.consensus) return null;
  const n = pred.length;
  const line = Float32Array.from(cons!.line);
  const over = new Float32Array(n).fill(Number.NaN);
  const under = new Float32Array(n).fill(Number.NaN);
  const median = ds.consensus.medianLine;
  const at = new Map<string, number>();
  for (let j = 0; j < ds.consensus.n; j++) at.set(`${ds.consensus.gameId[j]}|${ds.consensus.playerId[j]}`, j);
  const pay = (o: number) => (o > 0 ? o / 100 : 100 / -o);
  for (let r = 0; r < n; r++) {
    const j = at.get(`${valKeys.keys.gameId[r]}|${valKeys.keys.playerId[r]}`);
    if (j === undefined || !median) continue;
    line[r] = median[j]!;
    for (let q = quotes.offset[r]!; q < quotes.offset[r + 1]!; q++) {
      const o = quotes.overOdds[q]!;
      const u = quotes.underOdds[q]!;
      if (!Number.isNaN(o) && (Number.isNaN(over[r]!) || pay(o) > pay(over[r]!))) over[r] = o;
      if (!Number.isNaN(u) && (Number.isNaN(under[r]!) || pay(u) > pay(under[r]!))) under[r] = u;
    }
  }
  const b = simulateBets({ pred, actual: v(y), line, overOdds: over, underOdds: under, minEdge: 1 });
  return { n_bets: b.n_bets, win_rate: b.win_rate, roi: b.roi, pushes: b.pushes };
})();
const tag = `${season}_${set.name}_${loss}${loss === 'huber' ? `q${huberQuantile}` : ''}_t${trees}_r${refitDays}`;
const out = path.join(outRoot, tag);
mkdirSync(out, { recursive: true });
const figures = {
  season,
  feature_set: set.name,
  params,
  refit_days: refitDays,
  folds,
  walk_seconds: fromPredictions
    ? JSON.parse(readFileSync(path.join(path.dirname(fromPredictions), 'figures.json'), 'utf8')).walk_seconds
    : Number(walkSeconds.toFixed(1)),
  rescored_from: fromPredictions || undefined,
  sigma: Number(sigma.toFixed(3)),
  overall_mae: overall.find((r) => r['predictor'] === 'model')!['mae'],
  overall_n: overall.find((r) => r['predictor'] === 'model')!['n'],
  last10_mae: overall.find((r) => r['predictor'] === 'last_10_average')!['mae'],
  season_avg_mae: overall.find((r) => r['predictor'] === 'season_average')!['mae'],
  line_subset_n: lineSubset[0]?.['n'],
  line_subset_model_mae: lineSubset[0]?.['mae'],
  line_subset_line_mae: lineSubset[1]?.['mae'],
  roi_edge1_consensus: edge1
    ? {
        n_bets: edge1.n_bets,
        win_rate: edge1.win_rate,
        roi: edge1.roi,
        ci: [edge1.roi_ci_low, edge1.roi_ci_high],
        clv_points: edge1.clv_points_mean,
        quote_sides_dropped: edge1.n_quote_sides_dropped,
      }
    : null,
  roi_edge1_old_median_any_book_price: oldRule,
};
writeFileSync(path.join(out, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
const csv = ['date,game_id,player_id,actual,prediction,prior_games'];
for (let k = 0; k < pred.length; k++) {
  const i = valStart + k;
  csv.push(
    `${dates[i]},${m.keys.gameId[i]},${m.keys.playerId[i]},${y[i]},${pred[k]!.toFixed(3)},${prior[i]}`,
  );
}
writeFileSync(path.join(out, 'predictions.csv'), `${csv.join('\n')}\n`);
if (writeReport) {
  writeFileSync(path.join(out, 'validation_report.md'), report.markdown);
  for (const [name, spec] of Object.entries(report.charts)) {
    writeFileSync(path.join(out, `${name}.png`), await renderPng(spec as never));
  }
}
log(`wrote ${out}`);
process.stdout.write(`${JSON.stringify(figures)}\n`);
