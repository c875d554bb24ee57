import { describe, expect, it } from 'vitest';
import { BinnedMatrix, continueGbdt, type FeatureMatrix, sliceRows, trainGbdt } from '../models/index.js';
import { runWalkForward, type WalkForwardSpec } from './index.js';

/**
 * A small league-like table: days 0..69 with a break on days 40..44, 12–20 rows a day,
 * 4 features (one with missing values, one drifting over time), a noisy target.
 */
function league(): { X: FeatureMatrix; y: Float64Array; dates: Int32Array } {
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const days: number[] = [];
  for (let d = 0; d < 70; d++) {
    if (d >= 40 && d < 45) continue;
    const k = 12 + Math.floor(rnd() * 9);
    for (let i = 0; i < k; i++) days.push(d);
  }
  const n = days.length;
  const p = 4;
  const values = new Float32Array(n * p);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const a = rnd() * 10;
    const b = rnd() < 0.15 ? Number.NaN : rnd() * 5;
    const c = rnd() + days[r]! / 70;
    const d = rnd();
    values[r] = a;
    values[n + r] = b;
    values[2 * n + r] = c;
    values[3 * n + r] = d;
    y[r] = 2 * a + (Number.isNaN(b) ? 3 : b) + 4 * c + rnd() * 3;
  }
  return { X: { nRows: n, nCols: p, values, names: ['a', 'b', 'c', 'd'] }, y, dates: Int32Array.from(days) };
}

const data = league();
const params = { nEstimators: 12, maxDepth: 3, learningRate: 0.3 };
const base = (extra: Partial<WalkForwardSpec> = {}): WalkForwardSpec => ({
  X: data.X as WalkForwardSpec['X'],
  y: data.y,
  dates: data.dates,
  params,
  start: 30,
  workers: 1,
  ...extra,
});
const gameDays = (from: number, to: number) =>
  new Set(Array.from(data.dates).filter((d) => d >= from && d <= to)).size;

