/**
 * The validation quality report as a pure function: tables, a markdown text people read, and
 * the same figures as vega-lite specs (rendered to PNG by `charts/`, by the caller).
 *
 * - overall MAE against the baselines (rows of players with ≥ 1 prior game);
 * - the line subset (rows with a line, players with ≥ `minPriorForLines` prior games): the
 *   model against the closing line as a predictor;
 * - MAE by minutes played and by month;
 * - betting by edge threshold at real quotes, with date-clustered 95% intervals and CLV;
 * - calibration of P(over the consensus line): reliability table and Brier score (and the
 *   market's own, from its no-vig prices, where there are prices).
 */
import { InvalidParameterError } from '../errors.js';
import { impliedProbability } from './betting.js';
import { normalPOver, type QuoteChoice, type RowQuotes, simulateQuoteBets } from './quotes.js';

/** A vega-lite spec (kept as plain JSON here: `validation/` does not draw). */
export type VegaLiteSpec = Record<string, unknown>;

export interface QualityInputs {
  /** What was validated, e.g. `2023-24, v3_advanced, huber, weekly refits`. */
  title: string;
  /** Per validation row, in time order. */
  date: ArrayLike<number>;
  actual: ArrayLike<number>;
  pred: ArrayLike<number>;
  /** Minutes the player played in the game (for the buckets). */
  minutes: ArrayLike<number>;
  /** The player's games before this one. */
  priorGames: ArrayLike<number>;
  /** Baseline predictions by name (NaN = none; such rows are left out of that baseline's MAE). */
  baselines: Record<string, ArrayLike<number>>;
  /** Every book's quote of each row (absent: no line figures, no betting). */
  quotes?: RowQuotes;
  /** The closing consensus line per row (NaN = none): the market as a predictor. */
  closeLine?: ArrayLike<number>;
  /** The line P(over) is judged against per row (the bet's consensus line; NaN = none). */
  line?: ArrayLike<number>;
  /** Consensus prices at `line` (for the market's no-vig P(over)). */
  overOdds?: ArrayLike<number>;
  underOdds?: ArrayLike<number>;
  /** P(actual > line) per row from the model (calibrated); default a normal with `sigma`. */
  pOver?: ArrayLike<number>;
  /** Residual spread for the normal P(over) and for `best_ev` bets. */
  sigma: number;
  /** Edge thresholds (points) of the betting table (default 0.5, 1, 2, 3, 4). */
  edges?: number[];
  /** How quotes are chosen (default consensus and best_ev). */
  choices?: QuoteChoice[];
  minPriorForLines?: number;
  /** Bootstrap resamples (default 2000). */
  iterations?: number;
}

export interface QualityReport {
  markdown: string;
  tables: Record<string, Array<Record<string, number | string>>>;
  charts: Record<string, VegaLiteSpec>;
}

const MINUTES_BUCKETS: Array<[number, number]> = [
  [0, 10],
  [10, 20],
  [20, 30],
  [30, 40],
  [40, 99],
];

interface Acc {
  n: number;
  abs: number;
  sq: number;
  bias: number;
}
const acc = (): Acc => ({ n: 0, abs: 0, sq: 0, bias: 0 });
function add(a: Acc, p: number, y: number): void {
  if (Number.isNaN(p)) return;
  a.n++;
  a.abs += Math.abs(p - y);
  a.sq += (p - y) ** 2;
  a.bias += p - y;
}
const maeOf = (a: Acc) => (a.n > 0 ? a.abs / a.n : Number.NaN);

function round(x: number, d = 4): number {
  return Number.isFinite(x) ? Number(x.toFixed(d)) : Number.NaN;
}

function monthOf(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 7);
}

