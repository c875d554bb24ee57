import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import {
  consensusLines,
  formatDay,
  ingestFiles,
  parseMapping,
  readPlayerGames,
  readPropLines,
  readTeamGames,
  writeDataset,
} from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER =
  'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,WL,MIN,PTS,FGM,FGA,REB,AST,TOV,PLUS_MINUS';
const GOOD = [
  HEADER,
  '22023,1,Anthony Davis,LAL,0022300061,2023-10-24,LAL @ DEN,L,34,17,6,17,8,5,2,-12',
  '22023,2,Nikola Jokić,DEN,0022300061,2023-10-24,DEN vs. LAL,W,35:30,29,12,20,13,11,3,12',
  '22023,3,Jamal Murray,DEN,0022300061,2023-10-24,DEN vs. LAL,W,0,0,0,0,0,0,0,0',
  '42023,1,Anthony Davis,LAL,0042300101,2024-04-20,LAL @ DEN,L,40,32,12,23,14,2,1,-4',
  '22023,1,Anthony Davis,LAL,0022300077,2023-10-26,LAL vs. PHX,W,31,17,7,12,8,4,,5',
];

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The DataError message a file gets. */
function errorOf(
  name: string,
  content: string | Buffer,
  read: (f: string) => unknown = readPlayerGames,
): string {
  const p = file(name, content);
  try {
    read(p);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  throw new Error(`${name}: expected an error`);
}

function withRow(row: string): string {
  return [...GOOD.slice(0, 3), row].join('\n');
}

describe('player game logs: good input', () => {
  it('reads nba_api layout, MM:SS minutes, matchup home/away, left-out playoff rows are counted', () => {
    const { table, report } = readPlayerGames(file('good.csv', GOOD.join('\n')));
    expect(table.n).toBe(4);
    expect(report.excluded).toEqual({ 'not regular season (Playoffs)': 1 });
    expect(report.rowsRead).toBe(5);
    expect(report.ignoredColumns).toEqual(['WL']);
    // sorted by date, game, team, player
    expect(table.gameId).toEqual(['0022300061', '0022300061', '0022300061', '0022300077']);
    expect(formatDay(table.date[0]!)).toBe('2023-10-24');
    expect(table.season[0]).toBe(2023);
    expect(table.team.slice(0, 3)).toEqual(['DEN', 'DEN', 'LAL']);
    expect(table.opponent.slice(0, 3)).toEqual(['LAL', 'LAL', 'DEN']);
    expect(Array.from(table.home)).toEqual([1, 1, 0, 1]);
    expect(table.minutes[0]).toBeCloseTo(35.5, 5);
    expect(table.playerName[0]).toBe('Nikola Jokić');
    expect(Array.from(table.pra)).toEqual([53, 0, 30, 29]);
    expect(table.tov![3]).toBeNaN();
    expect(table.fg3m).toBeUndefined();
  });

  it('reads Windows line endings and a UTF-8 byte order mark the same', () => {
    const a = readPlayerGames(file('lf.csv', GOOD.join('\n'))).table;
    const b = readPlayerGames(file('crlf.csv', `\uFEFF${GOOD.join('\r\n')}\r\n`)).table;
    expect(b).toEqual(a);
  });

  it('reads gzip the same as plain text', () => {
    const a = readPlayerGames(file('plain.csv', GOOD.join('\n'))).table;
    const b = readPlayerGames(file('zipped.csv.gz', gzipSync(GOOD.join('\n')))).table;
    expect(b).toEqual(a);
  });

  it('reads PlayerGameLogs-style dates and a neutral-site matchup listed the same for both teams', () => {
    const csv = [
      'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,REB,AST',
      '22022,10,A,CHI,0022200667,2023-01-19T00:00:00,CHI @ DET,30,10,5,5',
      '22022,11,B,DET,0022200667,JAN 19, 2023,CHI @ DET,30,10,5,5',
    ].join('\n');
    const { table } = readPlayerGames(file('neutral.csv', csv.replace('JAN 19, 2023', '"JAN 19, 2023"')));
    expect(table.date[0]).toBe(table.date[1]);
    expect(table.team).toEqual(['CHI', 'DET']);
    expect(Array.from(table.home)).toEqual([0, 1]);
    expect(table.opponent).toEqual(['DET', 'CHI']);
  });

  it('reads another layout through a column mapping (semicolons, renamed columns, no matchup)', () => {
    const csv = [
      'game;day;pid;who;club;vs;at_home;mins;points;boards;dimes',
      '0001;10/24/2023;7;X;AAA;BBB;1;20;10;4;2',
      '0001;10/24/2023;8;Y;BBB;AAA;0;25;12;6;3',
    ].join('\n');
    const mapping = parseMapping({
      delimiter: ';',
      columns: {
        gameId: 'game',
        date: 'day',
        playerId: 'pid',
        playerName: 'who',
        team: 'club',
        opponent: 'vs',
        home: 'at_home',
        minutes: 'mins',
        pts: 'points',
        reb: 'boards',
        ast: 'dimes',
      },
    });
    const { table } = readPlayerGames(file('mapped.csv', csv), mapping);
    expect(table.n).toBe(2);
    expect(table.gameId[0]).toBe('0001');
    expect(table.season[0]).toBe(2023);
    expect(Array.from(table.pra)).toEqual([16, 21]);
  });
});

describe('player game logs: each broken file gets its precise error', () => {
  it('empty file', () => {
    expect(errorOf('empty.csv', '')).toMatch(/empty\.csv: the file is empty/);
    expect(errorOf('header-only.csv', `${HEADER}\n`)).toMatch(/header but no data rows/);
  });

  it('missing required column', () => {
    const csv = GOOD.map((l) => l.split(',').slice(0, 8).concat(l.split(',').slice(9)).join(',')).join('\n');
    const msg = errorOf('no-min.csv', csv);
    expect(msg).toMatch(/no-min\.csv: required column 'MIN' \(minutes/);
    expect(msg).toMatch(
      /write \{"columns": \{"minutes": "YOUR_COLUMN"\}\} to mapping\.json and pass --mapping mapping\.json/,
    );
  });

  it('unparsable date', () => {
    const msg = errorOf(
      'bad-date.csv',
      withRow('22023,4,X,LAL,0022300061,2023-13-45,LAL @ DEN,L,10,1,1,1,1,1,0,0'),
    );
    expect(msg).toBe(
      `${path.join(dir, 'bad-date.csv')}: data row 3 (line 4), column 'GAME_DATE': value '2023-13-45' is not a date. ` +
        'Fix: write dates as YYYY-MM-DD (also read: YYYY-MM-DDT00:00:00, MMM DD, YYYY, MM/DD/YYYY).',
    );
  });

  it('negative and impossible minutes', () => {
    expect(
      errorOf('neg-min.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,-3,1,1,1,1,1,0,0')),
    ).toMatch(/data row 3 \(line 4\), column 'MIN': value '-3' is negative minutes/);
    expect(
      errorOf('big-min.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,2040,1,1,1,1,1,0,0')),
    ).toMatch(/column 'MIN': value '2040' is more minutes than a game allows \(at most 73\).*not seconds/);
    expect(
      errorOf('bad-mmss.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,34:75,1,1,1,1,1,0,0')),
    ).toMatch(/column 'MIN': value '34:75' is not minutes/);
  });

  it('duplicate player-game', () => {
    const msg = errorOf('dup.csv', withRow(GOOD[1]!));
    expect(msg).toMatch(
      /data row 3 \(line 4\), column 'PLAYER_ID': value '1' repeats player 1 in game 0022300061, already in data row 1 \(duplicate player-game\)/,
    );
  });

  it('team not in the game (matchup disagrees, or a third team in a game)', () => {
    expect(
      errorOf('team-mu.csv', withRow('22023,4,X,GSW,0022300061,2023-10-24,LAL @ DEN,L,10,1,1,1,1,1,0,0')),
    ).toMatch(
      /column 'MATCHUP': value 'LAL @ DEN' does not include the row's team 'GSW' \(team not in the game\)/,
    );
    expect(
      errorOf('team-3rd.csv', withRow('22023,4,X,GSW,0022300061,2023-10-24,GSW vs. BOS,W,10,1,1,1,1,1,0,0')),
    ).toMatch(
      /column 'TEAM_ABBREVIATION': value 'GSW' with opponent 'BOS' is not in game 0022300061, which data row 1 says is LAL vs DEN/,
    );
  });

  it('non-numeric stats', () => {
    expect(
      errorOf('nan-pts.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,10,ten,1,1,1,1,0,0')),
    ).toMatch(/data row 3 \(line 4\), column 'PTS': value 'ten' is not a number \(points\)/);
    expect(
      errorOf('blank-reb.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,10,1,1,1,,1,0,0')),
    ).toMatch(/column 'REB': value '' is blank but rebounds is required/);
    expect(
      errorOf('nan-fga.csv', withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,10,1,1,1 0,1,1,0,0')),
    ).toMatch(/column 'FGA': value '1 0' is not a number/);
  });

  it('wrong delimiter', () => {
    const msg = errorOf('semi.csv', GOOD.map((l) => l.replaceAll(',', ';')).join('\n'));
    expect(msg).toMatch(
      /semi\.csv: line 1 \(header\) has no ',' but semicolons .* the file is semicolon-separated/,
    );
    expect(msg).toMatch(/--mapping with \{"delimiter": ";"\}/);
    expect(errorOf('tab.csv', GOOD.map((l) => l.replaceAll(',', '\t')).join('\n'))).toMatch(/tab-separated/);
  });

  it('wrong encoding: UTF-16 and Latin-1', () => {
    const text = GOOD.join('\n');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(errorOf('utf16.csv', utf16)).toMatch(
      /utf16\.csv: the file is UTF-16 \(byte order mark 0xFF 0xFE\).*iconv/,
    );
    expect(errorOf('utf16-nobom.csv', Buffer.from(text, 'utf16le'))).toMatch(/NUL bytes .* UTF-16/);
    const latin1 = Buffer.from(text, 'latin1'); // 'ć' is not Latin-1; 'Jokić' → 'Joki?' so add an 'é'
    const withE = Buffer.concat([
      latin1,
      Buffer.from('\n22023,9,Jos', 'latin1'),
      Buffer.from([0xe9]),
      Buffer.from(',LAL,0022300061,2023-10-24,LAL @ DEN,L,1,0,0,0,0,0,0,0', 'latin1'),
    ]);
    expect(errorOf('latin1.csv', withE)).toMatch(
      /latin1\.csv: line 7 is not valid UTF-8 \(bytes 0xE9 .*Latin-1.*iconv -f WINDOWS-1252/,
    );
  });

  it('ragged rows and broken gzip', () => {
    expect(errorOf('ragged.csv', withRow('22023,4,X,LAL'))).toMatch(
      /CSV syntax error at line 4.*as many fields as the header/,
    );
    expect(errorOf('broken.csv.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toMatch(
      /starts like gzip but does not decompress/,
    );
  });

  it('several bad rows: the first is shown with how many rows have problems', () => {
    const bad = [
      ...GOOD.slice(0, 3),
      '22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,10,x,1,1,1,1,0,0',
      '22023,5,Y,LAL,0022300061,2023-10-24,LAL @ DEN,L,-2,1,1,1,1,1,0,0',
      '22023,6,Z,LAL,0022300061,24/10/2023,LAL @ DEN,L,10,1,1,1,1,1,0,0',
    ].join('\n');
    expect(errorOf('many.csv', bad)).toMatch(
      /data row 3 \(line 4\), column 'PTS': value 'x' is not a number .* \(3 rows have problems; this is the first\)$/,
    );
  });

  it('a mapping naming a column that is not there', () => {
    const p = file('m.csv', GOOD.join('\n'));
    expect(() => readPlayerGames(p, parseMapping({ columns: { minutes: 'Minutes' } }))).toThrow(
      /the mapping says field 'minutes' is column 'Minutes', but the header has no such column/,
    );
    expect(() => parseMapping({ columns: { minute: 'MIN' } })).toThrow(/unknown players field 'minute'/);
  });

  it('a failed ingest leaves nothing behind', () => {
    const out = path.join(dir, 'never');
    const bad = file(
      'bad-for-out.csv',
      withRow('22023,4,X,LAL,0022300061,2023-10-24,LAL @ DEN,L,-1,1,1,1,1,1,0,0'),
    );
    expect(() => writeDataset(out, ingestFiles({ playerLogs: bad }))).toThrow(/negative minutes/);
    expect(readdirSync(dir).filter((f) => f.includes('never'))).toEqual([]);
  });
});