describe('runWalkForward', () => {
  it('makes one fold per game date, each trained only on earlier rows, covering the range once', async () => {
    const seen: number[] = [];
    const res = await runWalkForward(
      base({ onFold: (r, done, total) => seen.push(r.fold.index, done, total) }),
    );
    expect(res.folds.length).toBe(gameDays(30, 69));
    expect(seen.length).toBe(3 * res.folds.length);
    expect(res.valStart).toBe(data.dates.findIndex((d) => d >= 30));
    expect(res.valEnd).toBe(data.X.nRows);
    expect(res.pred.length).toBe(res.valEnd - res.valStart);
    for (const [i, r] of res.folds.entries()) {
      const f = r.fold;
      expect(f.index).toBe(i);
      expect(f.trainStart).toBe(0);
      expect(data.dates[f.trainRows - 1]!).toBeLessThan(f.foldDate);
      for (let row = f.testStart; row < f.testEnd; row++) {
        expect(data.dates[row]).toBe(f.foldDate);
        expect(res.foldOfRow[row - res.valStart]).toBe(i);
        expect(res.pred[row - res.valStart]).toBe(r.pred[row - f.testStart]);
      }
      if (i > 0) expect(f.testStart).toBe(res.folds[i - 1]!.fold.testEnd);
      expect(r.trainSeconds).toBeGreaterThanOrEqual(0);
    }
    // the break (days 40..44) has no fold
    expect(res.folds.some((r) => r.fold.foldDate >= 40 && r.fold.foldDate < 45)).toBe(false);
  });

  it('predicts exactly what a direct trainGbdt on the same rows predicts', async () => {
    const res = await runWalkForward(base({ refitEveryDays: 4, windowDays: 15 }));
    for (const r of res.folds) {
      const f = r.fold;
      const model = trainGbdt(
        sliceRows(data.X, f.trainStart, f.trainRows),
        data.y.slice(f.trainStart, f.trainRows),
        params,
      );
      expect(Array.from(r.pred)).toEqual(
        Array.from(model.predict(sliceRows(data.X, f.testStart, f.testEnd))),
      );
    }
  });

  it('refits every k days and keeps a rolling window inside its bounds', async () => {
    const res = await runWalkForward(base({ refitEveryDays: 7, windowDays: 10 }));
    // windows from day 30 every 7 days: 30, 37, [44, 51) starts at 45 after the break, 51, 58, 65
    expect(res.folds.map((r) => r.fold.foldDate)).toEqual([30, 37, 45, 51, 58, 65]);
    for (const { fold: f } of res.folds) {
      expect(data.dates[f.trainStart]!).toBeGreaterThanOrEqual(f.foldDate - 10);
      expect(data.dates[f.trainStart - 1]!).toBeLessThan(f.foldDate - 10);
      expect(data.dates[f.trainRows - 1]!).toBeLessThan(f.foldDate);
      for (let row = f.testStart; row < f.testEnd; row++) {
        expect(data.dates[row]!).toBeGreaterThanOrEqual(f.foldDate);
        expect(data.dates[row]!).toBeLessThan(f.foldDate + 7);
      }
    }
  });

  it('no fold sees a row on or after its date: changing later targets leaves earlier folds alone', async () => {
    for (const strategy of ['full', { warmStart: { fullRefitEveryDays: 6, extraTrees: 3 } }] as const) {
      const before = await runWalkForward(base({ strategy }));
      const cut = before.folds[9]!.fold;
      const y2 = data.y.slice();
      for (let r = cut.testStart; r < y2.length; r++) y2[r] = 100 - y2[r]!;
      const after = await runWalkForward(base({ strategy, y: y2 }));
      for (const [i, r] of before.folds.entries()) {
        if (i <= 9) expect(after.folds[i]!.pred).toEqual(r.pred);
        else expect(after.folds[i]!.pred).not.toEqual(r.pred);
      }
    }
  });

  it('warm starts: a full refit every N days, in between the last full model plus extra trees', async () => {
    const res = await runWalkForward(
      base({ strategy: { warmStart: { fullRefitEveryDays: 6, extraTrees: 4 } } }),
    );
    const binned = new BinnedMatrix(data.X);
    let full: ReturnType<typeof trainGbdt> | null = null;
    let block = -1;
    const first = res.folds[0]!.fold.foldDate;
    for (const r of res.folds) {
      const f = r.fold;
      const b = Math.floor((f.foldDate - first) / 6);
      let model: ReturnType<typeof trainGbdt>;
      if (b !== block) {
        full = trainGbdt(binned, data.y, params, { rows: f.trainRows });
        block = b;
        model = full;
      } else {
        model = continueGbdt(full!, binned, data.y, 4, { rows: f.trainRows, X: data.X });
        expect(model.nTrees).toBe(16);
      }
      expect(r.pred).toEqual(model.predict(sliceRows(data.X, f.testStart, f.testEnd)));
    }
    expect(block).toBe(Math.floor((res.folds.at(-1)!.fold.foldDate - first) / 6));
  });

  it('refuses bad specs with messages that say what to fix', async () => {
    await expect(runWalkForward(base({ y: data.y.slice(1) }))).rejects.toThrow(/y has .* values but X has/);
    await expect(runWalkForward(base({ dates: data.dates.slice(1) }))).rejects.toThrow(/one per row/);
    await expect(runWalkForward(base({ workers: 0 }))).rejects.toThrow(/workers must be a positive integer/);
    await expect(
      runWalkForward(base({ strategy: { warmStart: { fullRefitEveryDays: 0, extraTrees: 5 } } })),
    ).rejects.toThrow(/fullRefitEveryDays/);
    await expect(runWalkForward(base({ strategy: 'fast' as never }))).rejects.toThrow(/strategy must be/);
    await expect(runWalkForward(base({ windowDays: 3, start: 45 }))).rejects.toThrow(/longer windowDays/);
    const y = data.y.slice();
    y[5] = Number.NaN;
    await expect(runWalkForward(base({ y }))).rejects.toThrow(/target row 5/);
    await expect(runWalkForward(base({ params: { maxDepth: -1 } }))).rejects.toThrow(/maxDepth/);
  });
});

describe('runWalkForward on worker threads', () => {
  it('gives bit-identical results with 1 and 2 workers, full refits and warm starts', async () => {
    for (const strategy of ['full', { warmStart: { fullRefitEveryDays: 5, extraTrees: 3 } }] as const) {
      const one = await runWalkForward(base({ strategy, workers: 1 }));
      const order: number[] = [];
      const two = await runWalkForward(
        base({ strategy, workers: 2, onFold: (r, done, total) => order.push(r.fold.index, done, total) }),
      );
      expect(Array.from(two.pred)).toEqual(Array.from(one.pred));
      expect(two.foldOfRow).toEqual(one.foldOfRow);
      expect(two.folds.map((r) => r.fold)).toEqual(one.folds.map((r) => r.fold));
      expect(order.length).toBe(3 * one.folds.length);
      expect(order.filter((_, i) => i % 3 === 1)).toEqual(one.folds.map((_, i) => i + 1));
      expect(new Set(order.filter((_, i) => i % 3 === 0)).size).toBe(one.folds.length);
    }
  });

  it('an error in onFold stops the workers and rejects', async () => {
    await expect(
      runWalkForward(
        base({
          workers: 2,
          onFold: () => {
            throw new Error('progress sink broke');
          },
        }),
      ),
    ).rejects.toThrow(/progress sink broke/);
  });
});
