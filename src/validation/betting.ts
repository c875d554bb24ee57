/**
 * Betting simulation at American odds: one unit on the over when the prediction clears the
 * line by the edge, one unit on the under when it falls short by the edge. A win pays the
 * price (−110 → +0.9091 units, +120 → +1.2), a loss costs the unit, a push (outcome exactly
 * on the line) returns it. ROI is profit per unit staked, so ROI, win rate and the prices are
 * tied together: at −110 throughout, ROI = win_rate × 1.9091 − 1 when there are no pushes.
 */
import { InvalidParameterError } from '../errors.js';

/** Units won per unit staked at American odds: +150 → 1.5, −110 → 0.9091. */
export function americanPayout(odds: number): number {
  if (!Number.isFinite(odds) || (odds > -100 && odds < 100)) {
    throw new InvalidParameterError(
      `American odds must be ≤ −100 or ≥ +100 (got ${odds}); e.g. −110 or +120.`,
    );
  }
  return odds > 0 ? odds / 100 : 100 / -odds;
}

/** The probability a price implies, vig included: 1 / (1 + payout) (0.5238 at −110). */
export function impliedProbability(odds: number): number {
  return 1 / (1 + americanPayout(odds));
}

export interface BetInput {
  pred: ArrayLike<number>;
  actual: ArrayLike<number>;
  /** The prop line; NaN = no line for the row (no bet). */
  line: ArrayLike<number>;
  /** American odds of each side; NaN = that side was not offered (no bet on it). */
  overOdds: ArrayLike<number>;
  underOdds: ArrayLike<number>;
  /** Bet only when |prediction − line| ≥ minEdge (points; ≥ 0). A prediction on the line is never bet. */
  minEdge: number;
}

export interface BetResult {
  n_bets: number;
  n_over: number;
  n_under: number;
  wins: number;
  losses: number;
  pushes: number;
  /** wins / (wins + losses); NaN without a decided bet. */
  win_rate: number;
  /** profit / units staked; NaN without bets. */
  roi: number;
  /** Units won (−1 per lost bet). */
  profit: number;
  /** Largest fall of cumulative profit from a previous peak, in units (≥ 0), in row order. */
  max_drawdown: number;
  /** Mean payout per unit over the bets placed. */
  avg_payout: number;
  /** The win rate at which the average price breaks even: 1 / (1 + avg_payout) (0.5238 at −110). */
  break_even_win_rate: number;
  /** Per row: +1 over, −1 under, 0 no bet. */
  side: Int8Array;
  /** Per row: the bet's profit in units (0 without a bet). */
  rowProfit: Float64Array;
}

/** Refuse inputs without one value per row or with a negative edge. */
function checkBetInput(input: BetInput): void {
  const { pred, actual, line, overOdds, underOdds, minEdge } = input;
  const n = pred.length;
  for (const [name, arr] of [
    ['actual', actual],
    ['line', line],
    ['overOdds', overOdds],
    ['underOdds', underOdds],
  ] as const) {
    if (arr.length !== n) {
      throw new InvalidParameterError(
        `simulateBets: ${name} has ${arr.length} rows but pred has ${n}; pass one value per row.`,
      );
    }
  }
  if (!Number.isFinite(minEdge) || minEdge < 0) {
    throw new InvalidParameterError(`simulateBets: minEdge must be a number ≥ 0 (got ${minEdge}).`);
  }
}

/** The running counts of a simulation. */
interface BetTally {
  wins: number;
  losses: number;
  pushes: number;
  nOver: number;
  nUnder: number;
  profit: number;
  drawdown: number;
  payoutSum: number;
}

/** The result's figures from the counts (rates NaN without bets). */
function summarizeBets(t: BetTally, side: Int8Array, rowProfit: Float64Array): BetResult {
  const nBets = t.nOver + t.nUnder;
  const avgPayout = nBets > 0 ? t.payoutSum / nBets : Number.NaN;
  return {
    n_bets: nBets,
    n_over: t.nOver,
    n_under: t.nUnder,
    wins: t.wins,
    losses: t.losses,
    pushes: t.pushes,
    win_rate: t.wins + t.losses > 0 ? t.wins / (t.wins + t.losses) : Number.NaN,
    roi: nBets > 0 ? t.profit / nBets : Number.NaN,
    profit: t.profit,
    max_drawdown: t.drawdown,
    avg_payout: avgPayout,
    break_even_win_rate: nBets > 0 ? 1 / (1 + avgPayout) : Number.NaN,
    side,
    rowProfit,
  };
}

