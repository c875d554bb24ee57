import { describe, expect, it } from 'vitest';
import { filterRows, synthesizeLeague } from '../data/index.js';
import {
  buildFeatures,
  buildFeaturesForUpcoming,
  featureColumn,
  linesForRows,
  upcomingFromSchedule,
  V3_ADVANCED,
} from './index.js';

describe('serving helpers', () => {
  const league = synthesizeLeague({ seed: 21, seasons: 1 });
  const p = league.players;

  it('expects the recent players of each scheduled team and builds their features from history', () => {
    const days = [...new Set(p.date)].sort((a, b) => a - b);
    const day = days[100]!;
    const history = filterRows('players', p, (i) => p.date[i]! < day);
    const t = league.teams!;
    const schedule = [];
    for (let i = 0; i < t.n; i++) {
      if (t.date[i] === day) {
        schedule.push({
          gameId: t.gameId[i]!,
          date: day,
          team: t.team[i]!,
          opponent: t.opponent[i]!,
          home: t.home[i] === 1,
        });
      }
    }
    expect(schedule.length).toBeGreaterThan(4);
    const up = upcomingFromSchedule(history, schedule);
    const actual = new Set<string>();
    for (let i = 0; i < p.n; i++) if (p.date[i] === day) actual.add(`${p.gameId[i]}|${p.playerId[i]}`);
    let hit = 0;
    for (let r = 0; r < up.n; r++) if (actual.has(`${up.gameId[r]}|${up.playerId[r]}`)) hit++;
    expect(hit / actual.size).toBeGreaterThan(0.8); // most who play were expected
    expect(hit / up.n).toBeGreaterThan(0.6); // most who were expected played (injuries come unannounced)
    const m = buildFeaturesForUpcoming(history, up, V3_ADVANCED);
    expect(m.nRows).toBe(up.n);
    const l10 = featureColumn(m, 'pra_l10');
    expect(l10.filter((v) => Number.isFinite(v)).length).toBe(up.n);
  });

  it('aligns consensus lines with matrix rows', () => {
    const m = buildFeatures(p, V3_ADVANCED);
    const { line, overOdds, nBooks } = linesForRows(m, league.consensus!);
    let withLine = 0;
    for (let r = 0; r < m.nRows; r++) {
      if (Number.isNaN(line[r]!)) {
        expect(nBooks[r]).toBe(0);
        continue;
      }
      withLine++;
      expect(line[r]! % 0.5).toBe(0); // median of x.5 lines: x.5 or x.0
      expect(Math.abs(overOdds[r]!)).toBeGreaterThanOrEqual(100);
    }
    expect(withLine).toBe(league.consensus!.n);
  });
});
