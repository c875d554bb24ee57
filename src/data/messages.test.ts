import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset, readMappingFile, readPropLines, synthesizeLeague, writeDataset } from './index.js';
import { dataErrorMessage } from './test-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-data-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('damaged datasets and wrong mappings: the message names the file and the fix', () => {
  const ds = synthesizeLeague({ seed: 5, seasons: 1 });

  it('a corrupt dataset.json names the file and says to re-ingest', () => {
    const out = path.join(dir, 'corrupt-json');
    writeDataset(out, ds);
    writeFileSync(path.join(out, 'dataset.json'), '{"format": "propflow-dataset", "vers');
    const m = dataErrorMessage(() => readDataset(out));
    expect(m).toContain(path.join(out, 'dataset.json'));
    expect(m).toMatch(/re-ingest the dataset \(`propflow data ingest … --out .* --force`/);
  });

  it('a truncated .arrow file names the file and says to re-ingest', () => {
    const out = path.join(dir, 'truncated');
    writeDataset(out, ds);
    truncateSync(path.join(out, 'players.arrow'), 512);
    const m = dataErrorMessage(() => readDataset(out));
    expect(m).toContain(`${path.join(out, 'players.arrow')}: not a readable Arrow IPC file`);
    expect(m).toMatch(/truncated or damaged\. Fix: re-ingest the dataset/);
  });

  it('a missing lines column: the hint is a mapping file that actually works', () => {
    const header =
      'player_name,bookmaker,PROP_LINE,over_price,under_price,nba_game_id,nba_game_date,nba_player_id';
    const csv = path.join(dir, 'lines.csv');
    writeFileSync(csv, `${header}\nA,B1,20.5,-110,-110,0022300555,2024-01-15,5\n`);
    const m = dataErrorMessage(() => readPropLines(csv));
    const hint = /write (\{.*\}) to mapping\.json and pass --mapping mapping\.json/.exec(m);
    expect(hint, m).not.toBeNull();
    // Following the hint word for word (with the real column name) reads the file.
    const mappingFile = path.join(dir, 'mapping.json');
    writeFileSync(mappingFile, hint![1]!.replace('YOUR_COLUMN', 'PROP_LINE'));
    const { table } = readPropLines(csv, readMappingFile(mappingFile));
    expect(table.n).toBe(1);
    expect(readdirSync(dir)).toContain('mapping.json');
  });
});
