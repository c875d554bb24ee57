/**
 * Column mapping: which source column holds which canonical field. The defaults read nba_api
 * `leaguegamefinder` / `PlayerGameLogs` exports and the odds file layout; a JSON mapping file
 * names other columns (and another delimiter) for other layouts:
 *
 * ```json
 * { "players": { "columns": { "minutes": "Minutes", "date": "Date" }, "delimiter": ";" },
 *   "teams":   { "columns": { ... } },
 *   "lines":   { "columns": { ... } } }
 * ```
 *
 * A top-level `columns` / `delimiter` is shorthand for `players`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DataError } from '../errors.js';

export interface FieldSpec {
  readonly field: string;
  /** Source column names tried in order (case-insensitive). */
  readonly aliases: readonly string[];
  readonly required: boolean;
  /** What the field holds, for error messages and the README. */
  readonly what: string;
}

const f = (field: string, aliases: string[], required: boolean, what: string): FieldSpec => ({
  field,
  aliases,
  required,
  what,
});

const OPTIONAL_STAT_FIELDS: FieldSpec[] = [
  f('fgm', ['FGM'], false, 'field goals made'),
  f('fga', ['FGA'], false, 'field goals attempted'),
  f('fg3m', ['FG3M'], false, 'threes made'),
  f('fg3a', ['FG3A'], false, 'threes attempted'),
  f('ftm', ['FTM'], false, 'free throws made'),
  f('fta', ['FTA'], false, 'free throws attempted'),
  f('oreb', ['OREB'], false, 'offensive rebounds'),
  f('dreb', ['DREB'], false, 'defensive rebounds'),
  f('stl', ['STL'], false, 'steals'),
  f('blk', ['BLK'], false, 'blocks'),
  f('tov', ['TOV', 'TO'], false, 'turnovers'),
  f('pf', ['PF'], false, 'personal fouls'),
  f('plusMinus', ['PLUS_MINUS'], false, 'plus-minus'),
];

const GAME_FIELDS: FieldSpec[] = [
  f('gameId', ['GAME_ID', 'Game_ID'], true, 'game id (kept as text)'),
  f('date', ['GAME_DATE'], true, 'game date (YYYY-MM-DD, YYYY-MM-DDT00:00:00, MMM DD, YYYY or MM/DD/YYYY)'),
  f('seasonId', ['SEASON_ID'], false, 'nba_api season id: season-type digit + start year (22023)'),
  f('seasonLabel', ['SEASON_LABEL', 'SEASON', 'SEASON_YEAR'], false, 'season label like 2023-24'),
  f('seasonType', ['SEASON_TYPE'], false, "season type; rows other than 'Regular Season' are left out"),
  f('team', ['TEAM_ABBREVIATION'], true, "the row's team abbreviation"),
  f('matchup', ['MATCHUP'], false, "'LAL vs. BOS' (home) or 'LAL @ BOS' (away)"),
  f('opponent', ['OPP_TEAM_ABBREVIATION'], false, 'opponent abbreviation (used when there is no MATCHUP)'),
  f('home', ['IS_HOME'], false, '1 home / 0 away (used when there is no MATCHUP)'),
  f('minutes', ['MIN', 'MINUTES'], true, "minutes played, integer, decimal or '34:12'"),
  f('pts', ['PTS'], true, 'points'),
  f('reb', ['REB'], true, 'rebounds'),
  f('ast', ['AST'], true, 'assists'),
];

export const PLAYER_FIELDS: readonly FieldSpec[] = [
  ...GAME_FIELDS.slice(0, 5),
  f('playerId', ['PLAYER_ID', 'Player_ID', 'PERSON_ID'], true, 'player id (integer)'),
  f('playerName', ['PLAYER_NAME'], true, 'player name'),
  ...GAME_FIELDS.slice(5),
  ...OPTIONAL_STAT_FIELDS,
];

export const TEAM_FIELDS: readonly FieldSpec[] = [...GAME_FIELDS, ...OPTIONAL_STAT_FIELDS];

export const LINE_FIELDS: readonly FieldSpec[] = [
  f('gameId', ['nba_game_id', 'GAME_ID'], true, 'NBA game id the line is for'),
  f('date', ['nba_game_date', 'GAME_DATE', 'event_date'], true, 'US game date'),
  f('seasonType', ['nba_season_type', 'SEASON_TYPE'], false, "rows other than 'Regular Season' are left out"),
  f('playerId', ['nba_player_id', 'PLAYER_ID'], true, 'NBA player id (blank = unresolved, left out)'),
  f('playerName', ['nba_player_name', 'PLAYER_NAME', 'player_name'], true, 'player name'),
  f('market', ['market'], false, "market name (default 'PRA')"),
  f('book', ['bookmaker', 'book'], true, 'bookmaker'),
  f('line', ['line'], true, 'over/under line'),
  f('overOdds', ['over_price', 'over_odds'], true, 'American odds of the over'),
  f('underOdds', ['under_price', 'under_odds'], true, 'American odds of the under'),
  f('snapshotTime', ['timestamp', 'snapshot_time'], false, 'UTC time of the odds snapshot'),
];

