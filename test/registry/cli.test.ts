import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criteriaFromObject, ModelRegistry, replay } from '../../src/registry/index.js';
import { startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';
import { historyProblems, makeRun } from './workflow.js';

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
    // The decision, then what carrying it out changed (alias first: serving reads it), then its outcome.
    expect(events.map((e) => e['action'])).toEqual([
      'register',
      'evaluate',
      'promote',
      'set_alias',
      'transition',
      'outcome',
    ]);
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

describe('propflow registry (command line, racing processes against a live propflow server)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let store: TrackingStore;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'propflow-registry-race-'));
    server = await startServer({
      backendStoreUri: `sqlite:///${path.join(dir, 'server.db')}`,
      artifactsDestination: path.join(dir, 'artifacts'),
      host: '127.0.0.1',
      port: 0,
    });
    store = await openStore(server.url);
  });

  afterAll(async () => {
    await store?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rounds of racing promote/rollback processes: one Production, @production always one version, a truthful history', async () => {
    const name = 'RaceServerModel';
    const registry = new ModelRegistry(store, { actor: 'setup' });
    const exp = await store.createExperiment('cli-server-race');
    const criteria = criteriaFromObject({ criteria: [{ metric: 'val_mae', max: 6 }] });
    for (const val_mae of [5.9, 5.8, 5.7, 5.6]) {
      const reg = await registry.register({ runId: await makeRun(store, exp, { val_mae }), name });
      if (reg.registered) await registry.evaluate({ name, version: reg.version, criteria });
    }
    await registry.promote({ name, version: '1', stage: 'Production' });

    // A serving process's view while the processes race: the alias must always name exactly
    // one version; the stage view may briefly show two Production versions (two racing
    // archive-and-promote calls), and that window is measured.
    let polling = true;
    let samples = 0;
    let aliasMissing = 0;
    let doubleSamples = 0;
    let doubleSince: number | null = null;
    let longestDoubleMs = 0;
    const poll = (async () => {
      while (polling) {
        const [versions, alias] = await Promise.all([
          registry.listVersions(name),
          store.getModelVersionByAlias(name, 'production').then(
            (v) => v.version,
            () => null,
          ),
        ]);
        samples++;
        if (alias === null) aliasMissing++;
        const now = Date.now();
        if (versions.filter((v) => v.currentStage === 'Production').length > 1) {
          doubleSamples++;
          doubleSince ??= now;
          longestDoubleMs = Math.max(longestDoubleMs, now - doubleSince);
        } else doubleSince = null;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const env = { MLFLOW_TRACKING_URI: server.url };
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const commands = [0, 1, 2].map((i) =>
        (round + i) % 3 === 2
          ? ['registry', 'rollback', '--name', name, '--reason', `round ${round}`, '--json']
          : [
              'registry',
              'promote',
              '--name',
              name,
              '--version',
              String(((round + i) % 4) + 1),
              '--stage',
              'Production',
              '--json',
            ],
      );
      const results = await Promise.all(
        commands.map((args, i) => propflow(args, { ...env, PROPFLOW_ACTOR: `proc${round}.${i}` })),
      );
      for (const [i, r] of results.entries()) {
        // A rollback may be refused when Production moved underneath it or there is nothing
        // to return to (exit 2, nothing changed); a promotion may be a no-op. No crash, no 500.
        // With --json the error is JSON on stdout.
        const said = r.stderr + r.stdout;
        expect(said, commands[i]!.join(' ')).not.toMatch(/INTERNAL_ERROR|at .*\.ts:\d+/);
        if (r.code !== 0) {
          expect(r.code, said).toBe(2);
          expect(JSON.parse(r.stdout).message, commands[i]!.join(' ')).toMatch(
            /nothing (was )?changed|is the Production version/,
          );
        }
      }
      const history = await registry.history(name);
      const problems = historyProblems(history);
      if (problems.length > 0)
        process.stderr.write(
          `${history.map((e) => `#${e.seq} ${e.actor} ${e.action} v${e.version} ${e.from}→${e.to} d=${e.decision ?? ''} ${e.reason ?? ''}`).join('\n')}\n`,
        );
      expect(problems, `round ${round}`).toEqual([]);
      const winner = replay(history).production!.version;
      const production = (await registry.listVersions(name)).filter((v) => v.currentStage === 'Production');
      expect(
        production.map((v) => v.version),
        `round ${round}`,
      ).toEqual([winner]);
      expect((await store.getModelVersionByAlias(name, 'production')).version).toBe(winner);
    }
    polling = false;
    await poll;
    process.stderr.write(
      `registry race over ${rounds} rounds: ${samples} polls, @production missing in ${aliasMissing}, two Production versions in ${doubleSamples} (longest ${longestDoubleMs} ms)\n`,
    );
    expect(samples).toBeGreaterThan(10);
    expect(aliasMissing).toBe(0);
  }, 120_000);
});
