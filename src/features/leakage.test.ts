import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterRows, readPlayerGames, synthesizeLeague } from '../data/index.js';
import { buildFeatures, checkNoLeakage, sampleDates, V3_ADVANCED } from './index.js';

const REAL = path.resolve(
  import.meta.dirname,
  '../../../shared/data/nba/player_game_logs_2015-16_to_2023-24.csv.gz',
);

function expectNoLeak(report: ReturnType<typeof checkNoLeakage>, minRows: number): void {
  expect(report.mismatches.slice(0, 5)).toEqual([]);
  expect(report.rowsChecked).toBeGreaterThanOrEqual(minRows);
  expect(report.valuesChecked).toBe(report.rowsChecked * V3_ADVANCED.features.length);
}

describe('no leakage: features of date D from history before D equal the full build', () => {
  it('synthetic league (2 seasons, 12 dates incl. season openers and back-to-back days)', () => {
    const { players } = synthesizeLeague({ seed: 5, seasons: 2 });
    const dates = sampleDates(players, 10);
    const seasonStarts = [2015, 2016].map((s) => {
      let d = Number.POSITIVE_INFINITY;
      for (let i = 0; i < players.n; i++)
        if (players.season[i] === s && players.date[i]! < d) d = players.date[i]!;
      return d;
    });
    const report = checkNoLeakage(players, V3_ADVANCED, [...dates, seasonStarts[1]! + 1, seasonStarts[1]!]);
    expectNoLeak(report, 1000);
  });

  it.skipIf(!existsSync(REAL))('real logs, 2022-23 and 2023-24 (needs ../shared/data/nba)', () => {
    const all = readPlayerGames(REAL).table;
    const players = filterRows('players', all, (i) => all.season[i]! >= 2022);
    const full = buildFeatures(players, V3_ADVANCED);
    // full build's features are not trivially empty
    let finite = 0;
    for (const v of full.values) if (Number.isFinite(v)) finite++;
    expect(finite / full.values.length).toBeGreaterThan(0.95);
    const report = checkNoLeakage(players, V3_ADVANCED, sampleDates(players, 8), full);
    expectNoLeak(report, 1000);
  });

  it('the check does catch a leak: a history that contains the day itself changes the values', () => {
    const { players } = synthesizeLeague({ seed: 6, seasons: 1 });
    const [day] = sampleDates(players, 1);
    // games of day+1 are re-dated to `day`: their values in `full` were computed with the games of
    // `day` as history, i.e. a full build that saw same-day data; the guard must report them
    const shifted = { ...players, date: players.date.map((d) => (d === day! + 1 ? d - 1 : d)) };
    const full = buildFeatures(players, V3_ADVANCED);
    const report = checkNoLeakage(shifted, V3_ADVANCED, [day!], full);
    expect(report.mismatches.length).toBeGreaterThan(0);
  });
});
