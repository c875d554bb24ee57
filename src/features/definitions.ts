/**
 * A feature is data: a name, a category, the inputs it reads, a transform with parameters and
 * a version. The builder interprets these definitions; nothing else decides what a feature is.
 */
import { z } from 'zod';
import { OPTIONAL_STATS } from '../data/index.js';
import { InvalidParameterError } from '../errors.js';

export type FeatureCategory = 'core' | 'contextual' | 'temporal';

/**
 * The transforms the builder knows. Every transform reads only games strictly before the
 * game's date (and, for `home`, the game's own schedule facts known in advance).
 */
export const TRANSFORMS = {
  rolling_mean: 'mean of the input over the last `window` prior games of the player (at least `minPeriods`)',
  season_mean: "mean of the input over the player's prior games of the same season",
  rolling_std: 'population standard deviation of the input over the last `window` prior games',
  rolling_slope: 'least-squares slope of the input per game over the last `window` prior games',
  rolling_per36: 'sum of the input / sum of minutes × 36 over the last `window` prior games',
  usage_proxy:
    'share of team possessions used, (FGA + 0.44·FTA + TOV)·(team MIN/5) / (MIN·team (FGA + 0.44·FTA + TOV)), summed over the last `window` prior games',
  opp_def_rating:
    'points the opponent allowed per 100 opponent possessions (FGA + 0.44·FTA − OREB + TOV) over its prior games of the season (`window` 0) or its last `window` games',
  opp_pace:
    "possessions per 48 minutes in the opponent's prior games of the season (or its last `window` games)",
  opp_pra_allowed:
    'points + rebounds + assists of the teams facing the opponent, per game, over its prior games of the season (or its last `window`)',
  rest_days: "days since the player's previous game, capped at `cap`",
  back_to_back: "1 when the player's previous game was the day before, else 0",
  games_in_days: 'number of the player’s games in the `days` days before the game',
  home: '1 for a home game, 0 away (known from the schedule)',
  rolling_share_above:
    'share of the last `window` prior games in which the input was ≥ `threshold` (e.g. starter-like minutes)',
  games_with_team:
    "the player's consecutive prior games for the game's team (a trade resets it), capped at `cap`",
  avail_minutes_vacated:
    "sum of the last-`window` mean minutes of the team's regulars (≥ `minMinutes`, seen in the team's last `teamGames` games) not among the game's participants",
  avail_pra_vacated: 'the same sum for their last-`window` mean PRA',
  avail_regulars_out: "number of the team's regulars not among the game's participants",
  avail_pra_share:
    "the player's last-`window` mean PRA over the sum of the same means of his team's participants in the game",
  avail_usage_share:
    "the player's last-`window` mean used possessions (FGA + 0.44·FTA + TOV) over the sum over his team's participants",
  market_open_line:
    "the consensus opening line of the player's game (the first odds snapshot, posted before tip-off); missing where the game has no line",
  opp_pra_allowed_role:
    "mean PRA of the players who faced the opponent this season before the date with the player's role then (last-`window` mean minutes ≥ `threshold` = starter-like)",
} as const;

export type Transform = keyof typeof TRANSFORMS;

export interface FeatureDefinition {
  name: string;
  category: FeatureCategory;
  /** Canonical columns read (player-game columns, or team totals for opponent features). */
  inputs: string[];
  transform: Transform;
  params: Record<string, number>;
  /** Bumped when the definition's meaning changes. */
  version: number;
  description: string;
}

const FeatureDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower_snake_case'),
    category: z.enum(['core', 'contextual', 'temporal']),
    inputs: z.array(z.string()),
    transform: z.enum(Object.keys(TRANSFORMS) as [Transform, ...Transform[]]),
    params: z.record(z.string(), z.number()),
    version: z.number().int().positive(),
    description: z.string(),
  })
  .strict();

/** Player-game columns a rolling or season transform can read. */
const ROLLING_INPUTS_ALL = new Set<string>(['pra', 'minutes', 'pts', 'reb', 'ast', ...OPTIONAL_STATS]);

