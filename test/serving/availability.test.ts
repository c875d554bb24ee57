/**
 * A model whose features read teammates' availability (v4_context): a game's `inactive`
 * list reaches the feature code, each game of a batch with its own list, and the answer equals
 * the training feature code given the same list.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildFeaturesForUpcoming, type GameKeys, V4_CONTEXT } from '../../src/features/index.js';
import { PredictionService } from '../../src/serving/index.js';
import { addVersion, makeWorld, promote, upcomingGames, type World } from './fixture.js';

let world: World;
let service: PredictionService;

beforeAll(async () => {
  world = await makeWorld({ seed: 5 });
  await promote(world.store, await addVersion(world, { trees: 15, featureSet: V4_CONTEXT }));
  service = await PredictionService.start({ store: world.store, modelName: 'NBAPropsModel', pollMs: 0 });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await world?.close();
});

it('passes each game’s inactive list to the availability features', async () => {
  const snap = service.current;
  const [game] = upcomingGames(world, 3, 200).filter((g) => snap.data.playerIndex.has(g.player_id));
  // the team's busiest player in the history, who is not the player of the game
  const minutes = new Map<number, number>();
  const p = snap.data.players;
  for (let i = 0; i < p.n; i++)
    if (p.team[i] === game!.team && p.playerId[i] !== game!.player_id)
      minutes.set(p.playerId[i]!, (minutes.get(p.playerId[i]!) ?? 0) + p.minutes[i]!);
  const star = [...minutes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const { actual, ...request } = game!;
  const res = await service.app.request('/v1/predictions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ games: [request, { ...request, inactive: [star] }] }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { predictions: Array<{ prediction: number }>; note?: string };
  expect(body.note).toBeUndefined();
  const keys: GameKeys = {
    n: 1,
    gameId: ['g'],
    date: Int32Array.of(Date.parse(request.game_date) / 86_400_000),
    season: Int16Array.of(p.season[p.n - 1]!),
    playerId: Int32Array.of(request.player_id),
    team: [request.team],
    opponent: [request.opponent],
    home: Uint8Array.of(request.home ? 1 : 0),
  };
  const model = snap.model.model as { predict(x: unknown): Float64Array };
  // no list: every regular of the team plays (not "everyone but the requested player is out")
  const all = buildFeaturesForUpcoming(p, keys, V4_CONTEXT, { inactive: [] });
  const out = buildFeaturesForUpcoming(p, keys, V4_CONTEXT, { inactive: [star] });
  const col = (x: typeof all, name: string) => x.values[x.names!.indexOf(name)]!;
  expect(col(all, 'avail_regulars_out')).toBe(0);
  expect(col(out, 'avail_regulars_out')).toBe(1);
  expect(col(out, 'avail_minutes_vacated')).toBeGreaterThan(20);
  const without = model.predict(all)[0]!;
  const withStarOut = model.predict(out)[0]!;
  expect(withStarOut).not.toBeCloseTo(without, 3);
  expect(body.predictions[0]!.prediction).toBeCloseTo(without, 2);
  expect(body.predictions[1]!.prediction).toBeCloseTo(withStarOut, 2);
});
