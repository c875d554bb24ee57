/**
 * Betting at real quotes. Every bet is one book's quote: its line and its price for the side
 * taken, settled against that same line. Which quote is bet depends on the choice:
 *
 * - `consensus`: the consensus line (the quoted line nearest the median over books, see
 *   `consensusLine` in `data/`) at the best price among the books quoting it;
 * - `best_ev`: over every quote and side that clears the edge, the one of highest expected
 *   value under P(over) (a calibration, or a normal with the residual spread), bet only when
 *   that value is positive;
 * - `{ book }`: the named book's quote, no bet where it has none.
 *
 * The result names the choice that produced it, carries closing-line value per bet, and its
 * interval resamples game dates.
 */
import { errorFunction } from 'simple-statistics';
import { InvalidParameterError } from '../errors.js';
import { americanPayout, type BetResult, bootstrapRoi, impliedProbability, simulateBets } from './betting.js';

/** The quotes of each row, compressed: row r's quotes are `[offset[r], offset[r + 1])`. */
export interface RowQuotes {
  offset: Int32Array;
  book: string[];
  line: Float32Array;
  /** American odds; NaN = the book did not price that side. */
  overOdds: Float32Array;
  underOdds: Float32Array;
  /** The same book's closing quote; NaN when unknown. */
  closeLine: Float32Array;
  closeOverOdds: Float32Array;
  closeUnderOdds: Float32Array;
}

export type QuoteChoice = 'consensus' | 'best_ev' | { book: string };

export interface QuoteBetInput {
  pred: ArrayLike<number>;
  actual: ArrayLike<number>;
  /** Game date per row (days since 1970-01-01): the clusters of the bootstrap. */
  date: ArrayLike<number>;
  quotes: RowQuotes;
  /** Bet a side only when the prediction clears the quote's line by this much (points, ≥ 0). */
  minEdge: number;
  choice: QuoteChoice;
  /** P(outcome > line) for a prediction of row `row`; for `best_ev`. */
  pOver?: (pred: number, line: number, row: number) => number;
  /** Residual spread for a normal P(over) when `pOver` is not given (for `best_ev`). */
  sigma?: number;
  /**
   * Leave out quote sides that form a sure-win pair with another book's opposite side (an
   * over at line a and an under at line b ≥ a whose implied probabilities sum below 1): of the
   * pair, the side whose line is farther from the books' median (ties: the one paying more) is
   * taken for a feed error — such a price is not one a bookmaker pays out. Default true.
   */
  dropArbitrage?: boolean;
  /** Bootstrap resamples (default 2000) and seed (default 0). */
  iterations?: number;
  seed?: number;
}

export interface QuoteBetResult extends BetResult {
  /** What produced the figure: `consensus_line_best_price`, `best_ev` or `book:<name>`. */
  choice: string;
  /** Per row: the quote bet (NaN / '' without a bet). */
  betLine: Float32Array;
  betOdds: Float32Array;
  betBook: string[];
  /** Per row: closing-line value in points (closing line − bet line for an over, the reverse for an under). */
  clvPoints: Float64Array;
  /**
   * Per row: expected profit per unit of the bet's price at the closing no-vig probability of
   * the same side (only when the book closed at the same line with both prices).
   */
  clvPrice: Float64Array;
  /** Means over the bets where defined; NaN without any. */
  clv_points_mean: number;
  clv_price_mean: number;
  /** Share of bets whose line closed in their favour (closing line moved their way). */
  beat_close_rate: number;
  /** 95% percentile bootstrap of ROI resampling game dates. */
  roi_ci_low: number;
  roi_ci_high: number;
  n_dates: number;
  /** Quote sides left out as one half of a sure-win pair (see `dropArbitrage`). */
  n_quote_sides_dropped: number;
}

/** The label a choice is reported under. */
export function choiceLabel(choice: QuoteChoice): string {
  if (choice === 'consensus') return 'consensus_line_best_price';
  if (choice === 'best_ev') return 'best_ev';
  return `book:${choice.book}`;
}

/** P(outcome > line) for a normal centred on the prediction. */
export function normalPOver(sigma: number): (pred: number, line: number) => number {
  if (!(sigma > 0)) {
    throw new InvalidParameterError(`normalPOver: sigma must be > 0 (got ${sigma}).`);
  }
  return (pred, line) => 0.5 * (1 - errorFunction((line - pred) / (sigma * Math.SQRT2)));
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length;
  return k % 2 === 1 ? s[(k - 1) / 2]! : (s[k / 2 - 1]! + s[k / 2]!) / 2;
}

/** The lines of quotes [a, b). */
function rowLines(q: RowQuotes, a: number, b: number): number[] {
  return Array.from(q.line.subarray(a, b));
}

