import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { define } from './data.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `propflow data …` through the command definitions; returns stdout. */
async function run(...args: string[]): Promise<string> {
  // Parse errors are expected by some tests: keep commander from printing them to stderr.
  const program = new Command('propflow').exitOverride().configureOutput({ writeErr: () => {} });
  define(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['data', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('propflow data', () => {
  it('synth → describe --json → ingest of an exported CSV gives the same hash', async () => {
    const out = path.join(dir, 'league');
    const synthOut = JSON.parse(await run('synth', '--seed', '3', '--seasons', '1', '--out', out, '--json'));
    expect(existsSync(path.join(out, 'players.arrow'))).toBe(true);
    const d = JSON.parse(await run('describe', out, '--json'));
    for (const k of ['hash', 'n_samples', 'n_players', 'seasons', 'date_min', 'date_max'])
      expect(d).toHaveProperty(k);
    expect(d.hash).toBe(synthOut.hash);
    expect(d.seasons).toEqual(['2015-16']);
    // human output names the hash too
    expect(await run('describe', out)).toContain(`hash        ${d.hash}`);
    // export the players to an nba_api-style CSV and ingest it
    const { readDataset, formatDay, seasonLabel } = await import('../../data/index.js');
    const p = readDataset(out).players;
    const lines = [
      'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,FGM,FGA,FG3M,FG3A,FTM,FTA,OREB,DREB,REB,AST,STL,BLK,TOV,PF,PLUS_MINUS,SEASON_LABEL',
    ];
    for (let i = 0; i < p.n; i++) {
      const mu = p.home[i] ? `${p.team[i]} vs. ${p.opponent[i]}` : `${p.team[i]} @ ${p.opponent[i]}`;
      const stats = ['fgm', 'fga', 'fg3m', 'fg3a', 'ftm', 'fta', 'oreb', 'dreb'] as const;
      lines.push(
        [
          `2${p.season[i]}`,
          p.playerId[i],
          p.playerName[i],
          p.team[i],
          p.gameId[i],
          formatDay(p.date[i]!),
          mu,
          p.minutes[i],
          p.pts[i],
          ...stats.map((s) => p[s]![i]),
          p.reb[i],
          p.ast[i],
          p.stl![i],
          p.blk![i],
          p.tov![i],
          p.pf![i],
          p.plusMinus![i],
          seasonLabel(p.season[i]!),
        ].join(','),
      );
    }
    const csv = path.join(dir, 'league.csv');
    writeFileSync(
      csv,
      lines
        .reverse()
        .join('\n')
        .replace(/^(.*)\n([^\n]*SEASON_ID[^\n]*)$/s, '$2\n$1'),
    );
    const ingested = path.join(dir, 'ingested');
    const res = JSON.parse(await run('ingest', csv, '--out', ingested, '--json'));
    expect(res.hash).toBe(d.hash);
    expect(res.reports[0].rows_kept).toBe(p.n);
    const manifest = JSON.parse(readFileSync(path.join(ingested, 'dataset.json'), 'utf8'));
    expect(manifest.version.hash).toBe(d.hash);
  });

  it('errors: bad flags and bad files, nothing written', async () => {
    await expect(
      run('synth', '--seed', '-1', '--seasons', '1', '--out', path.join(dir, 'x')),
    ).rejects.toThrow(/--seed must be a whole number/);
    const bad = path.join(dir, 'semi.csv');
    writeFileSync(bad, 'A;B;C\n1;2;3\n');
    await expect(run('ingest', bad, '--out', path.join(dir, 'never'))).rejects.toThrow(/semicolon-separated/);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
    await expect(run('describe', path.join(dir, 'missing.csv'))).rejects.toThrow(/does not exist/);
  });

  it('ingest of several files, then --append-to adds a season as a new version', async () => {
    const h = 'SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,GAME_DATE,MATCHUP,MIN,PTS,REB,AST';
    const a = path.join(dir, 's22a.csv');
    const b = path.join(dir, 's22b.csv');
    const c = path.join(dir, 's23.csv');
    writeFileSync(a, `${h}\n22022,1,A,LAL,0022200001,2022-10-18,LAL @ DEN,30,20,5,5\n`);
    writeFileSync(b, `${h}\n22022,2,B,DEN,0022200001,2022-10-18,DEN vs. LAL,32,25,10,8\n`);
    writeFileSync(c, `${h}\n22023,1,A,LAL,0022300001,2023-10-24,LAL vs. DEN,31,18,6,4\n`);
    const out = path.join(dir, 'seasons');
    const first = JSON.parse(await run('ingest', a, b, '--out', out, '--json'));
    expect(first.n_samples).toBe(2);
    const next = JSON.parse(await run('ingest', c, '--append-to', out, '--json'));
    expect(next.n_samples).toBe(3);
    expect(next.seasons).toEqual(['2022-23', '2023-24']);
    expect(next.hash).not.toBe(first.hash);
    await expect(run('ingest', c, '--append-to', out)).rejects.toThrow(/already in dataset/);
    await expect(run('ingest', c)).rejects.toThrow(/--out <dir> for a new dataset, or --append-to/);
  });
});
