import { describe, expect, it } from 'vitest';
import { renderSvg } from '../charts/index.js';
import { synthesizeLeague } from '../data/index.js';
import { linesForRows, quotesForRows } from '../features/index.js';
import { lastNAverage, seasonToDateAverage } from '../models/index.js';
import { qualityReport, simulateQuoteBets } from './index.js';

describe('qualityReport on the synthetic league (its lines go through the real-quote path)', () => {
  const ds = synthesizeLeague({ seed: 5, seasons: 1 });
  const p = ds.players;
  const keys = { nRows: p.n, keys: p };
  const l10 = lastNAverage(p.playerId, p.pra, 10);
  const l5 = lastNAverage(p.playerId, p.pra, 5);
  const std = seasonToDateAverage(p.playerId, p.pra);
  // the "model": a blend of two baselines (the report only reads predictions)
  const pred = Float64Array.from(l10, (v, i) => (Number.isNaN(v) ? Number.NaN : 0.5 * v + 0.5 * l5[i]!));
  const prior = new Int32Array(p.n);
  const seen = new Map<number, number>();
  for (let i = 0; i < p.n; i++) {
    prior[i] = seen.get(p.playerId[i]!) ?? 0;
    seen.set(p.playerId[i]!, prior[i]! + 1);
  }
  const cons = linesForRows(keys, ds.consensus!);
  const quotes = quotesForRows(keys, ds.lines!);
  const report = qualityReport({
    title: 'synthetic',
    date: p.date,
    actual: p.pra,
    pred,
    minutes: p.minutes,
    priorGames: prior,
    baselines: { last_10_average: l10, season_average: std },
    quotes,
    closeLine: cons.closeLine,
    line: cons.line,
    overOdds: cons.overOdds,
    underOdds: cons.underOdds,
    sigma: 7,
    edges: [1, 3],
    iterations: 200,
  });

  it('overall MAE is recomputable and every section is there', () => {
    let abs = 0;
    let n = 0;
    for (let i = 0; i < p.n; i++) {
      if (prior[i]! < 1) continue;
      abs += Math.abs(pred[i]! - p.pra[i]!);
      n++;
    }
    const model = report.tables['overall']!.find((r) => r['predictor'] === 'model')!;
    expect(model['n']).toBe(n);
    expect(model['mae']).toBeCloseTo(abs / n, 3);
    for (const t of ['line_subset', 'by_minutes', 'by_month', 'betting', 'calibration'])
      expect(report.tables[t]!.length).toBeGreaterThan(0);
    for (const h of [
      '## Overall',
      '## Games with a closing line',
      '## Betting at real quotes',
      'Brier score',
    ])
      expect(report.markdown).toContain(h);
  });

  it('the betting table is the real-quote simulation, with its choice named', () => {
    const row = report.tables['betting']!.find(
      (r) => r['choice'] === 'consensus_line_best_price' && r['min_edge'] === 1,
    )!;
    const direct = simulateQuoteBets({
      pred,
      actual: p.pra,
      date: p.date,
      quotes,
      minEdge: 1,
      choice: 'consensus',
      iterations: 200,
    });
    expect(row['n_bets']).toBe(direct.n_bets);
    expect(row['roi']).toBeCloseTo(direct.roi, 4);
    expect(direct.n_bets).toBeGreaterThan(50);
    expect(report.tables['betting']!.some((r) => r['choice'] === 'best_ev')).toBe(true);
  });

  it('the charts are valid vega-lite', async () => {
    expect(Object.keys(report.charts).sort()).toEqual([
      'calibration',
      'mae_by_minutes',
      'mae_by_month',
      'roi_by_edge',
    ]);
    for (const spec of Object.values(report.charts)) expect(await renderSvg(spec as never)).toContain('<svg');
  });

  it('mismatched inputs are a clear error', () => {
    expect(() =>
      qualityReport({
        title: 'x',
        date: [1],
        actual: [1, 2],
        pred: [1],
        minutes: [1],
        priorGames: [1],
        baselines: {},
        sigma: 1,
      }),
    ).toThrow(/actual has 2 rows but pred has 1/);
  });
});