function checkInputs(inp: QualityInputs): void {
  const n = inp.pred.length;
  const cols: Array<[string, ArrayLike<number> | undefined]> = [
    ['date', inp.date],
    ['actual', inp.actual],
    ['minutes', inp.minutes],
    ['priorGames', inp.priorGames],
    ['closeLine', inp.closeLine],
    ['line', inp.line],
    ['pOver', inp.pOver],
    ...Object.entries(inp.baselines),
  ];
  for (const [name, col] of cols) {
    if (col && col.length !== n) {
      throw new InvalidParameterError(
        `qualityReport: ${name} has ${col.length} rows but pred has ${n}; pass one value per validation row.`,
      );
    }
  }
  if (!(inp.sigma > 0))
    throw new InvalidParameterError(`qualityReport: sigma must be > 0 (got ${inp.sigma}).`);
}

/** MAE of the model and each baseline over the rows `keep` selects. */
function maeRows(inp: QualityInputs, keep: (i: number) => boolean) {
  const names = ['model', ...Object.keys(inp.baselines)];
  const accs = names.map(() => acc());
  for (let i = 0; i < inp.pred.length; i++) {
    if (!keep(i)) continue;
    const y = inp.actual[i]!;
    add(accs[0]!, inp.pred[i]!, y);
    for (let k = 1; k < names.length; k++) add(accs[k]!, inp.baselines[names[k]!]![i]!, y);
  }
  return names.map((name, k) => {
    const a = accs[k]!;
    return {
      predictor: name,
      n: a.n,
      mae: round(maeOf(a)),
      rmse: round(Math.sqrt(a.sq / a.n)),
      bias: round(a.bias / a.n),
    };
  });
}

function lineSubset(inp: QualityInputs) {
  const minPrior = inp.minPriorForLines ?? 5;
  const m = acc();
  const l = acc();
  const close = inp.closeLine!;
  for (let i = 0; i < inp.pred.length; i++) {
    if (Number.isNaN(close[i]!) || inp.priorGames[i]! < minPrior || Number.isNaN(inp.pred[i]!)) continue;
    add(m, inp.pred[i]!, inp.actual[i]!);
    add(l, close[i]!, inp.actual[i]!);
  }
  return [
    { predictor: 'model', n: m.n, mae: round(maeOf(m)) },
    { predictor: 'closing_line', n: l.n, mae: round(maeOf(l)) },
  ];
}

function segmentTable(inp: QualityInputs, segOf: (i: number) => string | null, order: string[]) {
  const first = Object.keys(inp.baselines)[0];
  const segs = new Map<string, { m: Acc; b: Acc }>();
  for (let i = 0; i < inp.pred.length; i++) {
    if (inp.priorGames[i]! < 1) continue;
    const s = segOf(i);
    if (s === null) continue;
    let e = segs.get(s);
    if (!e) {
      e = { m: acc(), b: acc() };
      segs.set(s, e);
    }
    add(e.m, inp.pred[i]!, inp.actual[i]!);
    if (first) add(e.b, inp.baselines[first]![i]!, inp.actual[i]!);
  }
  const keys = order.length ? order.filter((k) => segs.has(k)) : [...segs.keys()].sort();
  return keys.map((k) => ({
    segment: k,
    n: segs.get(k)!.m.n,
    model_mae: round(maeOf(segs.get(k)!.m)),
    [`${first ?? 'baseline'}_mae`]: round(maeOf(segs.get(k)!.b)),
  }));
}

function bettingTable(inp: QualityInputs) {
  const q = inp.quotes!;
  // best_ev needs P(over) at every quote's line: the normal with the residual spread
  const normal = normalPOver(inp.sigma);
  const pOver = (p: number, l: number) => normal(p, l);
  const rows: Array<Record<string, number | string>> = [];
  for (const choice of inp.choices ?? (['consensus', 'best_ev'] as QuoteChoice[])) {
    for (const edge of inp.edges ?? [0.5, 1, 2, 3, 4]) {
      const r = simulateQuoteBets({
        pred: inp.pred,
        actual: inp.actual,
        date: inp.date,
        quotes: q,
        minEdge: edge,
        choice,
        pOver,
        iterations: inp.iterations ?? 2000,
      });
      rows.push({
        choice: r.choice,
        min_edge: edge,
        n_bets: r.n_bets,
        n_dates: r.n_dates,
        win_rate: round(r.win_rate),
        break_even: round(r.break_even_win_rate),
        roi: round(r.roi),
        roi_ci_low: round(r.roi_ci_low),
        roi_ci_high: round(r.roi_ci_high),
        clv_points: round(r.clv_points_mean),
        clv_price: round(r.clv_price_mean),
      });
    }
  }
  return rows;
}

