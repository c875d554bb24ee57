import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criteriaFromObject, ModelRegistry, replay } from '../../src/registry/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';
import { makeRun } from './workflow.js';

const BIN = path.resolve('bin/propflow.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function propflow(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('propflow registry (command line, embedded store)', () => {
  let dir: string;
  let uri: string;
  let store: TrackingStore;
  let good: string;
  let bad: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'propflow-registry-cli-'));
    uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
    store = await openStore(uri);
    const exp = await store.createExperiment('cli');
    good = await makeRun(store, exp, { val_mae: 5.6, n_bets: 700 }, [
      'model/MLmodel',
      'validation_predictions.csv',
    ]);
    bad = await makeRun(store, exp, { val_mae: 6.3, n_bets: 700 });
    await writeFile(
      path.join(dir, 'criteria.yaml'),
      'criteria:\n  - metric: val_mae\n    max: 6.0\n  - artifact: validation_predictions.csv\n',
    );
  });

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the workflow with --tracking-uri, --json and exit codes that tell what happened', async () => {
    // The flag wins over MLFLOW_TRACKING_URI (which points nowhere useful here).
    const env = { MLFLOW_TRACKING_URI: 'sqlite:////nonexistent/dir/x.db', PROPFLOW_ACTOR: 'ci-bot' };
    const at = ['--tracking-uri', uri];

    const rejected = await propflow(
      ['registry', 'register', '--run-id', bad, '--gate', 'val_mae<6.0', ...at],
      env,
    );
    expect(rejected.code).toBe(3);
    expect(rejected.stdout).toMatch(/Not registered: val_mae=6.3 does not pass the gate val_mae < 6.0/);

    const reg = await propflow(
      ['registry', 'register', '--run-id', good, '--gate', 'val_mae<6.0', '--json', ...at],
      env,
    );
    expect(reg.code).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ registered: true, version: '1', name: 'NBAPropsModel' });

    const promoteEarly = await propflow(
      ['registry', 'promote', '--version', '1', '--stage', 'Production', ...at],
      env,
    );
    expect(promoteEarly.code).toBe(2);
    expect(promoteEarly.stderr).toMatch(
      /^error: Version 1 of 'NBAPropsModel' was never evaluated; run 'propflow registry evaluate/m,
    );

    const evaluated = await propflow(
      ['registry', 'evaluate', '--version', '1', '--criteria', path.join(dir, 'criteria.yaml'), ...at],
      env,
    );
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/val_mae <= 6 .*5\.6 .*PASS/);
    expect(evaluated.stdout).toMatch(/NBAPropsModel version 1: PASSED/);

    const promoted = await propflow(
      ['registry', 'promote', '--version', '1', '--stage', 'production', ...at],
      env,
    );
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(/version 1: None → Production/);

    const rollback = await propflow(['registry', 'rollback', '--reason', 'drift', ...at], env);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toMatch(/No earlier Production version.*--to-version/);

    // Without the flag, MLFLOW_TRACKING_URI is used.
    const history = await propflow(['registry', 'history', '--json'], { ...env, MLFLOW_TRACKING_URI: uri });
    expect(history.code).toBe(0);
    const historyJson = JSON.parse(history.stdout) as {
      store: string;
      events: Array<Record<string, unknown>>;
    };
    expect(historyJson.store).toBe(uri);
    expect(history.stderr).toBe(`store: ${uri}\n`);
    const events = historyJson.events;
    expect(events.map((e) => e['action'])).toEqual(['register', 'evaluate', 'promote', 'set_alias']);
    expect(events.every((e) => e['actor'] === 'ci-bot')).toBe(true);
    expect(Object.keys(events[0]!)).toEqual([
      'seq',
      'time',
      'actor',
      'action',
      'version',
      'from',
      'to',
      'reason',
    ]);

    const show = await propflow(['registry', 'show'], { ...env, MLFLOW_TRACKING_URI: uri });
    expect(show.stdout).toMatch(
      /models:\/NBAPropsModel\/Production and models:\/NBAPropsModel@production → v1/,
    );
  });

  it('three processes promoting at once leave one Production version and a history of all three', async () => {
    const name = 'RaceModel';
    const registry = new ModelRegistry(store, { actor: 'setup' });
    const exp = await store.createExperiment('cli-race');
    const criteria = criteriaFromObject({ criteria: [{ metric: 'val_mae', max: 6 }] });
    for (const val_mae of [5.9, 5.8, 5.7, 5.6]) {
      const reg = await registry.register({ runId: await makeRun(store, exp, { val_mae }), name });
      if (reg.registered) await registry.evaluate({ name, version: reg.version, criteria });
    }
    await registry.promote({ name, version: '1', stage: 'Production' });
    const results = await Promise.all(
      ['2', '3', '4'].map((v) =>
        propflow(['registry', 'promote', '--name', name, '--version', v, '--stage', 'Production', '--json'], {
          MLFLOW_TRACKING_URI: uri,
          PROPFLOW_ACTOR: `proc${v}`,
        }),
      ),
    );
    for (const r of results) {
      expect(r.stderr).not.toMatch(/error:/);
      expect(r.code).toBe(0);
    }
    const history = await registry.history(name);
    expect(history.map((e) => e.seq)).toEqual(history.map((_, i) => i + 1));
    const decisions = history.filter((e) => e.action === 'promote');
    expect(decisions.map((e) => e.version).sort()).toEqual(['1', '2', '3', '4']);
    const winner = replay(history).production!.version;
    expect(winner).toBe(decisions.at(-1)!.version);
    const production = (await registry.listVersions(name)).filter((v) => v.currentStage === 'Production');
    expect(production.map((v) => v.version)).toEqual([winner]);
    expect((await store.getModelVersionByAlias(name, 'production')).version).toBe(winner);
  });
});
