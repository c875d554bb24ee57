import { describe, expect, it } from 'vitest';
import { consensusLines, type PropLines } from '../data/index.js';
import { linesForRows, quotesForRows } from '../features/index.js';
import {
  americanPayout,
  bootstrapRoi,
  type QuoteBetInput,
  type QuoteChoice,
  type RowQuotes,
  simulateBets,
  simulateQuoteBets,
} from './index.js';

/** A lines table from quotes `[game, player, book, line, over, under, closeLine?]`, sorted as readPropLines sorts. */
function table(rows: Array<[string, number, string, number, number, number, number?]>): PropLines {
  const n = rows.length;
  return {
    n,
    date: Int32Array.from(rows.map(() => 19_000)),
    gameId: rows.map((r) => r[0]),
    playerId: Int32Array.from(rows.map((r) => r[1])),
    playerName: rows.map((r) => `p${r[1]}`),
    market: rows.map(() => 'PRA'),
    book: rows.map((r) => r[2]),
    line: Float32Array.from(rows.map((r) => r[3])),
    overOdds: Float32Array.from(rows.map((r) => r[4])),
    underOdds: Float32Array.from(rows.map((r) => r[5])),
    snapshotTime: rows.map(() => '2024-01-01T18:00:00Z'),
    closeLine: Float32Array.from(rows.map((r) => r[6] ?? r[3])),
    closeOverOdds: Float32Array.from(rows.map((r) => r[4])),
    closeUnderOdds: Float32Array.from(rows.map((r) => r[5])),
    closeSnapshotTime: rows.map(() => '2024-01-01T23:00:00Z'),
  };
}

const keysOf = (pairs: Array<[string, number]>) => ({
  nRows: pairs.length,
  keys: { gameId: pairs.map((p) => p[0]), playerId: Int32Array.from(pairs.map((p) => p[1])) },
});

/** One row bet at its quotes (game date 1 unless `more` says otherwise). */
const betOneRow = (
  quotes: RowQuotes,
  pred: number,
  actual: number,
  minEdge: number,
  choice: QuoteChoice,
  more: Partial<QuoteBetInput> = {},
) => simulateQuoteBets({ pred: [pred], actual: [actual], date: [1], quotes, minEdge, choice, ...more });

