import { describe, expect, it } from 'vitest';
import { type HistoryEvent, historyKey, replay } from './history.js';

let seq = 0;
function ev(action: HistoryEvent['action'], version: string, to: string, from = 'None'): HistoryEvent {
  seq += 1;
  return { seq, time: '2026-01-01T00:00:00.000Z', actor: 'a', action, version, from, to, reason: null };
}

describe('replay', () => {
  it('follows promotions and pops the Production stack on rollback', () => {
    seq = 0;
    const events = [
      ev('register', '1', 'None'),
      ev('promote', '1', 'Production'),
      ev('promote', '2', 'Staging'),
      ev('promote', '2', 'Production', 'Staging'),
      ev('transition', '1', 'Archived', 'Production'), // an effect: ignored by replay
      ev('promote', '3', 'Production'),
    ];
    let state = replay(events);
    expect(state.production?.version).toBe('3');
    expect(state.staging).toBeNull();
    expect(state.productionStack).toEqual(['1', '2', '3']);
    events.push(ev('rollback', '2', 'Production', 'Archived'));
    state = replay(events);
    expect(state.production?.version).toBe('2');
    expect(state.productionStack).toEqual(['1', '2']);
    events.push(ev('rollback', '1', 'Production', 'Archived'));
    expect(replay(events).productionStack).toEqual(['1']);
  });

  it('an explicit rollback target truncates the stack to it or pushes it', () => {
    seq = 0;
    const events = [
      ev('promote', '1', 'Production'),
      ev('promote', '2', 'Production'),
      ev('promote', '3', 'Production'),
    ];
    expect(replay([...events, ev('rollback', '1', 'Production')]).productionStack).toEqual(['1']);
    expect(replay([...events, ev('rollback', '7', 'Production')]).productionStack).toEqual(['1', '2', '7']);
  });

  it('orders by sequence number, not by array position', () => {
    seq = 0;
    const a = ev('promote', '1', 'Production');
    const b = ev('promote', '2', 'Production');
    expect(replay([b, a]).production?.version).toBe('2');
  });

  it('keeps a Staging holder until it moves on', () => {
    seq = 0;
    const events = [ev('promote', '4', 'Staging')];
    expect(replay(events).staging?.version).toBe('4');
    expect(replay([...events, ev('promote', '4', 'Archived', 'Staging')]).staging).toBeNull();
  });

  it('pads history keys so they sort', () => {
    expect(historyKey(1)).toBe('propflow.history.000001');
    expect(historyKey(1234567)).toBe('propflow.history.1234567');
  });
});
