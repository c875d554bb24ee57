/** The feature sets that ship: v1_baseline ⊂ v2_opponent_efficiency ⊂ v3_advanced. */
import { InvalidParameterError } from '../errors.js';
import {
  type FeatureDefinition,
  type FeatureSet,
  feature,
  type Transform,
  validateFeatureSet,
} from './definitions.js';

const STATS = ['pra', 'minutes', 'pts', 'reb', 'ast'] as const;

function baselineFeatures(): FeatureDefinition[] {
  const out: FeatureDefinition[] = [];
  for (const s of STATS) {
    for (const w of [3, 5, 10]) {
      out.push(
        feature(
          `${s}_l${w}`,
          'core',
          'rolling_mean',
          [s],
          { window: w, minPeriods: 1 },
          `mean ${s} over the last ${w} prior games`,
        ),
      );
    }
    out.push(feature(`${s}_season`, 'core', 'season_mean', [s], {}, `season-to-date mean ${s}`));
  }
  return out;
}

function opponentFeatures(): FeatureDefinition[] {
  return [
    feature(
      'opp_def_rating',
      'contextual',
      'opp_def_rating',
      ['team.pts', 'team.fga', 'team.fta', 'team.oreb', 'team.tov'],
      { window: 0 },
      "opponent's points allowed per 100 possessions, season to date",
    ),
    feature(
      'opp_pace',
      'contextual',
      'opp_pace',
      ['team.fga', 'team.fta', 'team.oreb', 'team.tov', 'team.minutes'],
      { window: 0 },
      "possessions per 48 minutes in the opponent's games, season to date",
    ),
    feature(
      'opp_pra_allowed',
      'contextual',
      'opp_pra_allowed',
      ['team.pts', 'team.reb', 'team.ast'],
      { window: 0 },
      'team PRA allowed per game by the opponent, season to date',
    ),
  ];
}

function advancedFeatures(): FeatureDefinition[] {
  return [
    feature(
      'rest_days',
      'temporal',
      'rest_days',
      ['date'],
      { cap: 10 },
      "days since the player's previous game",
    ),
    feature('back_to_back', 'temporal', 'back_to_back', ['date'], {}, 'second game of a back-to-back'),
    feature(
      'games_last_7d',
      'temporal',
      'games_in_days',
      ['date'],
      { days: 7 },
      'games in the previous 7 days',
    ),
    feature('home', 'contextual', 'home', ['home'], {}, 'home game'),
    ...(['pra', 'pts', 'reb', 'ast'] as const).map((s) =>
      feature(
        `${s}_per36_l10`,
        'core',
        'rolling_per36',
        [s, 'minutes'],
        { window: 10 },
        `${s} per 36 minutes, last 10`,
      ),
    ),
    feature(
      'usage_proxy_l10',
      'core',
      'usage_proxy',
      ['fga', 'fta', 'tov', 'minutes', 'team.fga', 'team.fta', 'team.tov', 'team.minutes'],
      { window: 10 },
      'share of team possessions used, last 10 games',
    ),
    feature(
      'pra_std_l10',
      'core',
      'rolling_std',
      ['pra'],
      { window: 10, minPeriods: 2 },
      'PRA spread, last 10',
    ),
    feature(
      'pra_trend_l10',
      'core',
      'rolling_slope',
      ['pra'],
      { window: 10, minPeriods: 3 },
      'PRA slope per game',
    ),
    feature(
      'minutes_trend_l5',
      'core',
      'rolling_slope',
      ['minutes'],
      { window: 5, minPeriods: 3 },
      'minutes slope per game, last 5',
    ),
  ];
}

export const V1_BASELINE: FeatureSet = validateFeatureSet({
  name: 'v1_baseline',
  version: '1.0.0',
  baseline: 'v1_baseline',
  description: 'rolling L3/L5/L10 and season-to-date means of PRA, minutes, points, rebounds, assists',
  features: baselineFeatures(),
});

export const V2_OPPONENT_EFFICIENCY: FeatureSet = validateFeatureSet({
  name: 'v2_opponent_efficiency',
  version: '2.0.0',
  baseline: 'v1_baseline',
  description: 'v1 + opponent defensive rating, pace and PRA allowed as of the game date',
  features: [...baselineFeatures(), ...opponentFeatures()],
});

