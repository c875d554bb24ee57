import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ingestFiles,
  type LeagueSummary,
  leagueSummary,
  synthesizeLeague,
  TEAMS,
  versionOf,
} from './index.js';

const NBA = path.resolve(import.meta.dirname, '../../../shared/data/nba');
const PLAYERS = path.join(NBA, 'player_game_logs_2015-16_to_2023-24.csv.gz');
const LINES = path.join(NBA, 'pra_prop_odds_2023-24.csv.gz');
const hasReal = existsSync(PLAYERS) && existsSync(LINES);

describe('synthetic league: structure and determinism', () => {
  const league = synthesizeLeague({ seed: 11, seasons: 2 });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = synthesizeLeague({ seed: 11, seasons: 2 });
    expect(versionOf(again)).toEqual(versionOf(league));
    expect(versionOf(synthesizeLeague({ seed: 12, seasons: 2 })).hash).not.toBe(versionOf(league).hash);
  });

  it('has 30 teams with 82 games each, 41 at home, back-to-backs, one date and two teams per game', () => {
    const t = league.teams!;
    const games = new Map<string, number>();
    const home = new Map<string, number>();
    const dates = new Map<string, number[]>();
    for (let i = 0; i < t.n; i++) {
      const k = `${t.season[i]}|${t.team[i]}`;
      games.set(k, (games.get(k) ?? 0) + 1);
      home.set(k, (home.get(k) ?? 0) + t.home[i]!);
      dates.set(k, [...(dates.get(k) ?? []), t.date[i]!]);
    }
    expect(new Set(t.team).size).toBe(TEAMS.length);
    expect(games.size).toBe(60);
    expect(new Set(games.values())).toEqual(new Set([82]));
    expect(new Set(home.values())).toEqual(new Set([41]));
    let b2b = 0;
    for (const ds of dates.values()) {
      ds.sort((a, b) => a - b);
      for (let i = 1; i < ds.length; i++) {
        expect(ds[i]).toBeGreaterThan(ds[i - 1]!);
        if (ds[i]! - ds[i - 1]! === 1) b2b++;
      }
    }
    expect(b2b).toBeGreaterThan(600);
    const perGame = new Map<string, Set<string>>();
    for (let i = 0; i < t.n; i++)
      perGame.set(t.gameId[i]!, (perGame.get(t.gameId[i]!) ?? new Set()).add(t.team[i]!));
    expect([...perGame.values()].every((s) => s.size === 2)).toBe(true);
    expect(t.gameId[0]).toMatch(/^00215\d{5}$/);
  });

  it('gives lines with several books, consensus and American odds', () => {
    const l = league.lines!;
    const c = league.consensus!;
    expect(l.n).toBeGreaterThan(c.n * 2);
    expect(Math.min(...c.nBooks)).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 500; i++) {
      expect(l.line[i]! % 1).toBe(0.5);
      expect(Math.abs(l.overOdds[i]!)).toBeGreaterThanOrEqual(100);
    }
  });
});

/**
 * The synthetic league against the real logs. Tolerances (absolute unless said): minutes-bucket
 * shares ±0.04; PRA mean per bucket ±12% (bucket 0–10: ±1.0); PRA sd per bucket ±20%; minutes
 * quantiles ±2.5 and mean ±1.5; games per player-season mean ±10%, median ±6, p10 ±4, p90 ±5;
 * players per team-game ±0.5; team rest-day shares ±0.03; line error MAE and sd ±12%, mean
 * ±0.5, over rate 0.44–0.52; overall PRA mean ±6% and sd ±8%.
 */
describe.skipIf(!hasReal)('synthetic league looks like the real logs (needs ../shared/data/nba)', () => {
  let real: LeagueSummary;
  beforeAll(() => {
    const ds = ingestFiles({ playerLogs: PLAYERS, lines: LINES });
    real = leagueSummary(ds.players, ds.consensus);
  });

  const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

  for (const seed of [1, 2]) {
    it(`seed ${seed}: summary statistics within tolerance`, () => {
      const ds = synthesizeLeague({ seed, seasons: 3 });
      const s = leagueSummary(ds.players, ds.consensus);
      expect(rel(s.praMean, real.praMean)).toBeLessThan(0.06);
      expect(rel(s.praSd, real.praSd)).toBeLessThan(0.08);
      s.byMinutes.forEach((b, i) => {
        const r = real.byMinutes[i]!;
        expect(Math.abs(b.share - r.share), `share ${b.from}`).toBeLessThan(0.04);
        if (b.from === 0) expect(Math.abs(b.praMean - r.praMean)).toBeLessThan(1.0);
        else expect(rel(b.praMean, r.praMean), `PRA mean ${b.from}`).toBeLessThan(0.12);
        expect(rel(b.praSd, r.praSd), `PRA sd ${b.from}`).toBeLessThan(0.2);
      });
      for (const q of ['p10', 'p25', 'p50', 'p75', 'p90'] as const) {
        expect(Math.abs(s.minutes[q] - real.minutes[q]), `minutes ${q}`).toBeLessThanOrEqual(2.5);
      }
      expect(Math.abs(s.minutes.mean - real.minutes.mean)).toBeLessThan(1.5);
      expect(rel(s.gamesPerPlayerSeason.mean, real.gamesPerPlayerSeason.mean)).toBeLessThan(0.1);
      expect(Math.abs(s.gamesPerPlayerSeason.p50 - real.gamesPerPlayerSeason.p50)).toBeLessThanOrEqual(6);
      expect(Math.abs(s.gamesPerPlayerSeason.p10 - real.gamesPerPlayerSeason.p10)).toBeLessThanOrEqual(4);
      expect(Math.abs(s.gamesPerPlayerSeason.p90 - real.gamesPerPlayerSeason.p90)).toBeLessThanOrEqual(5);
      expect(Math.abs(s.playersPerTeamGame - real.playersPerTeamGame)).toBeLessThan(0.5);
      s.teamRest.forEach((x, i) => {
        expect(Math.abs(x - real.teamRest[i]!), `rest ${i + 1}`).toBeLessThan(0.03);
      });
      const le = s.lineError!;
      const re = real.lineError!;
      expect(re.n).toBeGreaterThan(4000);
      expect(rel(le.mae, re.mae)).toBeLessThan(0.12);
      expect(rel(le.sd, re.sd)).toBeLessThan(0.12);
      expect(Math.abs(le.mean - re.mean)).toBeLessThan(0.5);
      expect(le.overRate).toBeGreaterThan(0.44);
      expect(le.overRate).toBeLessThan(0.52);
    });
  }
});
