/**
 * The registry workflow suite, run against every store: the embedded store, a live propflow
 * server through the REST store, and any MLflow server named by PROPFLOW_TEST_TRACKING_URI.
 * Each test uses its own registered model name, so a shared server can run it repeatedly.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PropflowError } from '../../src/errors.js';
import {
  criteriaFromObject,
  EVALUATION_TAG,
  type HistoryEvent,
  ModelRegistry,
  REGISTRATION_RUN_TAG,
  ROLLBACK_REASON_TAG,
  replay,
} from '../../src/registry/index.js';
import { resolveModelUri, type TrackingStore } from '../../src/tracking/index.js';

export interface StoreFixture {
  /** Open another client of the same backend (race tests use two). */
  open(): Promise<TrackingStore>;
  teardown?(): Promise<void>;
}

const BASE_METRICS = { val_mae: 5.6, betting_roi: 0.031, betting_win_rate: 0.547, n_bets: 812, n_folds: 180 };

/** A finished run with metrics and artifacts (default: a `model/MLmodel` file). */
export async function makeRun(
  store: TrackingStore,
  experimentId: string,
  metrics: Record<string, number>,
  artifacts: string[] = ['model/MLmodel'],
): Promise<string> {
  const run = await store.createRun({ experimentId, runName: `run-${randomUUID().slice(0, 8)}` });
  const runId = run.info.runId;
  const now = Date.now();
  await store.logBatch(runId, {
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })),
  });
  for (const path of artifacts) {
    const content = path.endsWith('MLmodel')
      ? `artifact_path: model\nflavors:\n  propflow:\n    format: gbdt\nrun_id: ${runId}\n`
      : 'player_id,pred\n1,30.5\n';
    await store.logArtifact(runId, path, content);
  }
  await store.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
  return runId;
}

async function productionVersions(registry: ModelRegistry, name: string): Promise<string[]> {
  return (await registry.listVersions(name))
    .filter((v) => v.currentStage === 'Production')
    .map((v) => v.version)
    .sort();
}

/**
 * The invariants after any workflow step: exactly one Production version (when one is
 * expected), `models:/NAME/Production` and `models:/NAME@production` name it, the history
 * replays to it, and sequence numbers run 1..n without gaps or repeats.
 */
async function expectConsistent(
  store: TrackingStore,
  registry: ModelRegistry,
  name: string,
  production: string,
) {
  expect(await productionVersions(registry, name)).toEqual([production]);
  const latest = await store.getLatestVersions(name, ['Production']);
  expect(latest.map((v) => v.version)).toEqual([production]);
  expect((await store.getModelVersionByAlias(name, 'production')).version).toBe(production);
  // The two model URIs a serving process may use name the same version.
  expect((await resolveModelUri(store, `models:/${name}/Production`)).version?.version).toBe(production);
  expect((await resolveModelUri(store, `models:/${name}@production`)).version?.version).toBe(production);
  const history = await registry.history(name);
  expect(historyProblems(history)).toEqual([]);
  expect(replay(history).production?.version).toBe(production);
  const staging = (await registry.listVersions(name)).filter((v) => v.currentStage === 'Staging');
  expect(staging.length).toBeLessThanOrEqual(1);
  const model = await store.getRegisteredModel(name);
  expect(model.aliases.find((a) => a.alias === 'staging')?.version).toBe(staging[0]?.version);
  return history;
}

/**
 * The history tells the truth: sequence numbers 1..n; every `transition` starts from the
 * stage the history last gave that version (a version starts in None when registered) and
 * changes it; every alias event starts from the version the history last had on that alias
 * and changes it; every decision (promote, rollback) has exactly one outcome, and a
 * superseded one names a later decision. Returns the problems found (empty when none).
 */
