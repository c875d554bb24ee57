/**
 * The prediction service on a registry model over a dataset folder (real embedded store, real
 * SQLite monitoring file): answers, 4xx cases, model info, metrics, start-up errors.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDay, writeDataset } from '../../src/data/index.js';
import { buildFeaturesForUpcoming, V3_ADVANCED } from '../../src/features/index.js';
import { PredictionRecorder, PredictionService } from '../../src/serving/index.js';
import { addVersion, leagueUpTo, makeWorld, promote, upcomingGames, type World } from './fixture.js';

let world: World;
let service: PredictionService;
let recorder: PredictionRecorder;
let v1: string;
let v2: string;

const post = (body: unknown) =>
  service.app.request('/v1/predictions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  world = await makeWorld();
  v1 = await addVersion(world, { trees: 15 });
  v2 = await addVersion(world, { trees: 5, calibration: false });
  await promote(world.store, v1);
  recorder = new PredictionRecorder(path.join(world.root, 'serving.db'));
  service = await PredictionService.start({
    store: world.store,
    modelName: 'NBAPropsModel',
    pollMs: 0,
    recorder,
  });
}, 60_000);

afterAll(async () => {
  await service?.close();
  recorder?.close();
  await world?.close();
});

describe('POST /v1/predictions', () => {
  it('answers a batch row for row with the model version, the same features as the builder, and P(over)', async () => {
    const games = upcomingGames(world, 3, 40).filter((g) =>
      service.current.data.playerIndex.has(g.player_id),
    );
    const res = await post({
      games: games.map(({ actual, ...g }, i) => ({ ...g, ...(i % 2 ? { line: 20.5 } : {}) })),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      predictions: Array<Record<string, unknown>>;
      model: { version: string };
    };
    expect(body.model.version).toBe(v1);
    expect(body.predictions).toHaveLength(games.length);
    // the same numbers as the training feature code through the model
    const snap = service.current;
    const keys = {
      n: games.length,
      gameId: games.map((_, i) => `g${String(i).padStart(4, '0')}`),
      date: Int32Array.from(games, (g) => Date.parse(g.game_date) / 86_400_000),
      season: Int16Array.from(games, () => snap.data.players.season[0]!),
      playerId: Int32Array.from(games, (g) => g.player_id),
      team: games.map((g) => g.team),
      opponent: games.map((g) => g.opponent),
      home: Uint8Array.from(games, (g) => (g.home ? 1 : 0)),
    };
    const X = buildFeaturesForUpcoming(snap.data.players, keys, V3_ADVANCED);
    const direct = (snap.model.model as { predict(x: typeof X): Float64Array }).predict(X);
    const byId = new Map(X.keys.gameId.map((id, r) => [Number(id.slice(1)), direct[r]!]));
    body.predictions.forEach((p, i) => {
      expect(p['index']).toBe(i);
      expect(p['player_id']).toBe(games[i]!.player_id);
      expect(p['model_version']).toBe(v1);
      expect(p['prediction'] as number).toBeCloseTo(byId.get(i)!, 2);
      if (i % 2) {
        expect(p['p_over']).toBeGreaterThanOrEqual(0);
        expect(p['p_over']).toBeLessThanOrEqual(1);
      } else {
        expect(p['p_over']).toBeNull();
        expect(p['p_over_reason']).toBe('no line given');
      }
    });
    recorder.flush();
    expect(recorder.counts()[0]).toMatchObject({
      modelVersion: v1,
      served: games.length,
      open: games.length,
    });
  });

  it('names the game and field of every bad input', async () => {
    const [g] = upcomingGames(world, 3, 1);
    const { actual, ...good } = g!;
    const inHistory = formatDay(world.cut - 3);
    const cases: Array<[unknown, number, RegExp]> = [
      ['{not json', 400, /body: is not valid JSON/],
      [{ game: [] }, 400, /games: the body must be JSON/],
      [{ games: [] }, 400, /at least one game/],
      [{ games: Array(1001).fill(good) }, 413, /limit is 1000/],
      [
        { games: [good, { ...good, player_id: 99999999 }] },
        404,
        /games\[1\]\.player_id: player 99999999 has no games/,
      ],
      [{ games: [{ ...good, game_date: inHistory }] }, 400, /games\[0\]\.game_date: .* inside the history/],
      [{ games: [{ ...good, game_date: '2024-13-01' }] }, 400, /games\[0\]\.game_date: must be a date/],
      [
        { games: [good, good, { ...good, team: 'XXX' }] },
        400,
        /games\[2\]\.team: team 'XXX' is not in the dataset/,
      ],
      [{ games: [{ ...good, home: 'yes' }] }, 400, /games\[0\]\.home: must be true or false/],
      [{ games: [{ ...good, line: -3 }] }, 400, /games\[0\]\.line: must be a non-negative number/],
      [{ games: [{ ...good, opponent: good.team }] }, 400, /games\[0\]\.opponent: must differ/],
      [{ games: [{ ...good, inactive: [good.player_id] }] }, 400, /games\[0\]\.inactive: lists player/],
      [{ games: [{ ...good, minutes: 30 }] }, 400, /games\[0\]\.minutes: unknown field/],
      [{ games: [good], pad: 'x'.repeat(2_000_000) }, 413, /body: larger than 1 MiB/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      const json = (await res.json()) as { message: string; problems?: unknown[] };
      expect({ status: res.status, message: json.message }).toMatchObject({
        status,
        message: expect.stringMatching(message),
      });
    }
  });

  it('says why P(over) is missing when the model has no calibration', async () => {
    await promote(world.store, v2);
    expect(await service.checkRegistry()).toBe('swapped');
    const [g] = upcomingGames(world, 3, 1);
    const { actual, ...good } = g!;
    const res = await post({ games: [{ ...good, line: 22.5 }] });
    const body = (await res.json()) as { predictions: Array<Record<string, unknown>> };
    expect(body.predictions[0]).toMatchObject({ model_version: v2, p_over: null });
    expect(body.predictions[0]!['p_over_reason']).toMatch(/has no calibration/);
    await promote(world.store, v1);
    expect(await service.checkRegistry()).toBe('swapped');
  });
});

describe('model info, health, metrics', () => {
  it('GET /v1/model describes the live version', async () => {
    const info = (await (await service.app.request('/v1/model')).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      name: 'NBAPropsModel',
      version: v1,
      model_uri: 'models:/NBAPropsModel@production',
      calibration: true,
      feature_set: { name: 'v3_advanced', n_features: V3_ADVANCED.features.length },
    });
    expect(info['val_mae']).toBeGreaterThan(2);
    expect((info['dataset'] as { history_end: string }).history_end).toBe(formatDay(world.cut));
    expect((await service.app.request('/health')).status).toBe(200);
  });

  it('GET /metrics has requests and latency per route and version, the loaded version and swaps', async () => {
    const text = await (await service.app.request('/metrics')).text();
    expect(text).toMatch(
      new RegExp(
        `propflow_serving_requests_total\\{route="/v1/predictions",method="POST",status="200",model_version="${v1}"\\} \\d+`,
      ),
    );
    expect(text).toMatch(
      /propflow_serving_requests_total\{route="\/v1\/predictions",method="POST",status="404"/,
    );
    expect(text).toMatch(
      /propflow_serving_request_duration_seconds_bucket\{le="0.005",route="\/v1\/predictions"/,
    );
    expect(text).toMatch(new RegExp(`propflow_serving_model_version\\{model="NBAPropsModel"\\} ${v1}`));
    expect(text).toMatch(/propflow_serving_model_swaps_total\{model="NBAPropsModel"\} 2/);
  });
});

describe('loading', () => {
  it('keeps the old version when the new one fails to load, and reports it', async () => {
    const bad = await addVersion(world, { broken: true });
    await promote(world.store, bad);
    expect(await service.checkRegistry()).toBe('failed');
    expect(service.current.model.version).toBe(v1);
    const text = await (await service.app.request('/metrics')).text();
    expect(text).toMatch(/propflow_serving_model_load_failures_total\{model="NBAPropsModel"\} 1/);
    expect(text).toMatch(/propflow_serving_model_load_failed\{model="NBAPropsModel"\} 1/);
    expect(await service.checkRegistry()).toBe('failed'); // not reloaded every poll
    const info = (await (await service.app.request('/v1/model')).json()) as {
      version: string;
      load_error: { version: string; message: string };
    };
    expect(info.version).toBe(v1);
    expect(info.load_error.version).toBe(bad);
    expect(info.load_error.message).toMatch(/model\.json/);
    await promote(world.store, v1);
    expect(await service.checkRegistry()).toBe('unchanged');
    expect(await (await service.app.request('/metrics')).text()).toMatch(
      /propflow_serving_model_load_failed\{model="NBAPropsModel"\} 0/,
    );
  });

  it('follows a stage with --stage', async () => {
    const s = await PredictionService.start({
      store: world.store,
      modelName: 'NBAPropsModel',
      stage: 'Production',
      pollMs: 0,
    });
    expect(s.modelUri).toBe('models:/NBAPropsModel/Production');
    expect(s.current.model.version).toBe(v1);
    await s.close();
  });

  it('start-up errors say what to do', async () => {
    await expect(
      PredictionService.start({ store: world.store, modelName: 'NoSuchModel', pollMs: 0 }),
    ).rejects.toThrow(/No registered model 'NoSuchModel'.*propflow demo/);
    await expect(
      PredictionService.start({
        store: world.store,
        modelName: 'NBAPropsModel',
        alias: 'champion',
        pollMs: 0,
      }),
    ).rejects.toThrow(
      /no version with alias 'champion'.*propflow registry promote --name NBAPropsModel --version N --stage Production/,
    );
    const other = await addVersion(world, { trainingInfo: 'synthetic' }, 'OtherModel');
    await promote(world.store, other, 'OtherModel');
    await expect(
      PredictionService.start({ store: world.store, modelName: 'OtherModel', pollMs: 0 }),
    ).rejects.toThrow(/in-memory league .*pass --data DIR/);
    const s = await PredictionService.start({
      store: world.store,
      modelName: 'OtherModel',
      pollMs: 0,
      dataDir: world.dataDir,
    });
    expect(s.current.model.version).toBe(other);
    await s.close();
  });
});

describe('the dataset folder gains games', () => {
  it('reloads beside the old history: the next day becomes predictable, days now in the history are refused', async () => {
    const before = service.current;
    const [g] = upcomingGames(world, 2, 1);
    const { actual, ...good } = g!;
    expect((await post({ games: [good] })).status).toBe(200);
    writeDataset(world.dataDir, leagueUpTo(world.league, world.cut + 2), { force: true });
    expect(await service.checkDataset()).toBe(true);
    expect(service.current.data.historyEnd).toBe(world.cut + 2);
    expect(service.current.model).toBe(before.model); // same model object, new history
    const res = await post({ games: [good] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/inside the history/);
    const later = { ...good, game_date: formatDay(world.cut + 3) };
    expect((await post({ games: [later] })).status).toBe(200);
    expect(await service.checkDataset()).toBe(false); // unchanged folder: nothing reloaded
    expect(await (await service.app.request('/metrics')).text()).toMatch(
      /propflow_serving_dataset_reloads_total 1/,
    );
  });
});
