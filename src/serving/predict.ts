/**
 * `POST /v1/predictions`: the request checked field by field (every problem names the game
 * index and the field), features from the history with the training code, the PRA prediction
 * and P(over line) from the model's calibration — all from ONE snapshot (model + history).
 */
import { formatDay, parseIsoDay, seasonOfDay } from '../data/index.js';
import { PropflowError } from '../errors.js';
import { type FeatureMatrix, type GameKeys, prepareUpcomingFeatures } from '../features/index.js';
import type { ServingData } from './data.js';
import { predictPra, type ServedModel } from './model.js';

/** Largest number of games one request may ask for. */
export const MAX_GAMES = 1000;

/** What the service predicts with: one model version and one history, never mixed. */
export interface Snapshot {
  readonly model: ServedModel;
  readonly data: ServingData;
  /** The feature code of the model's feature set over `data`, history prepared once. */
  readonly features: (games: GameKeys, options?: { inactive?: Iterable<number> }) => FeatureMatrix;
  /** Whether the model's features read teammates' availability (games' inactive lists matter). */
  readonly availability: boolean;
}

/** Whether a feature set reads teammates' availability (then a game's `inactive` list changes its features). */
export function usesAvailability(set: { features: ReadonlyArray<{ transform: string }> }): boolean {
  return set.features.some((f) => f.transform.startsWith('avail_'));
}

/** One model version over one history (`features`: that history prepared for the model's feature set). */
export function makeSnapshot(
  model: ServedModel,
  data: ServingData,
  features: Snapshot['features'] = prepareUpcomingFeatures(data.players, model.featureSet),
): Snapshot {
  return Object.freeze({ model, data, features, availability: usesAvailability(model.featureSet) });
}