export function historyProblems(history: readonly HistoryEvent[]): string[] {
  const problems: string[] = [];
  history.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`#${e.seq} at position ${i + 1}: sequence numbers are not 1..n`);
  });
  const stage = new Map<string, string>();
  const alias = new Map<string, string | null>();
  const decisions = new Map<number, HistoryEvent>();
  const outcomes = new Map<number, HistoryEvent[]>();
  for (const e of history) {
    const v = e.version ?? '?';
    if (e.action === 'register') stage.set(v, 'None');
    else if (e.action === 'transition') {
      const had = stage.get(v);
      if (had !== undefined && had !== e.from)
        problems.push(
          `transition #${e.seq} says v${v} ${e.from} → ${e.to}, but the history had it in ${had}`,
        );
      if (e.from === e.to) problems.push(`transition #${e.seq} repeats v${v} ${e.from} → ${e.to}: no change`);
      stage.set(v, e.to ?? '?');
    } else if (e.action === 'set_alias' || e.action === 'delete_alias') {
      const name = e.to ?? '?';
      const had = alias.has(name) ? alias.get(name)! : null;
      if (had !== e.from)
        problems.push(
          `alias event #${e.seq} says @${name} moved from v${e.from} but the history had it on v${had}`,
        );
      const now = e.action === 'set_alias' ? e.version : null;
      if (now === had) problems.push(`alias event #${e.seq} repeats @${name} → v${now}: no change`);
      alias.set(name, now);
    } else if (e.action === 'promote' || e.action === 'rollback') {
      decisions.set(e.seq, e);
    } else if (e.action === 'outcome') {
      const d = e.decision ?? -1;
      if (!decisions.has(d))
        problems.push(`outcome #${e.seq} closes #${d}, which is not an earlier decision`);
      outcomes.set(d, [...(outcomes.get(d) ?? []), e]);
      const by = /superseded by #(\d+)/.exec(e.reason ?? '')?.[1];
      if (e.to === 'superseded' && !(by && Number(by) > d && decisions.has(Number(by))))
        problems.push(`outcome #${e.seq} says #${d} was superseded but names no later decision`);
    }
  }
  for (const [seq, d] of decisions) {
    const n = outcomes.get(seq)?.length ?? 0;
    if (n !== 1) problems.push(`decision #${seq} (${d.action} v${d.version} → ${d.to}) has ${n} outcomes`);
  }
  return problems;
}

async function expectError(promise: Promise<unknown>, pattern: RegExp): Promise<PropflowError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected an error matching ${pattern}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PropflowError);
  expect((err as Error).message).toMatch(pattern);
  return err as PropflowError;
}

/**
 * A store whose first call of `method` waits until released: makes one writer stop at an
 * exact point while another one runs, so interleavings are tested deterministically.
 */
function pausing(inner: TrackingStore, method: keyof TrackingStore) {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => {
    reached = r;
  });
  const releaseP = new Promise<void>((r) => {
    release = r;
  });
  let paused = false;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!paused) {
          paused = true;
          reached();
          await releaseP;
        }
        return value.apply(target, args);
      };
    },
  });
  return { store, reached: reachedP, release };
}

const PASSING = criteriaFromObject({ criteria: [{ metric: 'val_mae', max: 6.0 }] }, 'test-criteria');

