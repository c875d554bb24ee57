import { describe, expect, it } from 'vitest';
import { type PlayerGames, parseIsoDay } from '../data/index.js';
import {
  buildFeatures,
  buildFeaturesForUpcoming,
  type FeatureSet,
  featureColumn,
  featureLineage,
  gameKeysOf,
  getFeatureSet,
  V1_BASELINE,
  V2_OPPONENT_EFFICIENCY,
  V3_ADVANCED,
  validateFeature,
  validateFeatureSet,
} from './index.js';

interface Row {
  g: string;
  d: string;
  p: number;
  t: string;
  o: string;
  h: number;
  min: number;
  pts: number;
  reb: number;
  ast: number;
  fga?: number;
  fta?: number;
  tov?: number;
  oreb?: number;
}

function table(rows: Row[]): PlayerGames {
  const n = rows.length;
  const f = (k: keyof Row): Float32Array => Float32Array.from(rows, (r) => Number(r[k] ?? 0));
  return {
    n,
    gameId: rows.map((r) => r.g),
    date: Int32Array.from(rows, (r) => parseIsoDay(r.d)),
    season: Int16Array.from(rows, (r) =>
      Number(r.d.slice(5, 7)) >= 9 ? Number(r.d.slice(0, 4)) : Number(r.d.slice(0, 4)) - 1,
    ),
    playerId: Int32Array.from(rows, (r) => r.p),
    playerName: rows.map((r) => `P${r.p}`),
    team: rows.map((r) => r.t),
    opponent: rows.map((r) => r.o),
    home: Uint8Array.from(rows, (r) => r.h),
    minutes: f('min'),
    pts: f('pts'),
    reb: f('reb'),
    ast: f('ast'),
    pra: Float32Array.from(rows, (r) => r.pts + r.reb + r.ast),
    fga: f('fga'),
    fta: f('fta'),
    tov: f('tov'),
    oreb: f('oreb'),
  };
}

// player 1 (team A) plays four games; player 2 (team B) is A's opponent twice; player 3 (team C)
const ROWS: Row[] = [
  {
    g: 'g1',
    d: '2023-10-24',
    p: 1,
    t: 'A',
    o: 'B',
    h: 1,
    min: 30,
    pts: 20,
    reb: 5,
    ast: 5,
    fga: 15,
    fta: 5,
    tov: 2,
    oreb: 1,
  },
  {
    g: 'g1',
    d: '2023-10-24',
    p: 2,
    t: 'B',
    o: 'A',
    h: 0,
    min: 32,
    pts: 10,
    reb: 10,
    ast: 0,
    fga: 10,
    fta: 0,
    tov: 1,
    oreb: 3,
  },
  {
    g: 'g2',
    d: '2023-10-25',
    p: 1,
    t: 'A',
    o: 'C',
    h: 0,
    min: 36,
    pts: 30,
    reb: 6,
    ast: 4,
    fga: 20,
    fta: 10,
    tov: 4,
    oreb: 2,
  },
  {
    g: 'g2',
    d: '2023-10-25',
    p: 3,
    t: 'C',
    o: 'A',
    h: 1,
    min: 20,
    pts: 8,
    reb: 2,
    ast: 2,
    fga: 8,
    fta: 2,
    tov: 1,
    oreb: 0,
  },
  {
    g: 'g3',
    d: '2023-10-28',
    p: 1,
    t: 'A',
    o: 'B',
    h: 1,
    min: 24,
    pts: 10,
    reb: 2,
    ast: 3,
    fga: 9,
    fta: 2,
    tov: 1,
    oreb: 0,
  },
  {
    g: 'g3',
    d: '2023-10-28',
    p: 2,
    t: 'B',
    o: 'A',
    h: 0,
    min: 30,
    pts: 15,
    reb: 8,
    ast: 2,
    fga: 12,
    fta: 4,
    tov: 2,
    oreb: 2,
  },
  // g4 is on C's game date too: C's features as of 10-30 must not see g4 itself
  {
    g: 'g4',
    d: '2023-10-30',
    p: 1,
    t: 'A',
    o: 'C',
    h: 1,
    min: 33,
    pts: 25,
    reb: 7,
    ast: 6,
    fga: 18,
    fta: 6,
    tov: 3,
    oreb: 1,
  },
  {
    g: 'g4',
    d: '2023-10-30',
    p: 3,
    t: 'C',
    o: 'A',
    h: 0,
    min: 25,
    pts: 12,
    reb: 3,
    ast: 1,
    fga: 10,
    fta: 2,
    tov: 2,
    oreb: 1,
  },
];

const at = (m: ReturnType<typeof buildFeatures>, name: string, gameId: string, playerId: number): number => {
  const c = featureColumn(m, name);
  for (let r = 0; r < m.nRows; r++)
    if (m.keys.gameId[r] === gameId && m.keys.playerId[r] === playerId) return c[r]!;
  throw new Error(`no row ${gameId}/${playerId}`);
};