/** The quoted line nearest the median of a row's lines (ties: more books, then lower). */
function consensusOf(q: RowQuotes, a: number, b: number): number {
  const ls = rowLines(q, a, b);
  const mid = medianOf(ls);
  let best = Number.NaN;
  let bestCount = 0;
  for (const l of new Set(ls)) {
    const k = ls.filter((x) => x === l).length;
    const d = Number.isNaN(best) ? -1 : Math.abs(l - mid) - Math.abs(best - mid);
    if (d < -1e-9 || (Math.abs(d) <= 1e-9 && (k > bestCount || (k === bestCount && l < best)))) {
      best = l;
      bestCount = k;
    }
  }
  return best;
}

const better = (a: number, b: number) =>
  !Number.isNaN(a) && (Number.isNaN(b) || americanPayout(a) > americanPayout(b));

/** The chosen quote and side of one row, or null for no bet. */
function chooseQuote(
  q: RowQuotes,
  a: number,
  b: number,
  pred: number,
  row: number,
  input: QuoteBetInput,
  pOver: ((p: number, l: number, row: number) => number) | null,
): { j: number; side: 1 | -1 } | null {
  const { minEdge, choice } = input;
  if (choice === 'best_ev') {
    let best: { j: number; side: 1 | -1 } | null = null;
    let bestEv = 0;
    for (let j = a; j < b; j++) {
      const l = q.line[j]!;
      const edge = pred - l;
      const po = pOver!(pred, l, row);
      for (const side of [1, -1] as const) {
        const odds = side === 1 ? q.overOdds[j]! : q.underOdds[j]!;
        if (Number.isNaN(odds) || side * edge < minEdge || side * edge <= 0) continue;
        const p = side === 1 ? po : 1 - po;
        const ev = p * americanPayout(odds) - (1 - p);
        if (ev > bestEv) {
          bestEv = ev;
          best = { j, side };
        }
      }
    }
    return best;
  }
  let line: number;
  if (choice === 'consensus') line = consensusOf(q, a, b);
  else {
    let at = -1;
    for (let j = a; j < b; j++) if (q.book[j] === choice.book) at = j;
    if (at < 0) return null;
    line = q.line[at]!;
  }
  const edge = pred - line;
  const side: 1 | -1 = edge > 0 ? 1 : -1;
  if (edge === 0 || Math.abs(edge) < minEdge) return null;
  let best = -1;
  for (let j = a; j < b; j++) {
    if (q.line[j] !== line) continue;
    if (typeof choice === 'object' && q.book[j] !== choice.book) continue;
    const odds = side === 1 ? q.overOdds[j]! : q.underOdds[j]!;
    if (best < 0 ? !Number.isNaN(odds) : better(odds, side === 1 ? q.overOdds[best]! : q.underOdds[best]!))
      best = j;
  }
  return best < 0 ? null : { j: best, side };
}

/**
 * Quote sides that form a sure-win pair with another book's opposite side, blamed on the one
 * farther from the median line (ties: the one paying more). Returns masked copies of the odds.
 */
export function dropArbitrageQuotes(q: RowQuotes): {
  overOdds: Float32Array;
  underOdds: Float32Array;
  dropped: number;
} {
  const over = Float32Array.from(q.overOdds);
  const under = Float32Array.from(q.underOdds);
  let dropped = 0;
  const n = q.offset.length - 1;
  for (let r = 0; r < n; r++) {
    const a = q.offset[r]!;
    const b = q.offset[r + 1]!;
    if (b - a < 2) continue;
    const mid = medianOf(rowLines(q, a, b));
    for (let i = a; i < b; i++) {
      for (let k = a; k < b; k++) {
        if (i === k || q.book[i] === q.book[k]) continue;
        // over at line(i), under at line(k) ≥ line(i): one of them always wins
        const o = q.overOdds[i]!;
        const u = q.underOdds[k]!;
        if (Number.isNaN(o) || Number.isNaN(u) || q.line[k]! < q.line[i]!) continue;
        const po = impliedProbability(o);
        const pu = impliedProbability(u);
        if (po + pu >= 1) continue;
        const di = Math.abs(q.line[i]! - mid);
        const dk = Math.abs(q.line[k]! - mid);
        const blameOver = di > dk || (di === dk && americanPayout(o) >= americanPayout(u));
        if (blameOver && !Number.isNaN(over[i]!)) {
          over[i] = Number.NaN;
          dropped++;
        } else if (!blameOver && !Number.isNaN(under[k]!)) {
          under[k] = Number.NaN;
          dropped++;
        }
      }
    }
  }
  return { overOdds: over, underOdds: under, dropped };
}

/** Closing-line value of a bet on quote j and side: in points, and in price at the closing no-vig probability. */
function closingValue(q: RowQuotes, j: number, side: 1 | -1): { points: number; price: number } {
  const cl = q.closeLine[j]!;
  const points = Number.isNaN(cl) ? Number.NaN : side * (cl - q.line[j]!);
  let price = Number.NaN;
  const co = q.closeOverOdds[j]!;
  const cu = q.closeUnderOdds[j]!;
  if (cl === q.line[j] && !Number.isNaN(co) && !Number.isNaN(cu)) {
    const io = impliedProbability(co);
    const iu = impliedProbability(cu);
    const fair = (side === 1 ? io : iu) / (io + iu);
    price = fair * (1 + americanPayout(side === 1 ? q.overOdds[j]! : q.underOdds[j]!)) - 1;
  }
  return { points, price };
}