/** Parameters each transform needs, with the allowed ranges. */
const NEEDS: Partial<Record<Transform, Array<[string, number, number]>>> = {
  rolling_mean: [
    ['window', 1, 200],
    ['minPeriods', 1, 200],
  ],
  rolling_std: [
    ['window', 2, 200],
    ['minPeriods', 2, 200],
  ],
  rolling_slope: [
    ['window', 2, 200],
    ['minPeriods', 2, 200],
  ],
  rolling_per36: [['window', 1, 200]],
  usage_proxy: [['window', 1, 200]],
  opp_def_rating: [['window', 0, 200]],
  opp_pace: [['window', 0, 200]],
  opp_pra_allowed: [['window', 0, 200]],
  rest_days: [['cap', 1, 365]],
  games_in_days: [['days', 1, 365]],
  rolling_share_above: [
    ['window', 1, 200],
    ['threshold', 0, 100],
  ],
  games_with_team: [['cap', 1, 1000]],
  ...Object.fromEntries(
    (
      [
        'avail_minutes_vacated',
        'avail_pra_vacated',
        'avail_regulars_out',
        'avail_pra_share',
        'avail_usage_share',
        'opp_pra_allowed_role',
      ] as const
    ).map((t) => [
      t,
      [
        ['window', 1, 200],
        ['minMinutes', 0, 60],
        ['teamGames', 1, 82],
        ['threshold', 0, 60],
      ] as Array<[string, number, number]>,
    ]),
  ),
};

/** Validate one definition (e.g. read from JSON); the error names the feature and the fix. */
export function validateFeature(value: unknown): FeatureDefinition {
  const r = FeatureDefinitionSchema.safeParse(value);
  const name = (value as { name?: unknown } | null)?.name;
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidParameterError(
      `feature ${typeof name === 'string' ? `'${name}'` : '(unnamed)'}: '${issue.path.join('.')}' ${issue.message}.`,
    );
  }
  const def = r.data as FeatureDefinition;
  for (const [p, lo, hi] of NEEDS[def.transform] ?? []) {
    const v = def.params[p];
    if (v === undefined || !Number.isInteger(v) || v < lo || v > hi) {
      throw new InvalidParameterError(
        `feature '${def.name}': transform ${def.transform} needs integer param '${p}' in [${lo}, ${hi}] (got ${v}).`,
      );
    }
  }
  if (def.transform.startsWith('rolling_') || def.transform === 'season_mean') {
    const input = def.inputs[0];
    if (input === undefined || !ROLLING_INPUTS_ALL.has(input)) {
      throw new InvalidParameterError(
        `feature '${def.name}': ${def.transform} needs a player-game stat as its first input (one of ${[...ROLLING_INPUTS_ALL].join(', ')}).`,
      );
    }
  }
  return def;
}

/** A versioned set of features, compared against a baseline set. */
export interface FeatureSet {
  name: string;
  version: string;
  /** Name of the set this one is diffed against (the baseline's own baseline is itself). */
  baseline: string;
  description: string;
  features: FeatureDefinition[];
}

/** Validate a feature set: valid definitions, unique names. */
export function validateFeatureSet(set: FeatureSet): FeatureSet {
  const seen = new Set<string>();
  const features = set.features.map((f) => {
    const def = validateFeature(f);
    if (seen.has(def.name)) {
      throw new InvalidParameterError(`feature set '${set.name}': feature '${def.name}' is defined twice.`);
    }
    seen.add(def.name);
    return def;
  });
  if (!/^v[0-9]/.test(set.name)) {
    throw new InvalidParameterError(
      `feature set '${set.name}': names start with v and a version, e.g. v2_opponent.`,
    );
  }
  return { ...set, features };
}

/** Helper for declaring definitions. */
export function feature(
  name: string,
  category: FeatureCategory,
  transform: Transform,
  inputs: string[],
  params: Record<string, number> = {},
  description = '',
  version = 1,
): FeatureDefinition {
  return { name, category, inputs, transform, params, version, description };
}