describe('feature definitions, sets and lineage', () => {
  it('ships three nested sets with versions; lineage lists definitions and new/removed features', () => {
    expect(V1_BASELINE.features).toHaveLength(20);
    expect(V2_OPPONENT_EFFICIENCY.features).toHaveLength(23);
    expect(V3_ADVANCED.features).toHaveLength(35);
    const l = featureLineage(V3_ADVANCED);
    expect(l.feature_set).toBe('v3_advanced');
    expect(l.version).toBe('3.0.0');
    expect(l.baseline).toBe('v1_baseline');
    expect(l.removed_features).toEqual([]);
    expect(l.new_features).toEqual(V3_ADVANCED.features.slice(20).map((f) => f.name));
    expect(l.new_features).toContain('opp_def_rating');
    expect(l.categories.temporal).toEqual(['rest_days', 'back_to_back', 'games_last_7d']);
    expect(l.features.find((f) => f.name === 'pra_l10')).toEqual({
      name: 'pra_l10',
      category: 'core',
      inputs: ['pra'],
      transform: 'rolling_mean',
      params: { window: 10, minPeriods: 1 },
      version: 1,
      description: 'mean pra over the last 10 prior games',
    });
    expect(JSON.parse(JSON.stringify(l))).toEqual(l);
    expect(featureLineage(V1_BASELINE).new_features).toEqual([]);
  });

  it('diffs a custom set against a baseline: new, removed and changed', () => {
    const custom: FeatureSet = validateFeatureSet({
      name: 'v4_custom',
      version: '4.0.0',
      baseline: 'v3_advanced',
      description: 'test',
      features: [
        ...V3_ADVANCED.features.filter((f) => f.name !== 'home' && f.name !== 'pra_l3'),
        { ...V3_ADVANCED.features.find((f) => f.name === 'pra_l3')!, params: { window: 4, minPeriods: 1 } },
        {
          name: 'pra_l20',
          category: 'core',
          inputs: ['pra'],
          transform: 'rolling_mean',
          params: { window: 20, minPeriods: 5 },
          version: 1,
          description: '',
        },
      ],
    });
    const l = featureLineage(custom, V3_ADVANCED);
    expect(l.new_features).toEqual(['pra_l20']);
    expect(l.removed_features).toEqual(['home']);
    expect(l.changed_features).toEqual(['pra_l3']);
  });

  it('rejects bad definitions with the feature named', () => {
    expect(() => validateFeature({ ...V1_BASELINE.features[0]!, params: {} })).toThrow(
      /feature 'pra_l3': transform rolling_mean needs integer param 'window'/,
    );
    expect(() => validateFeature({ ...V1_BASELINE.features[0]!, transform: 'magic' })).toThrow(
      /feature 'pra_l3'/,
    );
    expect(() => validateFeature({ ...V1_BASELINE.features[0]!, inputs: ['salary'] })).toThrow(
      /needs a player-game stat as its first input/,
    );
    expect(() =>
      validateFeatureSet({ ...V1_BASELINE, features: [V1_BASELINE.features[0]!, V1_BASELINE.features[0]!] }),
    ).toThrow(/defined twice/);
    expect(() => getFeatureSet('v9')).toThrow(
      /unknown feature set 'v9'.*v1_baseline, v2_opponent_efficiency, v3_advanced/,
    );
  });
});