/** Market P(over) from no-vig consensus prices (NaN without both prices). */
function marketPOver(o: number, u: number): number {
  if (Number.isNaN(o) || Number.isNaN(u)) return Number.NaN;
  const io = impliedProbability(o);
  const iu = impliedProbability(u);
  return io / (io + iu);
}

function calibration(inp: QualityInputs) {
  const line = inp.line!;
  const normal = normalPOver(inp.sigma);
  const bins = Array.from({ length: 10 }, () => ({ n: 0, p: 0, hit: 0 }));
  let brier = 0;
  let mBrier = 0;
  let nB = 0;
  let nM = 0;
  for (let i = 0; i < inp.pred.length; i++) {
    const l = line[i]!;
    const y = inp.actual[i]!;
    if (Number.isNaN(l) || Number.isNaN(inp.pred[i]!) || y === l) continue;
    const p = inp.pOver ? inp.pOver[i]! : normal(inp.pred[i]!, l);
    if (Number.isNaN(p)) continue; // no probability for this row (e.g. no calibration history yet)
    const o = y > l ? 1 : 0;
    const b = bins[Math.min(9, Math.floor(p * 10))]!;
    b.n++;
    b.p += p;
    b.hit += o;
    brier += (p - o) ** 2;
    nB++;
    if (inp.overOdds && inp.underOdds) {
      const mp = marketPOver(inp.overOdds[i]!, inp.underOdds[i]!);
      if (!Number.isNaN(mp)) {
        mBrier += (mp - o) ** 2;
        nM++;
      }
    }
  }
  const table = bins
    .map((b, k) => ({
      bin: `${(k / 10).toFixed(1)}–${((k + 1) / 10).toFixed(1)}`,
      n: b.n,
      mean_p_over: round(b.n ? b.p / b.n : Number.NaN),
      observed_over: round(b.n ? b.hit / b.n : Number.NaN),
    }))
    .filter((r) => r.n > 0);
  return {
    table,
    brier: round(nB ? brier / nB : Number.NaN),
    marketBrier: round(nM ? mBrier / nM : Number.NaN),
    n: nB,
  };
}

function mdTable(rows: Array<Record<string, number | string>>): string {
  if (rows.length === 0) return '_(no rows)_\n';
  const cols = Object.keys(rows[0]!);
  const fmt = (v: number | string | undefined) =>
    typeof v === 'number' ? (Number.isNaN(v) ? '–' : String(v)) : (v ?? '');
  return [
    `| ${cols.join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => fmt(r[c])).join(' | ')} |`),
    '',
  ].join('\n');
}

const width = 520;
const height = 260;