/** Simulate one-unit bets row by row (rows in time order for the drawdown). */
export function simulateBets(input: BetInput): BetResult {
  checkBetInput(input);
  const { pred, actual, line, overOdds, underOdds, minEdge } = input;
  const n = pred.length;
  const side = new Int8Array(n);
  const rowProfit = new Float64Array(n);
  const t: BetTally = {
    wins: 0,
    losses: 0,
    pushes: 0,
    nOver: 0,
    nUnder: 0,
    profit: 0,
    drawdown: 0,
    payoutSum: 0,
  };
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const l = line[i]!;
    const p = pred[i]!;
    if (Number.isNaN(l) || Number.isNaN(p)) continue;
    const edge = p - l;
    let s = 0;
    if (edge > 0 && edge >= minEdge && !Number.isNaN(overOdds[i]!)) s = 1;
    else if (edge < 0 && -edge >= minEdge && !Number.isNaN(underOdds[i]!)) s = -1;
    if (s === 0) continue;
    const a = actual[i]!;
    if (!Number.isFinite(a)) {
      throw new InvalidParameterError(`simulateBets: row ${i} is bet but its outcome is ${a}.`);
    }
    const payout = americanPayout(s === 1 ? overOdds[i]! : underOdds[i]!);
    side[i] = s;
    t.payoutSum += payout;
    if (s === 1) t.nOver++;
    else t.nUnder++;
    let r: number;
    if (a === l) {
      r = 0;
      t.pushes++;
    } else if (a > l === (s === 1)) {
      r = payout;
      t.wins++;
    } else {
      r = -1;
      t.losses++;
    }
    rowProfit[i] = r;
    t.profit += r;
    if (t.profit > peak) peak = t.profit;
    if (peak - t.profit > t.drawdown) t.drawdown = peak - t.profit;
  }
  return summarizeBets(t, side, rowProfit);
}

export interface BootstrapOptions {
  /** Resamples (default 2000). */
  iterations?: number;
  /** Two-sided confidence level (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /**
   * One cluster id per bet (e.g. the game date): whole clusters are resampled, so bets on one
   * night, which move together, are not treated as independent. Default: each bet its own cluster.
   */
  clusters?: ArrayLike<number>;
}

/** mulberry32: a small seeded generator for the resampling. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile bootstrap interval of ROI from the per-bet profits (one entry per bet placed):
 * resample whole clusters (`options.clusters`, e.g. game dates; default single bets) with
 * replacement and take the quantiles of resampled profit / resampled bets.
 */
export function bootstrapRoi(
  betProfits: ArrayLike<number>,
  options: BootstrapOptions = {},
): { low: number; high: number } {
  const iterations = options.iterations ?? 2000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new InvalidParameterError(
      `bootstrapRoi: iterations must be a positive integer (got ${iterations}).`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new InvalidParameterError(`bootstrapRoi: level must be between 0 and 1 (got ${level}).`);
  }
  const n = betProfits.length;
  const clusters = options.clusters;
  if (clusters && clusters.length !== n) {
    throw new InvalidParameterError(
      `bootstrapRoi: clusters has ${clusters.length} entries but there are ${n} bets; pass one cluster id per bet.`,
    );
  }
  if (n === 0) return { low: Number.NaN, high: Number.NaN };
  // per cluster: profit sum and bet count
  const index = new Map<number, number>();
  const sums: number[] = [];
  const counts: number[] = [];
  for (let k = 0; k < n; k++) {
    const id = clusters ? clusters[k]! : k;
    let c = index.get(id);
    if (c === undefined) {
      c = sums.length;
      index.set(id, c);
      sums.push(0);
      counts.push(0);
    }
    sums[c]! += betProfits[k]!;
    counts[c]! += 1;
  }
  const m = sums.length;
  const rand = mulberry32(options.seed ?? 0);
  const means = new Float64Array(iterations);
  for (let b = 0; b < iterations; b++) {
    let s = 0;
    let c = 0;
    for (let k = 0; k < m; k++) {
      const j = Math.floor(rand() * m);
      s += sums[j]!;
      c += counts[j]!;
    }
    means[b] = s / c;
  }
  means.sort();
  const q = (p: number) => means[Math.min(iterations - 1, Math.max(0, Math.round(p * (iterations - 1))))]!;
  return { low: q((1 - level) / 2), high: q(1 - (1 - level) / 2) };
}
