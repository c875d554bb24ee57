import { describe, expect, it } from 'vitest';
import { type FeatureMatrix, loadTwoStage, MINUTES_FEATURE, trainTwoStage } from './index.js';

/** Synthetic games: minutes depend on role features, PRA ≈ rate × minutes. */
function games(n: number, seed: number): { X: FeatureMatrix; minutes: Float64Array; pra: Float64Array } {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const values = new Float32Array(n * 3);
  const minutes = new Float64Array(n);
  const pra = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const starter = rnd() < 0.5 ? 1 : 0;
    const usage = 0.15 + 0.2 * rnd();
    const pace = 95 + 10 * rnd();
    values[r] = starter;
    values[n + r] = usage;
    values[2 * n + r] = pace;
    minutes[r] = Math.max(0, 14 + 18 * starter + 4 * (rnd() - 0.5));
    pra[r] = minutes[r]! * (usage * 3 + (pace - 95) / 100) + 2 * (rnd() - 0.5);
  }
  return { X: { nRows: n, nCols: 3, values, names: ['starter', 'usage', 'pace'] }, minutes, pra };
}

describe('two-stage model', () => {
  const train = games(2000, 1);
  const test = games(500, 2);
  const params = { minutes: { nEstimators: 60, maxDepth: 3 }, target: { nEstimators: 120, maxDepth: 4 } };

  it('predicts minutes, then PRA from the minutes estimate; reports both stages', () => {
    const m = trainTwoStage(train.X, train.minutes, train.pra, params);
    const p = m.predict(test.X);
    const ev = m.evaluate(test.X, test.minutes, test.pra);
    expect(ev.minutesMae).toBeLessThan(1.5);
    expect(ev.targetMae).toBeLessThan(2.5);
    expect(p.minutes.length).toBe(500);
    expect(m.stage2.featureNames).toEqual(['starter', 'usage', 'pace', MINUTES_FEATURE]);
    expect(m.stage2.nFeatures).toBe(4);
    const report = m.report();
    expect(report.stage1.params.maxDepth).toBe(3);
    expect(report.stage2.params.maxDepth).toBe(4);
    expect(report.stage1.nTrees).toBe(60);
    expect(report.minutesMae).toBeGreaterThan(0);
    expect(report.minutesMae).toBe(report.stage1.trainMae);
  });

  it('per-minute mode multiplies a rate by the minutes estimate', () => {
    const m = trainTwoStage(train.X, train.minutes, train.pra, {
      ...params,
      mode: 'perMinute',
      minMinutes: 5,
    });
    const p = m.predict(test.X);
    const rate = m.stage2.predict({
      nRows: 500,
      nCols: 4,
      values: Float32Array.from([...test.X.values, ...p.minutes]),
    });
    for (let i = 0; i < 5; i++) expect(p.target[i]).toBeCloseTo(rate[i]! * p.minutes[i]!, 9);
    expect(m.evaluate(test.X, test.minutes, test.pra).targetMae).toBeLessThan(3);
  });

  it('serializes both stages; identical predictions after load; validates', () => {
    const m = trainTwoStage(train.X, train.minutes, train.pra, { ...params, mode: 'perMinute' });
    const back = loadTwoStage(JSON.stringify(m.toJSON()));
    expect(Array.from(back.predict(test.X).target)).toEqual(Array.from(m.predict(test.X).target));
    expect(back.report()).toEqual(m.report());
    const json = m.toJSON();
    expect(() => loadTwoStage({ ...json, mode: 'x' })).toThrow(/mode/);
    expect(() => loadTwoStage({ ...json, stage2: json.stage1 })).toThrow(/stage2 has 3 features/);
  });

  it('rejects bad input', () => {
    expect(() => trainTwoStage(train.X, train.minutes.slice(1), train.pra)).toThrow(/1999 values/);
    const nanPra = train.pra.slice();
    nanPra[3] = Number.NaN;
    expect(() => trainTwoStage(train.X, train.minutes, nanPra)).toThrow(/target row 3/);
    expect(() => trainTwoStage(train.X, train.minutes, train.pra, { mode: 'x' as never })).toThrow(/mode/);
  });
});