function barChart(
  title: string,
  rows: Array<Record<string, number | string>>,
  x: string,
  series: string[],
): VegaLiteSpec {
  const data = rows.flatMap((r) =>
    series.map((s) => ({ [x]: r[x], predictor: s.replace(/_mae$/, ''), mae: r[s] })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width,
    height,
    data: { values: data },
    mark: 'bar',
    encoding: {
      x: { field: x, type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'predictor' },
      y: { field: 'mae', type: 'quantitative', title: 'MAE (PRA points)' },
      color: { field: 'predictor', type: 'nominal', title: 'predictor' },
    },
  };
}

function roiChart(rows: Array<Record<string, number | string>>): VegaLiteSpec {
  const data = rows.filter((r) => (r['n_bets'] as number) > 0);
  const enc = {
    x: { field: 'min_edge', type: 'ordinal', title: 'minimum edge (points)', axis: { labelAngle: 0 } },
    xOffset: { field: 'choice' },
    color: { field: 'choice', type: 'nominal', title: 'quote choice' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'ROI at real quotes by edge threshold (95% CI resampling game dates)',
    width,
    height,
    data: { values: data },
    layer: [
      { mark: { type: 'rule', color: '#888' }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          ...enc,
          y: {
            field: 'roi_ci_low',
            type: 'quantitative',
            title: 'ROI per unit staked',
            axis: { format: '%' },
          },
          y2: { field: 'roi_ci_high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { ...enc, y: { field: 'roi', type: 'quantitative' } },
      },
    ],
  };
}

function reliabilityChart(rows: Array<Record<string, number | string>>, brier: number): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Calibration of P(over the line) (Brier ${brier})`,
    width: 360,
    height: 360,
    layer: [
      {
        data: {
          values: [
            { p: 0, o: 0 },
            { p: 1, o: 1 },
          ],
        },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
        encoding: { x: { field: 'p', type: 'quantitative' }, y: { field: 'o', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'mean_p_over',
            type: 'quantitative',
            title: 'predicted P(over)',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'observed_over',
            type: 'quantitative',
            title: 'observed over rate',
            scale: { domain: [0, 1] },
          },
          tooltip: [{ field: 'n', type: 'quantitative' }],
        },
      },
    ],
  };
}

/** The report: tables, markdown and vega-lite specs, from validation predictions alone. */
export function qualityReport(inp: QualityInputs): QualityReport {
  checkInputs(inp);
  const first = Object.keys(inp.baselines)[0] ?? 'baseline';
  const tables: QualityReport['tables'] = {};
  const charts: QualityReport['charts'] = {};
  tables['overall'] = maeRows(inp, (i) => inp.priorGames[i]! >= 1);
  const bucketNames = MINUTES_BUCKETS.map(([a, b]) => (b >= 99 ? `${a}+ min` : `${a}-${b} min`));
  tables['by_minutes'] = segmentTable(
    inp,
    (i) => {
      const k = MINUTES_BUCKETS.findIndex(([a, b]) => inp.minutes[i]! >= a && inp.minutes[i]! < b);
      return k < 0 ? null : bucketNames[k]!;
    },
    bucketNames,
  );
  tables['by_month'] = segmentTable(inp, (i) => monthOf(inp.date[i]!), []);
  charts['mae_by_minutes'] = barChart('MAE by minutes played', tables['by_minutes'], 'segment', [
    'model_mae',
    `${first}_mae`,
  ]);
  charts['mae_by_month'] = barChart('MAE by month', tables['by_month'], 'segment', [
    'model_mae',
    `${first}_mae`,
  ]);
  const parts = [
    `# Validation report: ${inp.title}\n`,
    '## Overall (players with ≥ 1 prior game)\n',
    mdTable(tables['overall']),
  ];
  if (inp.closeLine) {
    tables['line_subset'] = lineSubset(inp);
    parts.push(
      `## Games with a closing line (players with ≥ ${inp.minPriorForLines ?? 5} prior games)\n`,
      mdTable(tables['line_subset']),
    );
  }
  parts.push(
    '## MAE by minutes played\n',
    mdTable(tables['by_minutes']),
    '## MAE by month\n',
    mdTable(tables['by_month']),
  );
  if (inp.quotes) {
    tables['betting'] = bettingTable(inp);
    charts['roi_by_edge'] = roiChart(tables['betting']);
    parts.push(
      '## Betting at real quotes\n',
      "Every bet is one book's line at that book's price, settled at that line; `consensus_line_best_price` bets the quoted line nearest the books' median at the best price among books quoting it, `best_ev` the quote of highest expected value. ROI intervals are 95% percentile bootstraps resampling game dates. CLV: closing line minus bet line for an over (reverse for an under), and expected profit at the closing no-vig price.\n",
      mdTable(tables['betting']),
    );
  }
  if (inp.line) {
    const cal = calibration(inp);
    tables['calibration'] = cal.table;
    charts['calibration'] = reliabilityChart(cal.table, cal.brier);
    parts.push(
      '## Calibration of P(over the consensus line)\n',
      `Brier score ${cal.brier} over ${cal.n} games${Number.isNaN(cal.marketBrier) ? '' : ` (the market's no-vig prices: ${cal.marketBrier})`}.\n`,
      mdTable(cal.table),
    );
  }
  return { markdown: parts.join('\n'), tables, charts };
}
