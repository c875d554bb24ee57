/**
 * `propflow serve` and `propflow monitor` as processes: start-up lines with a curl request that
 * works as pasted, graceful SIGTERM, a clear start-up error, and the monitor commands.
 */
import { type ChildProcess, execFile, execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeDataset } from '../../src/data/index.js';
import { addVersion, leagueUpTo, makeWorld, promote, type World } from './fixture.js';

const bin = path.resolve('bin/propflow.js');
const run = promisify(execFile);
let world: World;

beforeAll(async () => {
  world = await makeWorld({ seed: 9 });
}, 60_000);

afterAll(async () => {
  await world?.close();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: world.root, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function serve(args: string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    cwd: world.root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/\n {2}also: /.test(out)) resolve({ child, lines: out.split('\n') });
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

it('refuses to start without a Production version and names the promote command', async () => {
  const r = await cli(['serve', '--tracking-uri', world.trackingUri, '--port', '0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/No registered model 'NBAPropsModel'/);
  const v = await addVersion(world, { trees: 5 });
  const r2 = await cli(['serve', '--tracking-uri', world.trackingUri, '--port', '0']);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toMatch(
    /has no version with alias 'production'.*propflow registry promote --name NBAPropsModel --version N --stage Production/,
  );
  await promote(world.store, v);
}, 60_000);

it('serves with no --data (dataset_dir of training_info.json); the printed curl works; SIGTERM stops it cleanly', async () => {
  const db = path.join(world.root, 'serving.db');
  const { child, lines } = await serve([
    '--tracking-uri',
    world.trackingUri,
    '--port',
    '0',
    '--monitor-db',
    db,
  ]);
  const curl = lines
    .find((l) => l.startsWith('  try:'))!
    .slice('  try:'.length)
    .trim();
  expect(curl).toMatch(/^curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v1\/predictions/);
  const answer = JSON.parse(execSync(curl, { encoding: 'utf8' })) as {
    predictions: Array<{ prediction: number; p_over: number }>;
  };
  expect(answer.predictions[0]!.prediction).toBeGreaterThan(0);
  expect(answer.predictions[0]!.p_over).toBeGreaterThanOrEqual(0);
  expect(lines.some((l) => l.includes(world.dataDir))).toBe(true);
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  // the prediction was recorded: status shows it waiting for results; ingest joins it
  const status = await cli([
    'monitor',
    'status',
    '--monitor-db',
    db,
    '--tracking-uri',
    world.trackingUri,
    '--json',
  ]);
  expect(status.code).toBe(0);
  const s = JSON.parse(status.stdout) as { versions: Array<{ served: number; waiting_for_results: number }> };
  expect(s.versions[0]).toMatchObject({ served: 1, waiting_for_results: 1 });
  writeDataset(world.dataDir, leagueUpTo(world.league, world.cut + 3), { force: true });
  const ingest = await cli([
    'monitor',
    'ingest',
    '--data',
    world.dataDir,
    '--monitor-db',
    db,
    '--tracking-uri',
    world.trackingUri,
    '--json',
  ]);
  expect(ingest.code).toBe(0);
  const report = JSON.parse(ingest.stdout) as {
    joined: number;
    did_not_play: number;
    versions: Array<{ total_games: number }>;
  };
  expect(report.joined + report.did_not_play).toBe(1);
  const table = await cli(['monitor', 'status', '--monitor-db', db, '--tracking-uri', world.trackingUri]);
  expect(table.stdout).toMatch(/val_mae/);
  expect(table.stderr).toMatch(/^store: sqlite:/);
  // read-only: a store that does not exist is an error and is not created
  const noStore = path.join(world.root, 'absent', 'tracking.db');
  const ro = await cli(['monitor', 'status', '--monitor-db', db, '--tracking-uri', `sqlite:///${noStore}`]);
  expect(ro.code).toBe(2);
  expect(existsSync(noStore)).toBe(false);
  const missing = await cli(['monitor', 'status', '--monitor-db', path.join(world.root, 'nope.db')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/No monitoring database/);
}, 90_000);
