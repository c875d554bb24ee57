import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../errors.js';
import { parseGate, passesGate } from './gate.js';

describe('parseGate', () => {
  it('reads every operator, spaces, a metrics. prefix and exponents', () => {
    expect(parseGate('val_mae<6.0')).toMatchObject({ metric: 'val_mae', op: '<', threshold: 6 });
    expect(parseGate(' val_mae <= 6 ')).toMatchObject({ metric: 'val_mae', op: '<=', threshold: 6 });
    expect(parseGate('metrics.betting_roi>=0.02')).toMatchObject({
      metric: 'betting_roi',
      op: '>=',
      threshold: 0.02,
    });
    expect(parseGate('n_bets > 5e2')).toMatchObject({ metric: 'n_bets', op: '>', threshold: 500 });
    expect(parseGate('delta>-.5').threshold).toBe(-0.5);
  });

  it.each([
    ['val_mae=6', /no comparison operator/],
    ['val_mae<<6', /more than one operator/],
    ['val_mae<=>6', /more than one operator/],
    ['< 6', /does not start with a metric name/],
    ['val_mae < six', /'six' is not a number/],
    ['val mae! < 6', /does not start with a metric name/],
  ])('rejects %s with a message showing the expected form', (text, pattern) => {
    expect(() => parseGate(text)).toThrow(InvalidParameterError);
    expect(() => parseGate(text)).toThrow(pattern);
    expect(() => parseGate(text)).toThrow(/"val_mae<6.0"/);
  });
});

describe('passesGate', () => {
  it('compares strictly or inclusively as written', () => {
    expect(passesGate(parseGate('m<6'), 6)).toBe(false);
    expect(passesGate(parseGate('m<=6'), 6)).toBe(true);
    expect(passesGate(parseGate('m>6'), 6)).toBe(false);
    expect(passesGate(parseGate('m>=6'), 6)).toBe(true);
    expect(passesGate(parseGate('m<6'), 5.99)).toBe(true);
    expect(passesGate(parseGate('m<6'), Number.NaN)).toBe(false);
  });
});
