/**
 * Monitoring on a synthetic season: the service records its predictions, the dataset folder
 * gains the week's results, live MAE per version is logged to the tracking store, and a version
 * that is worse live than its validation said breaks the rule: alert (log, gauge, webhook) and
 * automatic rollback, after which the service swaps back by itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeDataset } from '../../src/data/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import {
  MONITORING_EXPERIMENT,
  monitorStatus,
  PredictionRecorder,
  PredictionService,
  parseRule,
} from '../../src/serving/index.js';
import { addVersion, leagueUpTo, makeWorld, promote, upcomingGames, type World } from './fixture.js';

let world: World;
let hook: Server;
let hookUrl: string;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  world = await makeWorld({ seed: 21 });
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => hook?.close(r));
  await world?.close();
});

it('a version worse live than its validation MAE is rolled back automatically and the service swaps back', async () => {
  const good = await addVersion(world, { trees: 15 });
  await promote(world.store, good);
  const goodValMae = (
    await world.store.getRun((await world.store.getModelVersion('NBAPropsModel', good)).runId)
  ).data.metrics[0]!.value;
  // v2: its validation claimed the same MAE, but it predicts 6 points too high
  const drifted = await addVersion(world, { trees: 15, shift: 6, claimedValMae: goodValMae });
  await promote(world.store, drifted);

  const logs: string[] = [];
  const recorder = new PredictionRecorder(path.join(world.root, 'serving.db'));
  const rule = parseRule('live_mae > val_mae * 1.10 over 200');
  const service = await PredictionService.start({
    store: world.store,
    modelName: 'NBAPropsModel',
    pollMs: 0,
    recorder,
    monitor: { rule, autoRollback: true, webhook: hookUrl, actor: 'monitor' },
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  try {
    expect(service.current.model.version).toBe(drifted);
    // the week after the history, requested the way a client would: a day at a time, in batches
    const week = upcomingGames(world, 7).filter((g) => service.current.data.playerIndex.has(g.player_id));
    for (let i = 0; i < week.length; i += 250) {
      const res = await service.app.request('/v1/predictions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ games: week.slice(i, i + 250).map(({ actual, ...g }) => g) }),
      });
      expect(res.status).toBe(200);
    }
    // the same games asked again count once per version
    await service.app.request('/v1/predictions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ games: week.slice(0, 20).map(({ actual, ...g }) => g) }),
    });
    expect(week.length).toBeGreaterThan(300);

    // results arrive: the dataset folder is rewritten with the week's games
    writeDataset(world.dataDir, leagueUpTo(world.league, world.cut + 7), { force: true });
    await service.tick();

    // alert: log line, webhook with the figures, gauge, alert row
    expect(logs.some((l) => /^warn ALERT NBAPropsModel v\d+: monitoring: live_mae/.test(l))).toBe(true);
    expect(received).toHaveLength(1);
    const alert = received[0]!;
    expect(alert).toMatchObject({
      alert: 'propflow_degradation',
      version: drifted,
      val_mae: goodValMae,
      n_games: 200,
    });
    expect(alert['live_mae'] as number).toBeGreaterThan(goodValMae * 1.1);
    expect(alert['action']).toBe(`rolled back v${drifted} → v${good}`);
    const metrics = await (await service.app.request('/metrics')).text();
    expect(metrics).toMatch(
      new RegExp(`propflow_serving_degradation_alert\\{model="NBAPropsModel",version="${drifted}"\\} 1`),
    );

    // the registry rolled back with a reason naming the figures; the service swapped by itself
    const history = await new ModelRegistry(world.store).history('NBAPropsModel');
    const rb = history.findLast((e) => e.action === 'rollback')!;
    expect(rb).toMatchObject({ actor: 'monitor', version: good });
    expect(rb.reason).toMatch(
      /live_mae \d+\.\d{3} over the last 200 games .* > val_mae \d+\.\d{3} × 1\.1 = \d+\.\d{3}/,
    );
    expect(service.current.model.version).toBe(good);
    expect(service.swaps.at(-1)).toMatchObject({ from: drifted, to: good });

    // the monitoring run of the version, metrics at step = YYYYMMDD
    const exp = await world.store.getExperimentByName(MONITORING_EXPERIMENT);
    const runs = await world.store.searchRuns({ experimentIds: [exp!.experimentId], maxResults: 10 });
    const run = runs.items.find((r) => r.info.runName === `monitor_NBAPropsModel_v${drifted}`)!;
    expect(run.info.status).toBe('FINISHED');
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'propflow.monitor.model': 'NBAPropsModel',
      'propflow.monitor.version': drifted,
    });
    const live = (await world.store.getMetricHistory(run.info.runId, 'live_mae')).items;
    expect(live.length).toBeGreaterThanOrEqual(3);
    for (const p of live) expect(String(p.step)).toMatch(/^20\d{6}$/);
    const n = (await world.store.getMetricHistory(run.info.runId, 'live_n_games')).items.sort(
      (a, b) => a.step - b.step,
    );
    expect(n.at(-1)!.value).toBe(200);
    for (const key of ['live_mae_day', 'val_mae']) {
      expect((await world.store.getMetricHistory(run.info.runId, key)).items).toHaveLength(live.length);
    }

    // status: the drifted version degraded, its live MAE against the truth of the week
    const status = await monitorStatus(world.store, recorder, rule);
    const st = status.find((s) => s.version === drifted)!;
    expect(st).toMatchObject({ degraded: true, windowGames: 200 });
    expect(st.totalGames).toBeLessThanOrEqual(week.length);
    expect(st.totalGames).toBeGreaterThan(week.length * 0.9);
    // a second pass changes nothing: no new alert, no points logged twice
    const again = await service.monitor();
    expect(again!.newAlerts).toEqual([]);
    expect(again!.loggedPoints).toBe(0);
    expect(received).toHaveLength(1);
  } finally {
    await service.close();
    recorder.close();
  }
}, 90_000);