/** Indices of the games grouped by their inactive list: each group's features see its own list. */
function groupByInactive(games: readonly GameRequest[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const [i, g] of games.entries()) {
    const key = JSON.stringify([...(g.inactive ?? [])].sort((a, b) => a - b));
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  return groups;
}

export interface GameRequest {
  player_id: number;
  game_date: string;
  team: string;
  opponent: string;
  home: boolean;
  line?: number | null;
  inactive?: number[];
}

export interface Problem {
  index: number | null;
  field: string;
  message: string;
}

/** A request that cannot be answered: status 400/404/413 with every problem found. */
export class RequestError extends PropflowError {
  constructor(
    readonly problems: Problem[],
    readonly httpStatus: 400 | 404 | 413 = 400,
  ) {
    const first = problems[0]!;
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
        : '';
    super(
      `${first.index === null ? first.field : `games[${first.index}].${first.field}`}: ${first.message}${more}`,
      httpStatus === 404
        ? 'RESOURCE_DOES_NOT_EXIST'
        : httpStatus === 413
          ? 'RESOURCE_EXHAUSTED'
          : 'INVALID_PARAMETER_VALUE',
    );
  }
}

export interface GamePrediction {
  index: number;
  player_id: number;
  player_name: string;
  game_date: string;
  team: string;
  opponent: string;
  home: boolean;
  prediction: number;
  line: number | null;
  p_over: number | null;
  /** Why `p_over` is null (no line given, or the model has no calibration). */
  p_over_reason?: string;
  model_name: string;
  model_version: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const KNOWN_FIELDS = new Set(['player_id', 'game_date', 'team', 'opponent', 'home', 'line', 'inactive']);

/** Check one game against the history; problems are appended. */
function checkGame(g: unknown, index: number, data: ServingData, problems: Problem[]): GameRequest | null {
  const bad = (field: string, message: string) => {
    problems.push({ index, field, message });
    return null;
  };
  if (!isObject(g))
    return bad('', 'each game must be an object {player_id, game_date, team, opponent, home, line?}');
  const before = problems.length;
  for (const k of Object.keys(g))
    if (!KNOWN_FIELDS.has(k)) bad(k, `unknown field (known: ${[...KNOWN_FIELDS].join(', ')})`);
  const pid = g['player_id'];
  if (typeof pid !== 'number' || !Number.isInteger(pid))
    bad('player_id', `must be an integer player id, got ${JSON.stringify(pid)}`);
  else if (!data.playerIndex.has(pid))
    bad(
      'player_id',
      `player ${pid} has no games in the dataset (${data.dir}); features need a player's history`,
    );
  const date = g['game_date'];
  const day = typeof date === 'string' ? parseIsoDay(date) : Number.NaN;
  if (Number.isNaN(day)) bad('game_date', `must be a date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  else if (day <= data.historyEnd) {
    bad(
      'game_date',
      `${date} is inside the history (last game ${formatDay(data.historyEnd)}); the service predicts games after it — a date inside the history would be scored with knowledge the model cannot have had`,
    );
  }
  for (const field of ['team', 'opponent'] as const) {
    const t = g[field];
    if (typeof t !== 'string' || t === '')
      bad(field, `must be a team abbreviation like "LAL", got ${JSON.stringify(t)}`);
    else if (!data.teams.has(t))
      bad(field, `team '${t}' is not in the dataset (teams: ${[...data.teams].sort().join(', ')})`);
  }
  if (typeof g['team'] === 'string' && g['team'] === g['opponent']) bad('opponent', 'must differ from team');
  if (typeof g['home'] !== 'boolean') bad('home', `must be true or false, got ${JSON.stringify(g['home'])}`);
  const line = g['line'];
  if (
    line !== undefined &&
    line !== null &&
    (typeof line !== 'number' || !Number.isFinite(line) || line < 0)
  ) {
    bad('line', `must be a non-negative number (the PRA line) or left out, got ${JSON.stringify(line)}`);
  }
  const inactive = g['inactive'];
  if (inactive !== undefined) {
    if (!Array.isArray(inactive) || inactive.some((x) => typeof x !== 'number' || !Number.isInteger(x))) {
      bad('inactive', 'must be an array of integer player ids');
    } else if (typeof pid === 'number' && inactive.includes(pid)) {
      bad('inactive', `lists player ${pid}, the player of this game; leave out games of inactive players`);
    }
  }
  if (problems.length > before) return null;
  return g as unknown as GameRequest;
}

/** Parse and check a request body; throws a `RequestError` naming every problem (up to 50). */
export function parseRequest(body: unknown, data: ServingData): GameRequest[] {
  if (!isObject(body) || !Array.isArray(body['games'])) {
    throw new RequestError([
      {
        index: null,
        field: 'games',
        message: 'the body must be JSON {"games": [{player_id, game_date, team, opponent, home, line?}, …]}',
      },
    ]);
  }
  const games = body['games'] as unknown[];
  if (games.length === 0)
    throw new RequestError([{ index: null, field: 'games', message: 'give at least one game' }]);
  if (games.length > MAX_GAMES) {
    throw new RequestError(
      [
        {
          index: null,
          field: 'games',
          message: `${games.length} games in one request; the limit is ${MAX_GAMES}. Split the batch.`,
        },
      ],
      413,
    );
  }
  const problems: Problem[] = [];
  const out: GameRequest[] = [];
  for (let i = 0; i < games.length && problems.length < 50; i++) {
    const g = checkGame(games[i], i, data, problems);
    if (g) out.push(g);
  }
  if (problems.length > 0) {
    const onlyUnknownPlayers = problems.every(
      (p) => p.field === 'player_id' && p.message.includes('has no games'),
    );
    throw new RequestError(problems, onlyUnknownPlayers ? 404 : 400);
  }
  return out;
}

/** Predict checked games with one snapshot; answers come back in request order. */
export function predictGames(snap: Snapshot, games: readonly GameRequest[]): GamePrediction[] {
  const n = games.length;
  const groups = snap.availability ? groupByInactive(games) : new Map([['', games.map((_, i) => i)]]);
  const predOf = new Float64Array(n);
  for (const [key, idx] of groups) {
    const keys: GameKeys = {
      n: idx.length,
      gameId: idx.map((i) => `request:${i}`),
      date: Int32Array.from(idx, (i) => parseIsoDay(games[i]!.game_date)),
      season: Int16Array.from(idx, (i) => seasonOfDay(parseIsoDay(games[i]!.game_date))),
      playerId: Int32Array.from(idx, (i) => games[i]!.player_id),
      team: idx.map((i) => games[i]!.team),
      opponent: idx.map((i) => games[i]!.opponent),
      home: Uint8Array.from(idx, (i) => (games[i]!.home ? 1 : 0)),
    };
    const X = snap.features(keys, key === '' ? {} : { inactive: JSON.parse(key) as number[] });
    const pred = predictPra(snap.model.model, X);
    // the matrix is sorted by date: map its rows back to request order through the game ids
    for (let r = 0; r < idx.length; r++) predOf[Number(X.keys.gameId[r]!.slice(8))] = pred[r]!;
  }
  const { model } = snap;
  const out: GamePrediction[] = new Array(n);
  const edges: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = games[i]!;
    const line = g.line ?? null;
    const p = predOf[i]!;
    if (line !== null) edges.push(p - line);
    out[i] = {
      index: i,
      player_id: g.player_id,
      player_name: snap.data.playerIndex.get(g.player_id)!.name,
      game_date: g.game_date,
      team: g.team,
      opponent: g.opponent,
      home: g.home,
      prediction: Math.round(p * 1000) / 1000,
      line,
      p_over: null,
      model_name: model.name,
      model_version: model.version,
    };
  }
  const probs = model.calibration && edges.length > 0 ? model.calibration.predict(edges) : null;
  let k = 0;
  for (const o of out) {
    if (o.line === null) o.p_over_reason = 'no line given';
    else if (!probs)
      o.p_over_reason = `${model.name} version ${model.version} has no calibration (calibration.json) in its model artifact`;
    else o.p_over = Math.round(probs[k++]! * 10000) / 10000;
  }
  return out;
}