const TableMappingSchema = z
  .object({
    columns: z.record(z.string(), z.string()).optional(),
    delimiter: z.string().length(1).optional(),
  })
  .strict();

const MappingSchema = z
  .object({
    columns: z.record(z.string(), z.string()).optional(),
    delimiter: z.string().length(1).optional(),
    players: TableMappingSchema.optional(),
    teams: TableMappingSchema.optional(),
    lines: TableMappingSchema.optional(),
  })
  .strict();

export type TableMapping = z.infer<typeof TableMappingSchema>;
export type ColumnMapping = z.infer<typeof MappingSchema>;

/** Validate a mapping object (from JSON). */
export function parseMapping(value: unknown, source = 'mapping'): ColumnMapping {
  const r = MappingSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new DataError(
      `${source}: invalid column mapping at '${issue.path.join('.') || '(top)'}': ${issue.message}. ` +
        'Fix: use {"players": {"columns": {"<field>": "<source column>"}, "delimiter": ","}, "teams": {...}, "lines": {...}}.',
    );
  }
  const m = r.data;
  for (const [kind, fields] of [
    ['players', PLAYER_FIELDS],
    ['teams', TEAM_FIELDS],
    ['lines', LINE_FIELDS],
  ] as const) {
    const cols = kind === 'players' ? { ...m.columns, ...m.players?.columns } : m[kind]?.columns;
    for (const key of Object.keys(cols ?? {})) {
      if (!fields.some((fs) => fs.field === key)) {
        throw new DataError(
          `${source}: unknown ${kind} field '${key}' in the mapping. Fix: use one of ${fields.map((x) => x.field).join(', ')}.`,
        );
      }
    }
  }
  return m;
}

/** Read and validate a JSON mapping file. */
export function readMappingFile(file: string): ColumnMapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`${file}: cannot read the mapping file (${(err as Error).message}).`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${file}: the mapping file is not valid JSON (${(err as Error).message}).`, {
      cause: err,
    });
  }
  return parseMapping(json, file);
}

/** The mapping for one table kind. */
export function tableMapping(
  mapping: ColumnMapping | undefined,
  kind: 'players' | 'teams' | 'lines',
): TableMapping {
  if (!mapping) return {};
  if (kind === 'players') {
    const columns = { ...mapping.columns, ...mapping.players?.columns };
    const delimiter = mapping.players?.delimiter ?? mapping.delimiter;
    return { columns, ...(delimiter !== undefined ? { delimiter } : {}) };
  }
  return mapping[kind] ?? {};
}

/** The mapping-file JSON that names the column of `field` in the table `fields` describe. */
function mappingExample(fields: readonly FieldSpec[], field: string): string {
  const inner = `{"columns": {"${field}": "YOUR_COLUMN"}}`;
  if (fields === LINE_FIELDS) return `{"lines": ${inner}}`;
  if (fields === TEAM_FIELDS) return `{"teams": ${inner}}`;
  return inner;
}

/**
 * Resolve each field to a column index of `header` (-1 when absent and optional). A missing
 * required column is an error naming the field, the header and the mapping fix.
 */
export function resolveColumns(
  file: string,
  header: readonly string[],
  fields: readonly FieldSpec[],
  mapping: TableMapping,
  requiredAlso: readonly string[] = [],
): Record<string, number> {
  const upper = header.map((h) => h.toUpperCase());
  const out: Record<string, number> = {};
  for (const spec of fields) {
    const mapped = mapping.columns?.[spec.field];
    if (mapped !== undefined) {
      const idx = header.indexOf(mapped);
      const idx2 = idx >= 0 ? idx : upper.indexOf(mapped.toUpperCase());
      if (idx2 < 0) {
        throw new DataError(
          `${file}: the mapping says field '${spec.field}' is column '${mapped}', but the header has no such column ` +
            `(header: ${header.join(', ')}). Fix: correct the mapping.`,
        );
      }
      out[spec.field] = idx2;
      continue;
    }
    let idx = -1;
    for (const a of spec.aliases) {
      idx = upper.indexOf(a.toUpperCase());
      if (idx >= 0) break;
    }
    if (idx < 0 && (spec.required || requiredAlso.includes(spec.field))) {
      throw new DataError(
        `${file}: required column '${spec.aliases[0]}' (${spec.field}: ${spec.what}) is missing; ` +
          `the header has ${header.join(', ')}. Fix: add the column, or name the column that holds it in a ` +
          `mapping file: write ${mappingExample(fields, spec.field)} to mapping.json and pass --mapping mapping.json.`,
      );
    }
    out[spec.field] = idx;
  }
  return out;
}
