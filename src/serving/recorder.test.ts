import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { PredictionRecorder, type RecordedPrediction } from './recorder.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const row = (i: number, day = 20_000): RecordedPrediction => ({
  requestId: `r${i}`,
  servedAt: 1,
  modelName: 'M',
  modelVersion: '1',
  runId: 'run',
  playerId: i % 3,
  day,
  team: 'AAA',
  opponent: 'BBB',
  home: true,
  line: i % 2 ? 20.5 : null,
  prediction: 20 + i,
  pOver: null,
  inactive: null,
});

const tick = () => new Promise((r) => setImmediate(r));

it('writes queued rows on the next tick, joins results, and counts a game once per version', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-rec-'));
  dirs.push(dir);
  const rec = new PredictionRecorder(path.join(dir, 'serving.db'));
  rec.record([row(0), row(1), row(2), row(3)]); // players 0, 1, 2, 0
  expect(rec.counts()).toEqual([]);
  await tick();
  expect(rec.counts()).toEqual([{ modelName: 'M', modelVersion: '1', served: 4, open: 4, joined: 0 }]);
  const open = rec.openPredictions(20_000);
  rec.saveResults(open.map((o) => ({ id: o.id, actual: o.playerId === 2 ? null : 21, gameId: 'g' })));
  const joined = rec.joined();
  // player 0 was asked twice: its latest prediction (row 3: 23) counts; player 2 did not play
  expect(joined.map((j) => [j.playerId, j.prediction])).toEqual([
    [1, 21],
    [0, 23],
  ]);
  rec.close();
});

it('reports a failed write instead of throwing, and keeps serving', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-rec-'));
  dirs.push(dir);
  const file = path.join(dir, 'serving.db');
  const errors: Array<[string, number]> = [];
  const rec = new PredictionRecorder(file, { onError: (e, n) => errors.push([e.message, n]) });
  const other = new Database(file);
  other.exec('DROP TABLE predictions');
  other.close();
  rec.record([row(0), row(1)]);
  await tick();
  expect(errors).toHaveLength(1);
  expect(errors[0]![0]).toMatch(/predictions/);
  expect(errors[0]![1]).toBe(2);
  expect(rec.failedRows).toBe(2);
  rec.close();
});