export const V3_ADVANCED: FeatureSet = validateFeatureSet({
  name: 'v3_advanced',
  version: '3.0.0',
  baseline: 'v1_baseline',
  description:
    'v2 + rest, back-to-back, games in 7 days, home/away, per-36 rates, usage proxy, PRA spread and trend, minutes trend',
  features: [...baselineFeatures(), ...opponentFeatures(), ...advancedFeatures()],
});

/** Availability and role: who is out for the team, the player's role and how the opponent defends it. */
function contextFeatures(): FeatureDefinition[] {
  const ctx = { window: 10, minMinutes: 12, teamGames: 10, threshold: 24 };
  // a context feature: its name is its transform, with the shared context parameters
  const c = (t: Transform, inputs: string[], what: string) => feature(t, 'contextual', t, inputs, ctx, what);
  return [
    c('avail_minutes_vacated', ['minutes'], "minutes per game of the team's regulars who are out"),
    c('avail_pra_vacated', ['pra'], "PRA per game of the team's regulars who are out"),
    c('avail_regulars_out', ['minutes'], "number of the team's regulars who are out"),
    c('avail_pra_share', ['pra'], "the player's share of his playing teammates' PRA per game (L10)"),
    c(
      'avail_usage_share',
      ['fga', 'fta', 'tov'],
      "the player's share of his playing teammates' used possessions (L10)",
    ),
    c(
      'opp_pra_allowed_role',
      ['pra', 'minutes'],
      'PRA the opponent allowed this season to players of his role',
    ),
    feature(
      'minutes_std_l10',
      'core',
      'rolling_std',
      ['minutes'],
      { window: 10, minPeriods: 3 },
      'std of minutes over the last 10 games',
    ),
    feature(
      'starter_share_l10',
      'core',
      'rolling_share_above',
      ['minutes'],
      { window: 10, threshold: 24 },
      'share of the last 10 games with ≥ 24 minutes',
    ),
    feature(
      'games_with_team',
      'temporal',
      'games_with_team',
      ['team'],
      { cap: 82 },
      'consecutive games for his current team (a trade resets it)',
    ),
    feature(
      'minutes_l20',
      'core',
      'rolling_mean',
      ['minutes'],
      { window: 20, minPeriods: 1 },
      'mean minutes over the last 20 games (minutes trend with L3/L5/L10)',
    ),
  ];
}

export const V4_CONTEXT: FeatureSet = validateFeatureSet({
  name: 'v4_context',
  version: '4.0.0',
  baseline: 'v3_advanced',
  description:
    'v3 + availability (regulars out, minutes and PRA vacated, shares of the playing roster) and role (stability, starter share, games with team, opponent PRA allowed to the role)',
  features: [...baselineFeatures(), ...opponentFeatures(), ...advancedFeatures(), ...contextFeatures()],
});

export const V4_MARKET: FeatureSet = validateFeatureSet({
  name: 'v4_market',
  version: '4.0.0',
  baseline: 'v4_context',
  description:
    'v4_context + the opening line (first odds snapshot, known before the bet); needs the dataset lines; reported separately',
  features: [
    ...V4_CONTEXT.features,
    feature(
      'market_open_line',
      'contextual',
      'market_open_line',
      ['lines.line'],
      {},
      'consensus opening PRA line of the game',
    ),
  ],
});

/** The shipped sets by name. */
export const FEATURE_SETS: Readonly<Record<string, FeatureSet>> = {
  v1_baseline: V1_BASELINE,
  v2_opponent_efficiency: V2_OPPONENT_EFFICIENCY,
  v3_advanced: V3_ADVANCED,
  v4_context: V4_CONTEXT,
  v4_market: V4_MARKET,
};

/** A shipped set by name; the error lists the available ones. */
export function getFeatureSet(name: string): FeatureSet {
  const set = FEATURE_SETS[name];
  if (!set) {
    throw new InvalidParameterError(
      `unknown feature set '${name}'. Fix: use one of ${Object.keys(FEATURE_SETS).join(', ')}.`,
    );
  }
  return set;
}
