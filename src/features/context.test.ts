import { describe, expect, it } from 'vitest';
import { filterRows, synthesizeLeague } from '../data/index.js';
import {
  buildFeatures,
  buildFeaturesForUpcoming,
  checkNoLeakage,
  featureColumn,
  gameKeysOf,
  sampleDates,
  V4_CONTEXT,
  V4_MARKET,
} from './index.js';

/**
 * What is known before tip-off: the history before the date and the game's participants (the
 * inactive list). v4_market adds the opening line (the first odds snapshot, posted before the
 * game). The guard rebuilds each sampled date from the history before it and that day's
 * participants and lines alone and must find the full build's values exactly.
 */
describe('v4 feature sets: no leakage, and availability from the inactive list', () => {
  const ds = synthesizeLeague({ seed: 11, seasons: 2 });
  const p = ds.players;

  it('v4_context and v4_market: features of date D from history before D equal the full build', () => {
    const dates = sampleDates(p, 8);
    const ctx = checkNoLeakage(p, V4_CONTEXT, dates);
    expect(ctx.mismatches.slice(0, 5)).toEqual([]);
    expect(ctx.rowsChecked).toBeGreaterThan(500);
    const market = checkNoLeakage(p, V4_MARKET, dates, undefined, { lines: ds.consensus! });
    expect(market.mismatches.slice(0, 5)).toEqual([]);
    expect(market.valuesChecked).toBe(market.rowsChecked * V4_MARKET.features.length);
  });

  it('the guard catches a feature that reads the game itself', () => {
    // a history that holds the day's box scores changes the vacated/share values: a leak is visible
    const [day] = sampleDates(p, 1);
    const shifted = { ...p, date: p.date.map((d) => (d === day! + 1 ? d - 1 : d)) };
    const full = buildFeatures(p, V4_CONTEXT);
    expect(checkNoLeakage(shifted, V4_CONTEXT, [day!], full).mismatches.length).toBeGreaterThan(0);
  });

  it('a regular who is out: his minutes are vacated; at serving time the inactive list says the same', () => {
    const m = buildFeatures(p, V4_CONTEXT);
    const vac = featureColumn(m, 'avail_minutes_vacated');
    const out = featureColumn(m, 'avail_regulars_out');
    // a team-game late in season 1 with a regular out
    let r = m.nRows - 1;
    while (r > 0 && !(out[r]! >= 1 && m.keys.season[r] === 2015)) r--;
    expect(out[r]).toBeGreaterThanOrEqual(1);
    const day = m.keys.date[r]!;
    const game = m.keys.gameId[r]!;
    const team = m.keys.team[r]!;
    const history = filterRows('players', p, (i) => p.date[i]! < day);
    // serving: the team's expected players = today's participants + the out regulars; the
    // request lists the out ones as inactive
    const rows: number[] = [];
    for (let i = 0; i < p.n; i++) if (p.gameId[i] === game && p.team[i] === team) rows.push(i);
    const playing = new Set(rows.map((i) => p.playerId[i]!));
    // the out regulars: players of the team's last games not playing today
    const recent: number[] = [];
    for (let i = 0; i < history.n; i++)
      if (history.team[i] === team && history.date[i]! >= day - 10 && !playing.has(history.playerId[i]!))
        recent.push(i);
    const outIds = [...new Set(recent.map((i) => history.playerId[i]!))];
    const keys = gameKeysOf(p, rows);
    const extra = gameKeysOf(
      history,
      outIds.map((id) => recent.find((i) => history.playerId[i] === id)!),
    );
    const expected = {
      n: keys.n + extra.n,
      gameId: [...keys.gameId, ...extra.gameId.map(() => game)],
      date: Int32Array.from([...keys.date, ...extra.date.map(() => day)]),
      season: Int16Array.from([...keys.season, ...extra.season.map(() => keys.season[0]!)]),
      playerId: Int32Array.from([...keys.playerId, ...extra.playerId]),
      team: [...keys.team, ...extra.team.map(() => team)],
      opponent: [...keys.opponent, ...extra.opponent.map(() => keys.opponent[0]!)],
      home: Uint8Array.from([...keys.home, ...extra.home.map(() => keys.home[0]!)]),
    };
    const served = buildFeaturesForUpcoming(history, expected, V4_CONTEXT, { inactive: outIds });
    const k = served.keys.playerId.indexOf(m.keys.playerId[r]!);
    expect(featureColumn(served, 'avail_minutes_vacated')[k]).toBeCloseTo(vac[r]!, 4);
    expect(featureColumn(served, 'avail_pra_share')[k]).toBeCloseTo(
      featureColumn(m, 'avail_pra_share')[r]!,
      5,
    );
    // without the inactive list everyone is expected to play: nothing vacated by them
    const naive = buildFeaturesForUpcoming(history, expected, V4_CONTEXT);
    expect(featureColumn(naive, 'avail_minutes_vacated')[k]).toBeLessThan(vac[r]!);
    // v4_market without lines is a clear error
    expect(() => buildFeatures(p, V4_MARKET)).toThrow(/reads the prop lines: pass \{ lines \}/);
  });
});
