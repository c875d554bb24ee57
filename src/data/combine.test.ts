import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { appendToDataset, ingestFiles, readDataset, writeDataset } from './index.js';
import { dataErrorMessage } from './test-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-combine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,REB,AST';
const S2022 = [
  HEADER,
  '22022,1,A,LAL,0022200001,2022-10-18,LAL @ DEN,30,20,5,5',
  '22022,2,B,DEN,0022200001,2022-10-18,DEN vs. LAL,32,25,10,8',
].join('\n');
const S2023 = [
  HEADER,
  '22023,1,A,LAL,0022300001,2023-10-24,LAL vs. DEN,31,18,6,4',
  '22023,2,B,DEN,0022300001,2023-10-24,DEN @ LAL,36,30,12,9',
].join('\n');
const LINES_H =
  'bookmaker,line,timestamp,over_price,under_price,nba_game_id,nba_game_date,nba_player_id,player_name';

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

describe('several files per table, and appending a season', () => {
  it('a folder of per-season files (plain and gzip) reads as their concatenation in date order', () => {
    file('logs/2023-24.csv.gz', gzipSync(S2023));
    file('logs/2022-23.csv', S2022);
    file('logs/README.md', 'not data');
    const ds = ingestFiles({ playerLogs: path.join(dir, 'logs') });
    expect(ds.players.n).toBe(4);
    expect(Array.from(ds.players.season)).toEqual([2022, 2022, 2023, 2023]);
    expect(ds.reports.map((r) => path.basename(r.file))).toEqual(['2022-23.csv', '2023-24.csv.gz']);
    // the same as two files named one by one, in any order
    const two = ingestFiles({
      playerLogs: [path.join(dir, 'logs/2023-24.csv.gz'), path.join(dir, 'logs/2022-23.csv')],
    });
    expect(Array.from(two.players.pra)).toEqual(Array.from(ds.players.pra));
  });

  it('a player-game in two files is an error naming both files', () => {
    const a = file('dup/a.csv', S2022);
    const b = file('dup/b.csv', [HEADER, S2022.split('\n')[2]!].join('\n'));
    const msg = dataErrorMessage(() => ingestFiles({ playerLogs: [a, b] }));
    expect(msg).toContain(b);
    expect(msg).toContain(`already in ${a}`);
    expect(msg).toMatch(/player 2 in game 0022200001 \(2022-10-18\)/);
    expect(dataErrorMessage(() => ingestFiles({ playerLogs: [a, a] }))).toMatch(/given twice/);
    mkdirSync(path.join(dir, 'empty'), { recursive: true });
    expect(dataErrorMessage(() => ingestFiles({ playerLogs: path.join(dir, 'empty') }))).toMatch(
      /empty: the folder given for the players table has no \.csv or \.csv\.gz files/,
    );
  });

  it('appends a season to a dataset folder: a new version with both seasons, and lines re-combined', () => {
    const out = path.join(dir, 'ds');
    const first = writeDataset(
      out,
      ingestFiles({
        playerLogs: file('p22.csv', S2022),
        lines: file(
          'l22.csv',
          `${LINES_H}\nBK,40.5,2022-10-18T20:00:00Z,-110,-110,0022200001,2022-10-18,2,B`,
        ),
      }),
    );
    const next = appendToDataset(out, {
      playerLogs: file('p23.csv', S2023),
      lines: file('l23.csv', `${LINES_H}\nBK,45.5,2023-10-24T20:00:00Z,-110,-110,0022300001,2023-10-24,2,B`),
    });
    expect(next.version.hash).not.toBe(first.version.hash);
    expect(next.version.seasons).toEqual(['2022-23', '2023-24']);
    const back = readDataset(out);
    expect(back.players.n).toBe(4);
    expect(back.lines!.n).toBe(2);
    expect(back.consensus!.n).toBe(2);
    expect(back.reports.map((r) => path.basename(r.file))).toEqual([
      'p22.csv',
      'l22.csv',
      'p23.csv',
      'l23.csv',
    ]);
    // appending the same season again is refused, naming the dataset and the file; nothing changes
    const again = dataErrorMessage(() => appendToDataset(out, { playerLogs: path.join(dir, 'p23.csv') }));
    expect(again).toContain(`already in dataset ${out}`);
    expect(readDataset(out).players.n).toBe(4);
  });
});