export function registryWorkflowSuite(label: string, setup: () => Promise<StoreFixture>): void {
  describe(`registry workflow (${label})`, () => {
    let fixture: StoreFixture;
    let store: TrackingStore;
    let registry: ModelRegistry;
    let experimentId: string;
    const stores: TrackingStore[] = [];

    const modelName = () => `NBAPropsModel_test_${randomUUID().slice(0, 8)}`;

    /** Register `n` versions (each from its own run) and evaluate them with PASSING criteria. */
    async function versions(name: string, maes: number[]): Promise<string[]> {
      const out: string[] = [];
      for (const val_mae of maes) {
        const runId = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae });
        const reg = await registry.register({ runId, name, gate: 'val_mae<6.0' });
        if (!reg.registered) throw new Error('gate rejected a test run');
        await registry.evaluate({ name, version: reg.version, criteria: PASSING });
        out.push(reg.version);
      }
      return out;
    }

    /** Another connection to the same store (closed after the suite). */
    async function openStore(): Promise<TrackingStore> {
      const s = await fixture.open();
      stores.push(s);
      return s;
    }

    /** One registry per actor, each over its own connection. */
    function openRegistries(actors: string[]): Promise<ModelRegistry[]> {
      return Promise.all(actors.map(async (actor) => new ModelRegistry(await openStore(), { actor })));
    }

    /** One run per client, val_mae 5, 5.1, 5.2, … (all pass a val_mae<6 gate). */
    function runPerClient(clients: readonly ModelRegistry[]): Promise<string[]> {
      return Promise.all(
        clients.map((_, i) => makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 5 + i / 10 })),
      );
    }

    beforeAll(async () => {
      fixture = await setup();
      store = await fixture.open();
      stores.push(store);
      registry = new ModelRegistry(store, { actor: 'alice' });
      experimentId = await store.createExperiment(`registry-suite-${randomUUID().slice(0, 8)}`);
    });

    afterAll(async () => {
      for (const s of stores) await s.close();
      await fixture?.teardown?.();
    });

    it('registers a run that passes the gate, with an audit event and a run tag', async () => {
      const name = modelName();
      const runId = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 5.5 });
      const reg = await registry.register({ runId, name, gate: 'val_mae < 6.0' });
      expect(reg.registered).toBe(true);
      if (!reg.registered) return;
      expect(reg.version).toBe('1');
      expect(reg.source).toBe(`runs:/${runId}/model`);
      const mv = await store.getModelVersion(name, '1');
      expect(mv.runId).toBe(runId);
      expect(mv.source).toBe(`runs:/${runId}/model`);
      const run = await store.getRun(runId);
      expect(run.data.tags.find((t) => t.key === REGISTRATION_RUN_TAG)?.value).toMatch(
        /^registered as .* version 1/,
      );
      const history = await registry.history(name);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({
        seq: 1,
        actor: 'alice',
        action: 'register',
        version: '1',
        from: null,
        to: 'None',
      });
      expect(history[0]!.reason).toContain('val_mae=5.5 passed');
      expect(Object.keys(history[0]!).sort()).toEqual([
        'action',
        'actor',
        'from',
        'reason',
        'seq',
        'time',
        'to',
        'version',
      ]);
      // The history is also on the registered model itself, as tags.
      const model = await store.getRegisteredModel(name);
      const tag = model.tags.find((t) => t.key === 'propflow.history.000001');
      expect(JSON.parse(tag!.value)).toMatchObject({ action: 'register', version: '1' });
    });

    it('does not register a run that fails the gate, and tags the run with why', async () => {
      const name = modelName();
      const runId = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 6.4 });
      const reg = await registry.register({ runId, name, gate: 'val_mae<6.0' });
      expect(reg).toMatchObject({ registered: false, runId });
      const run = await store.getRun(runId);
      expect(run.data.tags.find((t) => t.key === REGISTRATION_RUN_TAG)?.value).toMatch(
        /^rejected for .*val_mae=6.4 does not pass the gate val_mae < 6.0/,
      );
      await expectError(store.getRegisteredModel(name), /./);
      // A gate on a metric the run never logged is an error, not a rejection.
      await expectError(
        registry.register({ runId, name, gate: 'val_rmse<7' }),
        /no metric 'val_rmse'.*val_mae/,
      );
      // So is a run without a model artifact.
      const bare = await makeRun(store, experimentId, { val_mae: 5 }, []);
      await expectError(registry.register({ runId: bare, name }), /no 'model\/' artifact/);
    });

    it('evaluates every kind of criterion into version tags, a JSON artifact and the history', async () => {
      const name = modelName();
      const [v1] = await versions(name, [5.6]);
      await registry.promote({ name, version: v1!, stage: 'Production' });

      const criteria = criteriaFromObject(
        {
          criteria: [
            { metric: 'val_mae', max: 6.0 },
            { metric: 'n_bets', min: 500 },
            { metric: 'betting_win_rate', min: 0.5238, max: 0.7 },
            { metric: 'val_mae', beat_production_by: 0.05, higher_is_better: false },
            { metric: 'betting_roi', beat_production_by: 0.0, higher_is_better: true },
            { artifact: 'validation_predictions.csv' },
            { artifact: 'model' },
          ],
        },
        'criteria.yaml',
      );
      const good = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 5.55, betting_roi: 0.04 }, [
        'model/MLmodel',
        'validation_predictions.csv',
      ]);
      const regGood = await registry.register({ runId: good, name });
      if (!regGood.registered) throw new Error('not registered');
      const report = await registry.evaluate({ name, version: regGood.version, criteria });
      expect(report.result).toBe('PASSED');
      expect(report.results.map((r) => [r.criterion, r.pass])).toEqual([
        ['val_mae <= 6', true],
        ['n_bets >= 500', true],
        ['betting_win_rate >= 0.5238', true],
        ['betting_win_rate <= 0.7', true],
        ['val_mae beats Production by -0.05', true],
        ['betting_roi beats Production by +0', true],
        ['artifact validation_predictions.csv', true],
        ['artifact model', true],
      ]);
      const beat = report.results[4]!;
      expect(beat.actual).toBeCloseTo(5.55, 9);
      expect(beat.required).toContain(`Production v${v1}: 5.6`);
      expect(report.production?.version).toBe(v1);

      const mv = await store.getModelVersion(name, regGood.version);
      const tags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
      expect(tags[EVALUATION_TAG]).toBe('PASSED');
      expect(tags[`${EVALUATION_TAG}.val_mae.max`]).toMatch(/^PASS: actual 5.55, required <= 6/);
      expect(tags[`${EVALUATION_TAG}.val_mae.beat_production`]).toMatch(/^PASS/);
      expect(tags[`${EVALUATION_TAG}.artifact.validation_predictions.csv`]).toBe(
        'PASS: actual present, required present',
      );
      const artifact = JSON.parse(
        new TextDecoder().decode(
          await store.downloadArtifact(good, `evaluation/production_evaluation_v${regGood.version}.json`),
        ),
      );
      expect(artifact).toMatchObject({ model: name, version: regGood.version, result: 'PASSED' });
      expect(artifact.results).toHaveLength(8);

      // A worse run fails three criteria; the evaluation says which.
      const bad = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 5.58, n_bets: 120 });
      const regBad = await registry.register({ runId: bad, name });
      if (!regBad.registered) throw new Error('not registered');
      const failed = await registry.evaluate({ name, version: regBad.version, criteria });
      expect(failed.result).toBe('FAILED');
      expect(failed.results.filter((r) => !r.pass).map((r) => r.criterion)).toEqual([
        'n_bets >= 500',
        'val_mae beats Production by -0.05',
        'artifact validation_predictions.csv',
      ]);
      const badTags = Object.fromEntries(
        (await store.getModelVersion(name, regBad.version)).tags.map((t) => [t.key, t.value]),
      );
      expect(badTags[EVALUATION_TAG]).toBe('FAILED');
      expect(badTags[`${EVALUATION_TAG}.n_bets.min`]).toMatch(/^FAIL: actual 120, required >= 500/);
      const last = (await registry.history(name)).at(-1)!;
      expect(last).toMatchObject({ action: 'evaluate', version: regBad.version, to: 'FAILED' });
      expect(last.reason).toMatch(/^5\/8 criteria passed \(criteria.yaml\); failed: n_bets >= 500/);

      // Unknown metric names are an error and nothing is written.
      const before = (await registry.history(name)).length;
      const typo = criteriaFromObject({ criteria: [{ metric: 'n_bet', min: 500 }] }, 'typo.yaml');
      const fresh = await makeRun(store, experimentId, BASE_METRICS);
      const regFresh = await registry.register({ runId: fresh, name });
      if (!regFresh.registered) throw new Error('not registered');
      await expectError(
        registry.evaluate({ name, version: regFresh.version, criteria: typo }),
        /typo.yaml: 'n_bet' is not a metric of run .*n_bets/,
      );
      const freshTags = (await store.getModelVersion(name, regFresh.version)).tags;
      expect(freshTags.some((t) => t.key.startsWith(EVALUATION_TAG))).toBe(false);
      expect((await registry.history(name)).length).toBe(before + 1); // only its registration
    });

    it('promotes v1 then v2 to Production, and rollback restores v1 and archives v2 with the reason', async () => {
      const name = modelName();
      const [v1, v2] = await versions(name, [5.7, 5.5]);
      const p1 = await registry.promote({ name, version: v1!, stage: 'Production' });
      expect(p1).toMatchObject({ changed: true, from: 'None', to: 'Production' });
      await expectConsistent(store, registry, name, v1!);

      await registry.promote({ name, version: v2!, stage: 'Staging' });
      expect((await store.getModelVersionByAlias(name, 'staging')).version).toBe(v2);
      const p2 = await registry.promote({
        name,
        version: v2!,
        stage: 'Production',
        reason: 'better val_mae',
      });
      expect(p2.from).toBe('Staging');
      expect((await store.getModelVersion(name, v1!)).currentStage).toBe('Archived');
      let history = await expectConsistent(store, registry, name, v2!);
      expect(history.some((e) => e.action === 'transition' && e.version === v1 && e.to === 'Archived')).toBe(
        true,
      );
      expect(history.some((e) => e.action === 'delete_alias' && e.to === 'staging')).toBe(true);

      const rb = await registry.rollback({ name, reason: 'live MAE drifted' });
      expect(rb).toMatchObject({ from: v2, to: v1, reason: 'live MAE drifted' });
      expect((await store.getModelVersion(name, v2!)).currentStage).toBe('Archived');
      history = await expectConsistent(store, registry, name, v1!);
      expect(history.find((e) => e.action === 'rollback')).toMatchObject({
        version: v1,
        from: 'Archived',
        to: 'Production',
        reason: 'live MAE drifted',
        actor: 'alice',
      });
      const archived = history.filter(
        (e) => e.action === 'transition' && e.version === v2 && e.to === 'Archived',
      );
      expect(archived.at(-1)!.reason).toContain('live MAE drifted');
      const v2tags = (await store.getModelVersion(name, v2!)).tags;
      expect(v2tags.find((t) => t.key === ROLLBACK_REASON_TAG)?.value).toContain('live MAE drifted');
    });

    it('rolls back twice through the Production history, then refuses without changing anything', async () => {
      const name = modelName();
      const [v1, v2, v3] = await versions(name, [5.9, 5.8, 5.7]);
      for (const v of [v1!, v2!, v3!]) await registry.promote({ name, version: v, stage: 'Production' });
      await expectConsistent(store, registry, name, v3!);
      expect((await registry.rollback({ name, reason: 'first' })).to).toBe(v2);
      await expectConsistent(store, registry, name, v2!);
      expect((await registry.rollback({ name, reason: 'second' })).to).toBe(v1);
      const history = await expectConsistent(store, registry, name, v1!);
      const stages = (await registry.listVersions(name)).map((v) => [v.version, v.currentStage]);
      await expectError(
        registry.rollback({ name, reason: 'third' }),
        /No earlier Production version.*nothing changed.*--to-version/,
      );
      expect(await registry.history(name)).toEqual(history);
      expect((await registry.listVersions(name)).map((v) => [v.version, v.currentStage])).toEqual(stages);
      // An explicit target still works.
      expect((await registry.rollback({ name, reason: 'explicit', toVersion: v3! })).to).toBe(v3);
      await expectConsistent(store, registry, name, v3!);
    });

    it('refuses unevaluated or failed versions unless forced with a reason', async () => {
      const name = modelName();
      const [v1] = await versions(name, [5.8]);
      const runId = await makeRun(store, experimentId, { ...BASE_METRICS, val_mae: 5.9 });
      const reg = await registry.register({ runId, name });
      if (!reg.registered) throw new Error('not registered');
      await expectError(
        registry.promote({ name, version: reg.version, stage: 'Production' }),
        /never evaluated.*--force/,
      );
      await registry.evaluate({
        name,
        version: reg.version,
        criteria: criteriaFromObject({ criteria: [{ metric: 'val_mae', max: 5.0 }] }),
      });
      await expectError(
        registry.promote({ name, version: reg.version, stage: 'Production' }),
        /failed its production evaluation/,
      );
      await expectError(
        registry.promote({ name, version: reg.version, stage: 'Production', force: true }),
        /forced promotion needs a reason/,
      );
      await registry.promote({ name, version: v1!, stage: 'Production' });
      const forced = await registry.promote({
        name,
        version: reg.version,
        stage: 'Production',
        force: true,
        reason: 'hotfix for injury data',
      });
      expect(forced.event).toMatchObject({
        action: 'promote',
        to: 'Production',
        reason: 'forced: hotfix for injury data',
      });
      await expectConsistent(store, registry, name, reg.version);
      // The Production version leaves Production only by promotion of another or rollback.
      await expectError(
        registry.promote({ name, version: reg.version, stage: 'Archived' }),
        /is the Production version/,
      );
      await expectError(
        registry.promote({ name, version: reg.version, stage: 'Stagin' }),
        /not one of None, Staging/,
      );
    });

    it('repairs stages changed behind its back and records the repair', async () => {
      const name = modelName();
      const [v1, v2] = await versions(name, [5.9, 5.8]);
      await registry.promote({ name, version: v1!, stage: 'Production' });
      await registry.promote({ name, version: v2!, stage: 'Production' });
      // Another tool (or a writer carrying out an old decision late) puts v1 back.
      await store.transitionModelVersionStage(name, v1!, 'Production', true);
      const effects = await registry.reconcile(name);
      // First what was found changed (recorded as such, so the history stays true), then the repair.
      expect(effects.map((e) => [e.action, e.version, e.from, e.to])).toEqual([
        ['transition', v2, 'Production', 'Archived'],
        ['transition', v1, 'Archived', 'Production'],
        ['transition', v2, 'Archived', 'Production'],
        ['transition', v1, 'Production', 'Archived'],
      ]);
      expect(effects[0]!.reason).toMatch(/^found changed/);
      expect(effects[2]!.reason).toMatch(/^restored: v\d+ holds Production by #\d+ \(promote\)/);
      await expectConsistent(store, registry, name, v2!);
      expect(await registry.reconcile(name)).toEqual([]);
    });

    it('a promotion carried out late does not beat a later decision', async () => {
      const name = modelName();
      const [v1, v2, v3] = await versions(name, [5.9, 5.8, 5.7]);
      await registry.promote({ name, version: v1!, stage: 'Production' });
      const other = await openStore();
      // Bob decides v3, then stalls just before carrying it out; Alice decides v2 meanwhile.
      const slow = pausing(other, 'transitionModelVersionStage');
      const bob = new ModelRegistry(slow.store, { actor: 'bob' });
      const bobPromotes = bob.promote({ name, version: v3!, stage: 'Production' });
      await slow.reached;
      await registry.promote({ name, version: v2!, stage: 'Production' });
      slow.release();
      await bobPromotes;
      const history = await expectConsistent(store, registry, name, v2!);
      const decisions = history.filter((e) => e.action === 'promote' && e.to === 'Production');
      expect(decisions.map((e) => [e.actor, e.version])).toEqual([
        ['alice', v1],
        ['bob', v3],
        ['alice', v2],
      ]);
      // Bob's late transition archived v2; his own reconcile restored it and archived v3.
      expect(
        history.some((e) => e.action === 'transition' && e.version === v2 && e.to === 'Production'),
      ).toBe(true);
      expect(
        history.at(-1)?.action === 'set_alias' ||
          history.some((e) => e.version === v3 && e.to === 'Archived'),
      ).toBe(true);
      expect((await store.getModelVersion(name, v3!)).currentStage).toBe('Archived');
    });

    it('a decision made on a stale view is recomputed: a promotion is retried, a rollback aborts', async () => {
      const name = modelName();
      const [v1, v2, v3, v4] = await versions(name, [5.9, 5.8, 5.7, 5.6]);
      await registry.promote({ name, version: v1!, stage: 'Production' });
      await registry.promote({ name, version: v2!, stage: 'Production' });
      const other = await openStore();

      // Bob reads the history, then stalls before claiming his decision; Alice promotes v3.
      let slow = pausing(other, 'logParam');
      let bob = new ModelRegistry(slow.store, { actor: 'bob' });
      const bobPromotes = bob.promote({ name, version: v4!, stage: 'Production' });
      await slow.reached;
      await registry.promote({ name, version: v3!, stage: 'Production' });
      slow.release();
      expect((await bobPromotes).changed).toBe(true);
      await expectConsistent(store, registry, name, v4!);

      // Bob starts a rollback of v4, stalls; Alice promotes v2 meanwhile. Bob's rollback must
      // not roll back v2 instead: it aborts and changes nothing.
      slow = pausing(other, 'logParam');
      bob = new ModelRegistry(slow.store, { actor: 'bob' });
      const bobRollsBack = bob.rollback({ name, reason: 'v4 misbehaves' });
      await slow.reached;
      await registry.promote({ name, version: v2!, stage: 'Production' });
      const before = await registry.history(name);
      slow.release();
      await expectError(bobRollsBack, /changed from v4 to v2.*nothing was changed/);
      expect(await registry.history(name)).toEqual(before);
      await expectConsistent(store, registry, name, v2!);
    });

    it('two concurrent promotions end with exactly one Production version and a history that tells both', async () => {
      const name = modelName();
      const [v1, v2, v3] = await versions(name, [5.9, 5.8, 5.7]);
      await registry.promote({ name, version: v1!, stage: 'Production' });
      const other = await openStore();
      const bob = new ModelRegistry(other, { actor: 'bob' });
      const results = await Promise.allSettled([
        registry.promote({ name, version: v2!, stage: 'Production' }),
        bob.promote({ name, version: v3!, stage: 'Production' }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const history = await registry.history(name);
      const decisions = history.filter((e) => e.action === 'promote' && e.to === 'Production');
      expect(decisions.map((e) => e.version).sort()).toEqual([v1, v2, v3].sort());
      const winner = decisions.at(-1)!.version!;
      await expectConsistent(store, registry, name, winner);
      // The loser either held Production for a moment (carried out, then archived) or was
      // overtaken before it was carried out (still in None, recorded as superseded): which one
      // depends on the server's timing (on MLflow 3.11 the second is usual), and the history
      // says which.
      const loser = winner === v2 ? v3! : v2!;
      const loserDecision = decisions.find((e) => e.version === loser)!;
      const outcome = history.find((e) => e.action === 'outcome' && e.decision === loserDecision.seq)!;
      const loserStage = (await store.getModelVersion(name, loser)).currentStage;
      if (outcome.to === 'superseded') {
        expect(['None', 'Archived']).toContain(loserStage);
        expect(outcome.reason).toMatch(/superseded by #\d+/);
      } else {
        expect(loserStage).toBe('Archived');
        const archived = history.filter(
          (e) => e.action === 'transition' && e.version === loser && e.to === 'Archived',
        );
        expect(archived.length).toBeGreaterThan(0);
      }
      expect(new Set(history.map((e) => e.actor))).toEqual(new Set(['alice', 'bob']));
    });

    it('a promotion racing a rollback ends with one Production version that the history explains', async () => {
      const name = modelName();
      const [v1, v2, v3] = await versions(name, [5.9, 5.8, 5.7]);
      await registry.promote({ name, version: v1!, stage: 'Production' });
      await registry.promote({ name, version: v2!, stage: 'Production' });
      const other = await openStore();
      const bob = new ModelRegistry(other, { actor: 'bob' });
      const [rb, pr] = await Promise.allSettled([
        registry.rollback({ name, reason: 'live MAE drifted' }),
        bob.promote({ name, version: v3!, stage: 'Production' }),
      ]);
      expect(pr.status).toBe('fulfilled');
      const history = await registry.history(name);
      const last = history.filter((e) => e.action === 'promote' || e.action === 'rollback').at(-1)!;
      if (rb.status === 'fulfilled') {
        // The rollback came first (v1 back), then the promotion of v3 won.
        expect(rb.value.to).toBe(v1);
        expect(last).toMatchObject({ action: 'promote', version: v3 });
      } else {
        // The promotion came first; the rollback saw Production change and did nothing.
        expect((rb.reason as Error).message).toMatch(/changed from v2 to v3.*nothing was changed/);
        expect(history.some((e) => e.action === 'rollback')).toBe(false);
      }
      await expectConsistent(store, registry, name, v3!);
    });

    it('many rounds of racing promotions and rollbacks: one Production, a truthful history, every decision closed', async () => {
      const name = modelName();
      const vs = await versions(name, [5.9, 5.8, 5.7, 5.6]);
      await registry.promote({ name, version: vs[0]!, stage: 'Production' });
      const racers = await openRegistries(['bob', 'carol']);
      const all = [registry, ...racers];
      for (let round = 0; round < 6; round++) {
        const picks = all.map((r, i) => {
          if ((round + i) % 3 === 2)
            return r.rollback({ name, reason: `round ${round}` }).catch((e: unknown) => e);
          const v = vs[(round * 3 + i) % vs.length]!;
          return r.promote({ name, version: v, stage: 'Production' }).catch((e: unknown) => e);
        });
        for (const result of await Promise.all(picks)) {
          // A rollback may be refused (nothing to return to, Production moved underneath it,
          // it is already there); a promotion of the Production version is a no-op. Nothing else fails.
          if (result instanceof Error)
            expect(result.message).toMatch(/nothing (was )?changed|is the Production version/);
        }
        const history = await registry.history(name);
        const winner = replay(history).production!.version;
        await expectConsistent(store, registry, name, winner);
      }
    });

    it('two concurrent first registrations share one history with unique sequence numbers', async () => {
      const name = modelName();
      const other = await openStore();
      const bob = new ModelRegistry(other, { actor: 'bob' });
      const runs = await Promise.all(
        [5.1, 5.2, 5.3, 5.4].map((val_mae) => makeRun(store, experimentId, { ...BASE_METRICS, val_mae })),
      );
      const results = await Promise.all(
        runs.map((runId, i) => (i % 2 === 0 ? registry : bob).register({ runId, name, gate: 'val_mae<6' })),
      );
      const versionsMade = results.map((r) => (r.registered ? r.version : null)).sort();
      expect(versionsMade).toEqual(['1', '2', '3', '4']);
      const history: HistoryEvent[] = await registry.history(name);
      expect(history.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(history.map((e) => e.version).sort()).toEqual(['1', '2', '3', '4']);
    });

    it('a model made by another tool gets one ledger even when clients race to set it up', async () => {
      const clients = await openRegistries(['bob', 'carol']);
      const all = [registry, ...clients];
      const runs = await runPerClient(all);
      for (let round = 0; round < 3; round++) {
        const name = modelName();
        await store.createRegisteredModel(name, { description: 'made by a Python script' });
        const results = await Promise.all(all.map((r, i) => r.register({ runId: runs[i]!, name })));
        expect(results.map((r) => (r.registered ? r.version : null)).sort()).toEqual(['1', '2', '3']);
        const history = await registry.history(name);
        expect(history.map((e) => e.seq)).toEqual([1, 2, 3]);
        const pointer = await store.getRegisteredModel(`${name}.propflow-ledger`);
        const ledgerOf = (m: { tags: Array<{ key: string; value: string }> }) =>
          m.tags.find((t) => t.key === 'propflow.ledger_run_id')?.value;
        expect(ledgerOf(await store.getRegisteredModel(name))).toBe(ledgerOf(pointer));
        expect((await registry.list()).map((m) => m.name)).not.toContain(pointer.name);
        await store.deleteRegisteredModel(pointer.name);
      }
    });

    it('first registrations racing in many rounds always set up one ledger', async () => {
      const clients = await openRegistries(['bob', 'carol', 'dave']);
      const all = [registry, ...clients];
      const runs = await runPerClient(all);
      for (let round = 0; round < 8; round++) {
        const name = modelName();
        const results = await Promise.all(all.map((r, i) => r.register({ runId: runs[i]!, name })));
        expect(results.map((r) => (r.registered ? r.version : null)).sort()).toEqual(['1', '2', '3', '4']);
        const history = await registry.history(name);
        expect(history.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        const ledgers = (await store.getRegisteredModel(name)).tags.filter(
          (t) => t.key === 'propflow.ledger_run_id',
        );
        expect(ledgers).toHaveLength(1);
      }
    });
  });
}
