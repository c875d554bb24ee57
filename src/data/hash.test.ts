import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dataset,
  deriveTeamGames,
  openDataset,
  type PlayerGames,
  readArrowTable,
  readDataset,
  readPlayerGames,
  tableHash,
  takeRows,
  toArrow,
  versionOf,
  writeDataset,
} from './index.js';

const REAL = path.resolve(
  import.meta.dirname,
  '../../../shared/data/nba/player_game_logs_2015-16_to_2023-24.csv.gz',
);
const hasReal = existsSync(REAL);
const dir = mkdtempSync(path.join(tmpdir(), 'propflow-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A few thousand real rows as CSV lines (header first). */
let lines: string[] = [];
beforeAll(() => {
  if (!hasReal) return;
  const text = gunzipSync(readFileSync(REAL)).toString('utf8');
  lines = text.slice(0, 2_000_000).split('\n').slice(0, 4001);
});

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.skipIf(!hasReal)('dataset hash on real rows (needs ../shared/data/nba)', () => {
  it('is the same for CSV, gzip, reordered rows, reordered columns and the stored Arrow dataset', () => {
    const csv = lines.join('\n');
    const base = readPlayerGames(write('a.csv', csv)).table;
    const h = tableHash('players', base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(tableHash('players', readPlayerGames(write('a.csv.gz', gzipSync(csv))).table)).toBe(h);
    const rows = shuffled(lines.slice(1), 7);
    expect(
      tableHash('players', readPlayerGames(write('rows.csv', [lines[0], ...rows].join('\n'))).table),
    ).toBe(h);
    // columns in another order (reverse), with quoting where needed
    const cols = lines.map((l) => l.split(',').reverse().join(','));
    expect(tableHash('players', readPlayerGames(write('cols.csv', cols.join('\n'))).table)).toBe(h);
    // stored dataset and a lone Arrow file
    const ds: Dataset = { players: base, source: 'test', reports: [] };
    writeDataset(path.join(dir, 'ds'), ds);
    expect(versionOf(readDataset(path.join(dir, 'ds'))).hash).toBe(h);
    expect(tableHash('players', readArrowTable(path.join(dir, 'ds', 'players.arrow')).table)).toBe(h);
    expect(versionOf(openDataset(path.join(dir, 'ds', 'players.arrow'))).hash).toBe(h);
    const teams = path.join(dir, 'teams.arrow');
    writeFileSync(teams, tableToIPC(toArrow('teams', deriveTeamGames(base)), 'file'));
    expect(() => openDataset(teams)).toThrow(/holds the teams table, not player games/);
    // the in-memory column order of the table object does not matter either
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as PlayerGames;
    expect(tableHash('players', reordered)).toBe(h);
  });

  it('changes when any single value changes', () => {
    const base = readPlayerGames(write('b.csv', lines.join('\n'))).table;
    const h = tableHash('players', base);
    const seen = new Set([h]);
    const edits: Array<(t: PlayerGames) => void> = [
      (t) => {
        t.pts[1234] = t.pts[1234]! + 1;
      },
      (t) => {
        t.minutes[0] = t.minutes[0]! + 0.5;
      },
      (t) => {
        t.gameId[10] = t.gameId[10]!.replace(/^0/, '');
      },
      (t) => {
        t.playerName[99] = `${t.playerName[99]} `;
      },
      (t) => {
        t.home[5] = 1 - t.home[5]!;
      },
      (t) => {
        t.fga![3] = Number.NaN;
      },
      (t) => {
        t.date[77] = t.date[77]! + 1;
      },
    ];
    for (const edit of edits) {
      const copy = takeRows(
        'players',
        base,
        Array.from({ length: base.n }, (_, i) => i),
      );
      edit(copy);
      const h2 = tableHash('players', copy);
      expect(seen.has(h2)).toBe(false);
      seen.add(h2);
    }
    // removing a row or swapping two values between rows changes it too
    expect(
      tableHash(
        'players',
        takeRows(
          'players',
          base,
          Array.from({ length: base.n - 1 }, (_, i) => i),
        ),
      ),
    ).not.toBe(h);
    const swap = takeRows(
      'players',
      base,
      Array.from({ length: base.n }, (_, i) => i),
    );
    [swap.pts[0], swap.pts[1]] = [swap.pts[1]!, swap.pts[0]!];
    if (swap.pts[0] !== swap.pts[1]) expect(tableHash('players', swap)).not.toBe(h);
  });

  it('version object: counts, seasons, date range, null counts, source', () => {
    const base = readPlayerGames(write('c.csv', lines.join('\n'))).table;
    const v = versionOf({ players: base, source: 'real-subset', reports: [] });
    expect(v.n_samples).toBe(4000);
    expect(v.seasons).toEqual(['2015-16']);
    expect(v.date_min).toBe('2015-10-27');
    expect(v.n_players).toBe(new Set(base.playerId).size);
    expect(v.null_counts['fg3m']).toBe(0);
    expect(v.source).toBe('real-subset');
    expect(v.tables['players']!.rows).toBe(4000);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});

describe('storage', () => {
  const tiny: PlayerGames = {
    n: 2,
    gameId: ['0022300001', '0022300001'],
    date: Int32Array.from([19650, 19650]),
    season: Int16Array.from([2023, 2023]),
    playerId: Int32Array.from([1, 2]),
    playerName: ['A', 'Bé'],
    team: ['AAA', 'BBB'],
    opponent: ['BBB', 'AAA'],
    home: Uint8Array.from([1, 0]),
    minutes: Float32Array.from([30, 28.5]),
    pts: Float32Array.from([20, 10]),
    reb: Float32Array.from([5, 7]),
    ast: Float32Array.from([3, 1]),
    pra: Float32Array.from([28, 18]),
    tov: Float32Array.from([Number.NaN, 2]),
  };

  it('round-trips a dataset through Arrow IPC files with a manifest', () => {
    const out = path.join(dir, 'tiny');
    const m = writeDataset(out, { players: tiny, source: 'tiny', reports: [] });
    expect(readdirSync(out).sort()).toEqual(['dataset.json', 'players.arrow']);
    expect(readFileSync(path.join(out, 'players.arrow')).subarray(0, 6).toString()).toBe('ARROW1');
    const back = readDataset(out);
    expect(back.players).toEqual(tiny);
    expect(m.version.hash).toBe(tableHash('players', tiny));
    const arrow = toArrow('players', tiny);
    expect(arrow.schema.fields.map((f) => `${f.name}:${f.type}`)).toContain('date:Date32<DAY>');
  });

  it('refuses to overwrite without force, replaces with force, and a failed write leaves nothing', () => {
    const out = path.join(dir, 'once');
    writeDataset(out, { players: tiny, source: 'a', reports: [] });
    expect(() => writeDataset(out, { players: tiny, source: 'b', reports: [] })).toThrow(
      /already exists.*--force/,
    );
    writeDataset(out, { players: tiny, source: 'b', reports: [] }, { force: true });
    expect(readDataset(out).source).toBe('b');
    // a table that cannot be written (a column of the wrong length) fails after players.arrow was written
    const broken = {
      players: tiny,
      teams: { n: 2, gameId: ['x'] },
      source: 'c',
      reports: [],
    } as unknown as Dataset;
    const out2 = path.join(dir, 'broken');
    expect(() => writeDataset(out2, broken)).toThrow();
    expect(existsSync(out2)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('broken'))).toEqual([]);
    expect(() => readDataset(path.join(dir, 'nope'))).toThrow(/not a propflow dataset \(no dataset\.json\)/);
    // a stored table replaced behind the manifest's back is detected
    const changed = { ...tiny, pts: Float32Array.from([21, 10]) };
    writeFileSync(path.join(out, 'players.arrow'), tableToIPC(toArrow('players', changed), 'file'));
    expect(() => readDataset(out)).toThrow(
      /table 'players' does not match dataset\.json .* changed after it was written/,
    );
    expect(readDataset(out, { verify: false }).players.pts[0]).toBe(21);
  });
});
