import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PropflowError } from '../../../errors.js';
import { openStore } from '../../uri.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fresh(name: string): string {
  const d = path.join(dir, name);
  mkdirSync(d);
  return d;
}

async function openError(
  uri: string,
  options: { readOnly?: boolean; cwd?: string } = {},
): Promise<PropflowError> {
  const err = await openStore(uri, options).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PropflowError);
  return err as PropflowError;
}

function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((r) => r.name)
      .sort();
  } finally {
    db.close();
  }
}

describe('opening the embedded store never touches what it should not', () => {
  it('read-only: a missing store is an error naming the path and how to create one; nothing is created', async () => {
    const d = fresh('missing');
    const db = path.join(d, 'no', 'such', 'dir', 'x.db');
    const err = await openError(`sqlite:///${db}`, { readOnly: true });
    expect(err.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err.message).toContain(db);
    expect(err.message).toMatch(/propflow demo/);
    expect(readdirSync(d)).toEqual([]);
    // relative URIs resolve against cwd: nothing appears there either
    const err2 = await openError('sqlite:///propflow/tracking.db', { readOnly: true, cwd: d });
    expect(err2.message).toContain(path.join(d, 'propflow', 'tracking.db'));
    expect(readdirSync(d)).toEqual([]);
  });

  it('read-only open of an existing store reads it and creates no artifact folder or default experiment', async () => {
    const d = fresh('existing');
    const uri = `sqlite:///${path.join(d, 't.db')}`;
    const w = await openStore(uri);
    await w.createExperiment('exp');
    await w.close();
    rmSync(path.join(d, 'artifacts'), { recursive: true });
    const r = await openStore(uri, { readOnly: true });
    expect((await r.searchExperiments()).items.map((e) => e.name).sort()).toEqual(['Default', 'exp']);
    // a read-only store cannot write, even by mistake
    await expect(r.createExperiment('nope')).rejects.toThrow(/was opened read-only/);
    await expect(r.logArtifact('any', 'a.txt', 'x')).rejects.toThrow(/was opened read-only/);
    await r.close();
    expect(existsSync(path.join(d, 'artifacts'))).toBe(false);

    // A database from an older propflow (schema 1) is upgraded: reading it needs the new tables.
    const old = new Database(path.join(d, 't.db'));
    old.exec('DROP TABLE metrics_log; UPDATE schema_version SET version = 1');
    old.close();
    const r2 = await openStore(uri, { readOnly: true });
    expect((await r2.searchRuns({ experimentIds: ['1'] })).items).toEqual([]);
    await r2.close();
    expect(tablesOf(path.join(d, 't.db'))).toContain('metrics_log');
  });

  it("refuses another application's SQLite database untouched", async () => {
    const d = fresh('foreign');
    const file = path.join(d, 'app.db');
    const app = new Database(file);
    app.exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')",
    );
    app.close();
    const before = readFileSync(file);
    for (const readOnly of [false, true]) {
      const err = await openError(`sqlite:///${file}`, { readOnly });
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/not propflow's \(it has tables users\)/);
    }
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(tablesOf(file)).toEqual(['users']);
    expect(readdirSync(d)).toEqual(['app.db']);
  });

  it('refuses an MLflow database untouched and says how to serve it', async () => {
    const d = fresh('mlflow');
    const file = path.join(d, 'mlflow.db');
    const m = new Database(file);
    m.exec(
      "CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1'); CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT)",
    );
    m.close();
    const before = readFileSync(file);
    const err = await openError(`sqlite:///${file}`);
    expect(err.message).toMatch(
      /is an MLflow database: serve it with `mlflow server --backend-store-uri sqlite:\/\/\//,
    );
    expect(err.message).toMatch(/point propflow at http:\/\//);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(tablesOf(file)).toEqual(['alembic_version', 'experiments']);
    expect(readdirSync(d)).toEqual(['mlflow.db']);
  });

  it('a file that is not a database, a folder, a path through a file: errors naming the path, no artifacts/ left', async () => {
    const d = fresh('bad');
    const text = path.join(d, 'notes.db');
    writeFileSync(text, 'these are my notes, not a database\n'.repeat(100));
    const before = readFileSync(text);
    const e1 = await openError(`sqlite:///${text}`);
    expect(e1.message).toContain(`${text} is not an SQLite database`);
    expect(readFileSync(text).equals(before)).toBe(true);

    const through = path.join(text, 'x.db');
    const e2 = await openError(`sqlite:///${through}`);
    expect(e2.message).toContain(through);
    expect(e2.message).toMatch(/is a file, not a folder/);
    expect(e2.message).not.toMatch(/EEXIST|ENOTDIR/);

    const folder = fresh('bad/folder');
    const e3 = await openError(`sqlite:///${folder}`);
    expect(e3.message).toMatch(/is a folder, not a file/);
    expect(readdirSync(d).sort()).toEqual(['folder', 'notes.db']);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a new store is still created with its folder (write mode), and an interrupted first open is adopted', async () => {
    const d = fresh('new');
    const file = path.join(d, 'deep', 'er', 't.db');
    const s = await openStore(`sqlite:///${file}`);
    await s.close();
    expect(existsSync(file)).toBe(true);
    expect(existsSync(path.join(d, 'deep', 'er', 'artifacts'))).toBe(true);
    // A database holding only an empty schema_version table (an old first open that stopped).
    const half = path.join(d, 'half.db');
    const h0 = new Database(half);
    h0.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    h0.close();
    const h = await openStore(`sqlite:///${half}`);
    await h.close();
    expect(tablesOf(half)).toContain('runs');
  });
});