describe('team logs and prop lines', () => {
  it('team logs: non-regular-season rows counted, exhibition duplicates never reach the check', () => {
    const csv = [
      'SEASON_ID,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,REB,AST,FGA,FTA,OREB,TOV',
      '12023,AAA,0012300036,2023-10-10,AAA vs. BBB,240,0,0,0,0,0,0,0',
      '12023,AAA,0012300036,2023-10-10,AAA vs. BBB,240,100,40,20,80,20,10,12',
      '22023,AAA,0022300001,2023-10-24,AAA vs. BBB,265,110,44,25,88,22,9,13',
      '22023,BBB,0022300001,2023-10-24,BBB @ AAA,265,108,41,23,90,18,11,14',
    ].join('\n');
    const { table, report } = readTeamGames(file('teams.csv', csv));
    expect(table.n).toBe(2);
    expect(report.excluded).toEqual({ 'not regular season (Preseason)': 2 });
    expect(table.minutes[0]).toBe(265);
    // checked against player rows: one team-game agrees, the other differs (player rows sum to 25 points)
    const players = [
      'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,REB,AST',
    ];
    for (let k = 0; k < 5; k++) {
      players.push(`22023,${k + 1},A${k},AAA,0022300001,2023-10-24,AAA vs. BBB,53,22,${k < 4 ? 9 : 8},5`);
      players.push(
        `22023,${k + 11},B${k},BBB,0022300001,2023-10-24,BBB @ AAA,53,5,${k < 1 ? 9 : 8},${k < 3 ? 5 : 4}`,
      );
    }
    const ds = ingestFiles({
      playerLogs: file('p-for-teams.csv', players.join('\n')),
      teamLogs: file('teams2.csv', csv),
    });
    expect(ds.reports[1]!.checks).toEqual({
      team_games_matching_player_sums: 1,
      team_games_differing_from_player_sums: 1,
      player_team_games_missing_from_team_logs: 0,
      team_log_games_without_player_rows: 0,
    });
    const dupe = csv.split('\n');
    expect(errorOf('teams-dup.csv', [...dupe, dupe[3]!].join('\n'), readTeamGames)).toMatch(
      /repeats team AAA in game 0022300001, already in data row 3 \(duplicate team-game\)/,
    );
  });

  it('prop lines: first snapshot, regular season, resolved players; consensus = median line and best prices', () => {
    const h =
      'player_name,bookmaker,line,timestamp,over_price,under_price,nba_game_id,nba_game_date,nba_season_type,nba_player_id';
    const csv = [
      h,
      'A,B1,20.5,2024-01-15T18:00:00Z,-110.0,-110.0,0022300555,2024-01-15,Regular Season,5',
      'A,B2,21.5,2024-01-15T18:00:00Z,-120.0,100.0,0022300555,2024-01-15,Regular Season,5',
      'A,B3,21.5,2024-01-15T18:00:00Z,105.0,,0022300555,2024-01-15,Regular Season,5',
      'A,B1,27.5,2024-01-15T19:10:00Z,-110.0,-110.0,0022300555,2024-01-15,Regular Season,5',
      'Z,B1,9.5,2024-01-15T18:00:00Z,-110.0,-110.0,0022300555,2024-01-15,Regular Season,',
      'A,B1,30.5,2024-04-20T18:00:00Z,-110.0,-110.0,0042300101,2024-04-20,Playoffs,5',
    ].join('\n');
    const { table, report } = readPropLines(file('lines.csv', csv));
    expect(table.n).toBe(3);
    expect(report.excluded).toEqual({
      'later odds snapshot of the game (first snapshot kept)': 1,
      'player not matched to an NBA player id (blank)': 1,
      'not regular season (Playoffs)': 1,
    });
    const c = consensusLines(table);
    expect(c.n).toBe(1);
    expect(c.line[0]).toBe(21.5);
    expect(c.overOdds[0]).toBe(105);
    expect(c.underOdds[0]).toBe(100);
    expect(c.nBooks[0]).toBe(3);
    expect(c.snapshotTime[0]).toBe('2024-01-15T18:00:00Z');
    expect(table.underOdds[2]).toBeNaN();
    expect(
      errorOf(
        'bad-odds.csv',
        `${h}\nA,B1,20.5,t,-50,-110,0022300555,2024-01-15,Regular Season,5`,
        readPropLines,
      ),
    ).toMatch(/column 'over_price': value '-50' is not American odds/);
  });
});