describe('betting at real quotes', () => {
  // one player-game, two books that disagree: the median (21) is a line nobody offers
  const lines = table([
    ['g1', 1, 'A', 20.5, -110, -110, 21.5],
    ['g1', 1, 'B', 21.5, 150, -190, 21.5],
  ]);
  const m = keysOf([['g1', 1]]);

  it('the old median line at the best price of any book pays a bet no book took', () => {
    // old rule: line = median 21, over price = best over any book (+150, but B's line is 21.5)
    const oldLine = Float32Array.of(21);
    const old = simulateBets({
      pred: [25],
      actual: [21.2],
      line: oldLine,
      overOdds: [150],
      underOdds: [-110],
      minEdge: 1,
    });
    expect(old.wins).toBe(1);
    expect(old.profit).toBeCloseTo(1.5);
    // at B's real quote (21.5 at +150) the same outcome loses; A's 20.5 at −110 wins only 0.909
    const c = consensusLines(lines);
    expect(c.medianLine![0]).toBe(21);
    expect([20.5, 21.5]).toContain(c.line[0]);
    const q = quotesForRows(m, lines);
    const real = betOneRow(q, 25, 21.2, 1, { book: 'B' }, { date: [19_000] });
    expect(real.choice).toBe('book:B');
    expect(real.betLine[0]).toBe(21.5);
    expect(real.betOdds[0]).toBe(150);
    expect(real.losses).toBe(1);
    expect(real.profit).toBe(-1);
    // the consensus path (linesForRows) is now a real quote too: its line and its book's price
    const cl = linesForRows(m, c);
    const book = c.line[0] === 20.5 ? 'A' : 'B';
    expect(c.overBook![0]).toBe(book);
    expect(cl.overOdds[0]).toBe(book === 'A' ? -110 : 150);
  });

  it('the median on a whole number no book quotes is never settled there, so no push there', () => {
    const q = quotesForRows(m, lines);
    const r = betOneRow(q, 15, 21, 1, 'consensus');
    expect(r.choice).toBe('consensus_line_best_price');
    expect(r.pushes).toBe(0);
    expect([20.5, 21.5]).toContain(r.betLine[0]);
    expect(r.n_bets).toBe(1);
  });

  it('best_ev takes the quote of highest expected value and says so; a named book without a quote is no bet', () => {
    const q = quotesForRows(m, lines);
    // prediction 22.5, sd 6: over 21.5 at +150 has EV ≈ 0.566·2.5 − 1 = +0.41; over 20.5 at −110 ≈ +0.13
    const r = betOneRow(q, 22.5, 30, 0.5, 'best_ev', { sigma: 6 });
    expect(r.choice).toBe('best_ev');
    expect(r.betBook[0]).toBe('B');
    expect(r.profit).toBeCloseTo(1.5);
    const none = betOneRow(q, 22.5, 30, 0.5, { book: 'C' });
    expect(none.n_bets).toBe(0);
    expect(() =>
      simulateQuoteBets({ pred: [1], actual: [1], date: [1], quotes: q, minEdge: 0, choice: 'best_ev' }),
    ).toThrow(/needs pOver .* or sigma/);
  });

  it('a price that makes a sure win with another book is a feed error and is not bet', () => {
    // the real file's pattern: a book's line 2 points off the main line, its prices on the wrong sides
    const feed = table([
      ['g1', 1, 'M', 23.5, -110, -115],
      ['g1', 1, 'N', 23.5, -112, -108],
      ['g1', 1, 'R', 21.5, 180, -295],
    ]);
    const q = quotesForRows(m, feed);
    // over 21.5 at +180 with under 23.5 at −108: one of the two always wins, for less than it pays
    const r = betOneRow(q, 30, 22, 1, 'best_ev', { sigma: 6 });
    expect(r.n_quote_sides_dropped).toBe(1);
    expect(r.betBook[0]).not.toBe('R');
    const raw = betOneRow(q, 30, 22, 1, 'best_ev', { sigma: 6, dropArbitrage: false });
    expect(raw.betBook[0]).toBe('R');
    expect(raw.profit).toBeCloseTo(1.8);
  });

  it('closing-line value: the line moving toward the bet is positive', () => {
    const q = quotesForRows(m, lines);
    const r = betOneRow(q, 25, 30, 1, { book: 'A' });
    // over 20.5, closed at 21.5: +1 point; the close is at another line, so no price CLV
    expect(r.clvPoints[0]).toBe(1);
    expect(r.clv_points_mean).toBe(1);
    expect(r.beat_close_rate).toBe(1);
    expect(r.clvPrice[0]).toBeNaN();
    const b = betOneRow(q, 25, 30, 1, { book: 'B' });
    // over 21.5 at +150 against a close of +150/−190 at the same line: fair over ≈ 0.4 / (0.4 + 0.655)
    const io = 1 / 2.5;
    const iu = 190 / 290;
    expect(b.clvPrice[0]).toBeCloseTo((io / (io + iu)) * 2.5 - 1, 6);
  });

  it('ROI, win rate and prices agree: ROI recomputed from the bets', () => {
    const n = 400;
    const rows: Array<[string, number, string, number, number, number]> = [];
    const pairs: Array<[string, number]> = [];
    const pred: number[] = [];
    const actual: number[] = [];
    const date: number[] = [];
    const prices = [-110, -120, 105, -105, 130];
    let s = 7;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (let i = 0; i < n; i++) {
      const g = `g${i}`;
      rows.push([g, 1, 'A', 20.5, prices[i % 5]!, prices[(i + 2) % 5]!]);
      rows.push([g, 1, 'B', 21.5, prices[(i + 1) % 5]!, prices[(i + 3) % 5]!]);
      pairs.push([g, 1]);
      pred.push(15 + 12 * rand());
      actual.push(Math.round(10 + 20 * rand()));
      date.push(19_000 + Math.floor(i / 8));
    }
    const q = quotesForRows(keysOf(pairs), table(rows));
    for (const choice of ['consensus', 'best_ev', { book: 'B' }] as const) {
      const r = simulateQuoteBets({ pred, actual, date, quotes: q, minEdge: 1, choice, sigma: 7 });
      expect(r.n_bets).toBeGreaterThan(20);
      let won = 0;
      for (let i = 0; i < n; i++) {
        if (r.side[i] === 0) continue;
        const winsBet = r.side[i] === 1 ? actual[i]! > r.betLine[i]! : actual[i]! < r.betLine[i]!;
        if (winsBet) won += americanPayout(r.betOdds[i]!);
      }
      expect(r.wins + r.losses + r.pushes).toBe(r.n_bets);
      expect(r.roi).toBeCloseTo((won - r.losses) / r.n_bets, 10);
      expect(r.win_rate).toBeCloseTo(r.wins / (r.wins + r.losses), 12);
      expect(r.roi_ci_low).toBeLessThanOrEqual(r.roi);
      expect(r.roi_ci_high).toBeGreaterThanOrEqual(r.roi);
      expect(r.n_dates).toBeLessThanOrEqual(n / 8);
    }
    // at one flat price the identity is the familiar one: ROI = win rate × 1.9091 − 1 (no pushes)
    const flat = table(
      rows.map(
        (r) => [r[0], r[1], r[2], r[3], -110, -110] as [string, number, string, number, number, number],
      ),
    );
    const f = simulateQuoteBets({
      pred,
      actual,
      date,
      quotes: quotesForRows(keysOf(pairs), flat),
      minEdge: 1,
      choice: 'consensus',
    });
    expect(f.pushes).toBe(0);
    expect(f.roi).toBeCloseTo(f.win_rate * (1 + 100 / 110) - 1, 10);
  });

  it("the date-clustered interval is wider when one night's bets move together", () => {
    // 30 nights of 10 bets each, all won or all lost together
    const profits: number[] = [];
    const dates: number[] = [];
    for (let d = 0; d < 30; d++)
      for (let k = 0; k < 10; k++) {
        profits.push(d % 2 === 0 ? 0.9 : -1);
        dates.push(d);
      }
    const single = bootstrapRoi(profits, { seed: 1, iterations: 1000 });
    const byDate = bootstrapRoi(profits, { seed: 1, iterations: 1000, clusters: dates });
    expect(byDate.high - byDate.low).toBeGreaterThan(2 * (single.high - single.low));
    expect(() => bootstrapRoi(profits, { clusters: [1] })).toThrow(/one cluster id per bet/);
  });
});