function checkInput(input: QuoteBetInput): void {
  const n = input.pred.length;
  const q = input.quotes;
  if (input.actual.length !== n || input.date.length !== n || q.offset.length !== n + 1) {
    throw new InvalidParameterError(
      `simulateQuoteBets: pred has ${n} rows, actual ${input.actual.length}, date ${input.date.length}, quotes ${q.offset.length - 1}; pass one per row.`,
    );
  }
  if (!Number.isFinite(input.minEdge) || input.minEdge < 0) {
    throw new InvalidParameterError(
      `simulateQuoteBets: minEdge must be a number ≥ 0 (got ${input.minEdge}).`,
    );
  }
  if (input.choice === 'best_ev' && !input.pOver && input.sigma === undefined) {
    throw new InvalidParameterError(
      "simulateQuoteBets: choice 'best_ev' needs pOver (a calibration) or sigma (the residual spread).",
    );
  }
}

const meanDefined = (xs: Float64Array, mask: Int8Array): number => {
  let s = 0;
  let k = 0;
  for (let i = 0; i < xs.length; i++) {
    if (mask[i] !== 0 && !Number.isNaN(xs[i]!)) {
      s += xs[i]!;
      k++;
    }
  }
  return k > 0 ? s / k : Number.NaN;
};

/** Bet real quotes row by row (rows in time order) and settle each against its own line. */
export function simulateQuoteBets(input: QuoteBetInput): QuoteBetResult {
  checkInput(input);
  const { pred, actual, date } = input;
  let q = input.quotes;
  let dropped = 0;
  if (input.dropArbitrage !== false) {
    const clean = dropArbitrageQuotes(q);
    q = { ...q, overOdds: clean.overOdds, underOdds: clean.underOdds };
    dropped = clean.dropped;
  }
  const n = pred.length;
  const pOver = input.choice === 'best_ev' ? (input.pOver ?? normalPOver(input.sigma!)) : null;
  const betLine = new Float32Array(n).fill(Number.NaN);
  const betOdds = new Float32Array(n).fill(Number.NaN);
  const over = new Float32Array(n).fill(Number.NaN);
  const under = new Float32Array(n).fill(Number.NaN);
  const betBook = new Array<string>(n).fill('');
  const clvPoints = new Float64Array(n).fill(Number.NaN);
  const clvPrice = new Float64Array(n).fill(Number.NaN);
  for (let r = 0; r < n; r++) {
    const a = q.offset[r]!;
    const b = q.offset[r + 1]!;
    if (a === b || Number.isNaN(pred[r]!)) continue;
    const pick = chooseQuote(q, a, b, pred[r]!, r, input, pOver);
    if (!pick) continue;
    const { j, side } = pick;
    betLine[r] = q.line[j]!;
    betBook[r] = q.book[j]!;
    betOdds[r] = side === 1 ? q.overOdds[j]! : q.underOdds[j]!;
    if (side === 1) over[r] = betOdds[r]!;
    else under[r] = betOdds[r]!;
    const cv = closingValue(q, j, side);
    clvPoints[r] = cv.points;
    clvPrice[r] = cv.price;
  }
  // the chosen quote alone, offered on its side only: the plain simulation settles it
  const base = simulateBets({
    pred,
    actual,
    line: betLine,
    overOdds: over,
    underOdds: under,
    minEdge: input.minEdge,
  });
  const profits: number[] = [];
  const dates: number[] = [];
  let beat = 0;
  let withClose = 0;
  for (let r = 0; r < n; r++) {
    if (base.side[r] === 0) continue;
    profits.push(base.rowProfit[r]!);
    dates.push(date[r]!);
    if (!Number.isNaN(clvPoints[r]!)) {
      withClose++;
      if (clvPoints[r]! > 0) beat++;
    }
  }
  const ci = bootstrapRoi(profits, {
    clusters: dates,
    iterations: input.iterations ?? 2000,
    seed: input.seed ?? 0,
  });
  return {
    ...base,
    choice: choiceLabel(input.choice),
    betLine,
    betOdds,
    betBook,
    clvPoints,
    clvPrice,
    clv_points_mean: meanDefined(clvPoints, base.side),
    clv_price_mean: meanDefined(clvPrice, base.side),
    beat_close_rate: withClose > 0 ? beat / withClose : Number.NaN,
    roi_ci_low: ci.low,
    roi_ci_high: ci.high,
    n_dates: new Set(dates).size,
    n_quote_sides_dropped: dropped,
  };
}
