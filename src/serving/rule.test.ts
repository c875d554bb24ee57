import { describe, expect, it } from 'vitest';
import { liveSeries } from './monitor.js';
import { describeThreshold, parseRule, threshold } from './rule.js';

describe('parseRule', () => {
  it('reads factor, margin and absolute rules', () => {
    expect(parseRule('live_mae > val_mae * 1.10 over 300')).toMatchObject({
      kind: 'factor',
      value: 1.1,
      minGames: 300,
    });
    expect(parseRule('live_mae > val_mae × 1.2 over ≥ 50 games')).toMatchObject({
      kind: 'factor',
      value: 1.2,
      minGames: 50,
    });
    expect(parseRule('live_mae>val_mae+0.5 over 100')).toMatchObject({
      kind: 'margin',
      value: 0.5,
      minGames: 100,
    });
    expect(parseRule('live_mae > 6.5 over 10')).toMatchObject({ kind: 'absolute', value: 6.5, minGames: 10 });
  });

  it('refuses anything else with the accepted forms', () => {
    for (const bad of [
      'live_mae > val_mae * 1.1',
      'val_mae > 3 over 10',
      'live_mae < 6 over 10',
      'live_mae > val_mae * 1.1 over 0',
    ]) {
      expect(() => parseRule(bad)).toThrow(/--degradation/);
    }
  });

  it('computes and describes the threshold', () => {
    const r = parseRule('live_mae > val_mae * 1.10 over 300');
    expect(threshold(r, 5)).toBeCloseTo(5.5, 12);
    expect(threshold(r, null)).toBeNull();
    expect(describeThreshold(r, 5)).toBe('val_mae 5.000 × 1.1 = 5.500');
    expect(threshold(parseRule('live_mae > 7 over 3'), null)).toBe(7);
  });
});

describe('liveSeries', () => {
  it('rolls the window over games, one point per day', () => {
    const rows = [
      { day: 1, err: 1 },
      { day: 1, err: 3 },
      { day: 2, err: 5 },
      { day: 3, err: 7 },
      { day: 3, err: 9 },
    ].map((r) => ({
      modelName: 'm',
      modelVersion: '1',
      playerId: 1,
      day: r.day,
      prediction: 10 + r.err,
      actual: 10,
    }));
    const s = liveSeries(rows, 3);
    expect(s.map((d) => d.day)).toEqual([1, 2, 3]);
    expect(s[0]).toMatchObject({ liveMae: 2, liveMaeDay: 2, windowGames: 2 });
    expect(s[1]).toMatchObject({ liveMae: 3, liveMaeDay: 5, windowGames: 3 });
    expect(s[2]).toMatchObject({ liveMae: 7, liveMaeDay: 8, windowGames: 3 }); // last 3: 5, 7, 9
  });
});