describe('feature values on a hand-checked table', () => {
  const t = table(ROWS);
  const m = buildFeatures(t, V3_ADVANCED);

  it('matrix layout: column-major Float32Array, keys and target, rows sorted by date', () => {
    expect(m.nRows).toBe(8);
    expect(m.nCols).toBe(35);
    expect(m.values).toBeInstanceOf(Float32Array);
    expect(m.values.length).toBe(8 * 35);
    expect(m.names).toEqual(V3_ADVANCED.features.map((f) => f.name));
    for (let r = 1; r < m.nRows; r++) expect(m.keys.date[r]).toBeGreaterThanOrEqual(m.keys.date[r - 1]!);
    const j = m.names.indexOf('pra_l3');
    expect(featureColumn(m, 'pra_l3').buffer).toBe(m.values.buffer);
    expect(featureColumn(m, 'pra_l3').byteOffset).toBe(j * m.nRows * 4);
    expect(at(m, 'pra_l3', 'g4', 1)).toBeCloseTo((30 + 40 + 15) / 3, 5);
    expect(Array.from(m.target)).toEqual(Array.from(t.pra));
    expect(m.featureSet).toEqual({ name: 'v3_advanced', version: '3.0.0' });
  });

  it('player rolling, season, per-36, std, trend and schedule features use prior games only', () => {
    // player 1: PRA 30, 40, 15, (25); minutes 30, 36, 24, (33)
    expect(at(m, 'pra_l3', 'g1', 1)).toBeNaN();
    expect(at(m, 'pra_l3', 'g2', 1)).toBe(30);
    expect(at(m, 'pra_l5', 'g3', 1)).toBe(35);
    expect(at(m, 'pra_season', 'g4', 1)).toBeCloseTo(85 / 3, 5);
    expect(at(m, 'minutes_l10', 'g4', 1)).toBe(30);
    expect(at(m, 'pts_per36_l10', 'g4', 1)).toBeCloseTo((60 / 90) * 36, 4);
    expect(at(m, 'pra_std_l10', 'g3', 1)).toBeCloseTo(5, 5);
    expect(at(m, 'pra_trend_l10', 'g3', 1)).toBeNaN(); // needs 3 prior games
    expect(at(m, 'pra_trend_l10', 'g4', 1)).toBeCloseTo(-7.5, 5); // slope of 30, 40, 15
    expect(at(m, 'minutes_trend_l5', 'g4', 1)).toBeCloseTo(-3, 5); // slope of 30, 36, 24
    expect(at(m, 'rest_days', 'g1', 1)).toBeNaN();
    expect(at(m, 'rest_days', 'g2', 1)).toBe(1);
    expect(at(m, 'back_to_back', 'g2', 1)).toBe(1);
    expect(at(m, 'back_to_back', 'g3', 1)).toBe(0);
    expect(at(m, 'rest_days', 'g4', 1)).toBe(2);
    expect(at(m, 'games_last_7d', 'g4', 1)).toBe(3);
    expect(at(m, 'home', 'g2', 1)).toBe(0);
    expect(at(m, 'home', 'g3', 1)).toBe(1);
  });

  it('opponent features as of the game date, usage proxy from team totals', () => {
    // g3: A vs B. B's prior game g1: B allowed A's 30 PRA, 20 pts; A's possessions there
    // = 15 + 0.44·5 − 1 + 2 = 18.2, B's = 10 + 0 − 3 + 1 = 8; B's minutes 32 → pace 48·13.1/6.4
    expect(at(m, 'opp_def_rating', 'g3', 1)).toBeCloseTo((100 * 20) / 18.2, 4);
    expect(at(m, 'opp_pra_allowed', 'g3', 1)).toBe(30);
    expect(at(m, 'opp_pace', 'g3', 1)).toBeCloseTo((48 * 13.1) / (32 / 5), 4);
    // g4: A vs C on 10-30; C's only prior game is g2 (10-25), not g4 itself
    expect(at(m, 'opp_pra_allowed', 'g4', 1)).toBe(40);
    expect(at(m, 'opp_def_rating', 'g1', 2)).toBeNaN();
    // player 1 is the whole of team A, so his usage share is minutes-weighted: (MIN_team/5)/MIN
    expect(at(m, 'usage_proxy_l10', 'g2', 1)).toBeCloseTo(30 / 5 / 30, 5);
  });

  it('data without shooting columns: possession-based features are missing, the rest are computed', () => {
    const { fga: _a, fta: _b, tov: _c, oreb: _d, ...bare } = t;
    const mb = buildFeatures(bare, V3_ADVANCED);
    for (const name of ['usage_proxy_l10', 'opp_def_rating', 'opp_pace']) {
      expect(Array.from(featureColumn(mb, name)).every(Number.isNaN), name).toBe(true);
    }
    expect(at(mb, 'opp_pra_allowed', 'g3', 1)).toBe(30);
    expect(at(mb, 'pra_l3', 'g4', 1)).toBe(at(m, 'pra_l3', 'g4', 1));
  });

  it('serving: upcoming games without box scores get the same code path, from history alone', () => {
    const history = table(ROWS.slice(0, 6));
    const rows = [6, 7];
    const up = gameKeysOf(t, rows);
    const served = buildFeaturesForUpcoming(history, up, V3_ADVANCED);
    expect(served.nRows).toBe(2);
    expect(Number.isNaN(served.target[0]!)).toBe(true);
    for (let c = 0; c < m.nCols; c++) {
      for (let r = 0; r < 2; r++) {
        const full = at(m, m.names[c]!, served.keys.gameId[r]!, served.keys.playerId[r]!);
        const s = served.values[c * served.nRows + r]!;
        expect(Number.isNaN(full) ? Number.isNaN(s) : s === full, m.names[c]).toBe(true);
      }
    }
    // history that includes the game's own date (or later) does not change the upcoming features
    const servedAll = buildFeaturesForUpcoming(t, up, V3_ADVANCED);
    expect(Array.from(servedAll.values)).toEqual(Array.from(served.values));
    // a player with no history: all history features missing, schedule facts present
    const rookie = { ...gameKeysOf(t, [6]), playerId: Int32Array.from([99]) };
    const r = buildFeaturesForUpcoming(history, rookie, V3_ADVANCED);
    expect(featureColumn(r, 'pra_l10')[0]).toBeNaN();
    expect(featureColumn(r, 'home')[0]).toBe(1);
    expect(featureColumn(r, 'opp_pra_allowed')[0]).toBe(40);
  });
});
