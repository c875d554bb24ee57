/**
 * Hot swap under load: the service on a real loopback port, clients hammering it with
 * single-game and batch requests while the registry promotes another version and rolls it
 * back. No request may fail, and no answer may mix two versions.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/registry/index.js';
import { parseRule, type RunningService, startServing } from '../../src/serving/index.js';
import { addVersion, makeWorld, promote, upcomingGames, type World } from './fixture.js';

let world: World;
let running: RunningService;
let v1: string;
let v2: string;

beforeAll(async () => {
  world = await makeWorld({ seed: 5 });
  v1 = await addVersion(world, { trees: 10 });
  v2 = await addVersion(world, { trees: 12 });
  await promote(world.store, v1);
  running = await startServing({
    trackingUri: world.trackingUri,
    modelName: 'NBAPropsModel',
    port: 0,
    pollMs: 50,
    monitorDb: `${world.root}/serving.db`,
    rule: parseRule('live_mae > val_mae * 1.10 over 300'),
    autoRollback: false,
  });
}, 60_000);

afterAll(async () => {
  await running?.close();
  await world?.close();
});

it('promotes and rolls back while clients hammer it: 0 failures, no mixed versions', async () => {
  const games = upcomingGames(world, 5, 400)
    .filter((g) => running.service.current.data.playerIndex.has(g.player_id))
    .map(({ actual, ...g }) => ({ ...g, line: 20.5 }));
  let stop = false;
  const seen: string[] = [];
  const failures: string[] = [];
  let mixed = 0;
  let requests = 0;
  const client = async (k: number) => {
    for (let i = k; !stop; i += 7) {
      const batch = i % 5 === 0 ? games.slice(0, 50) : [games[i % games.length]!];
      try {
        const res = await fetch(`${running.url}/v1/predictions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ games: batch }),
        });
        requests++;
        if (res.status !== 200) {
          failures.push(`${res.status} ${await res.text()}`);
          continue;
        }
        const body = (await res.json()) as {
          model: { version: string };
          predictions: Array<{ model_version: string }>;
        };
        if (body.predictions.some((p) => p.model_version !== body.model.version)) mixed++;
        if (seen.at(-1) !== body.model.version) seen.push(body.model.version);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const clients = Array.from({ length: 6 }, (_, k) => client(k));
  const registry = new ModelRegistry(world.store, { actor: 'test' });
  const waitFor = async (version: string) => {
    const t0 = Date.now();
    while (running.service.current.model.version !== version) {
      if (Date.now() - t0 > 10_000) throw new Error(`no swap to v${version} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await new Promise((r) => setTimeout(r, 300));
  await promote(world.store, v2);
  await waitFor(v2);
  await new Promise((r) => setTimeout(r, 300));
  await registry.rollback({ name: 'NBAPropsModel', reason: 'test: roll back under load' });
  await waitFor(v1);
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(clients);
  expect(failures).toEqual([]);
  expect(mixed).toBe(0);
  expect(requests).toBeGreaterThan(50);
  // every client saw the versions in registry order: v1, then v2, then v1 again
  expect(seen.join(',')).toMatch(new RegExp(`^(${v1},)*${v1},(${v2},)*${v2}.*${v1}$`));
  expect(running.service.swaps.map((s) => `${s.from}→${s.to}`)).toEqual([`${v1}→${v2}`, `${v2}→${v1}`]);
  const text = await (await fetch(`${running.url}/metrics`)).text();
  expect(text).toMatch(/propflow_serving_model_swaps_total\{model="NBAPropsModel"\} 2/);
  expect(text).toMatch(new RegExp(`propflow_serving_predictions_total\\{model_version="${v2}"\\} \\d+`));
}, 60_000);
