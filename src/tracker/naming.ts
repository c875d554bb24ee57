/**
 * Run names: `YYYYMMDD_pN_<feature_set>_<validation>_vN`, e.g.
 * `20261204_p1_v3_advanced_wfdaily_v2` — the day the run started, the project phase, the
 * feature set (may contain underscores and dots), the validation scheme (one word without
 * underscores: `wfdaily`, `wf7d`, `holdout`) and a version that counts runs with the same
 * first four parts in the experiment. Pure functions except `nextRunName`, which searches
 * the experiment through any `TrackingStore`.
 */
import { InvalidParameterError } from '../errors.js';
import type { TrackingStore } from '../tracking/index.js';

export interface RunNameParts {
  /** `YYYYMMDD` (a real calendar day). */
  date: string;
  /** Project phase number: 1 in `p1`. */
  phase: number;
  /** Feature set name, e.g. `v3_advanced` or `v2.1_opponent_efficiency`. */
  featureSet: string;
  /** Validation scheme, one word: `wfdaily`, `wf7d`, `holdout`. */
  validation: string;
  /** Version within the experiment, from 1. */
  version: number;
}

/** What `formatRunName` accepts: the date may also be a `Date` (its UTC day) or a day number. */
export type RunNameInput = Omit<RunNameParts, 'date'> & { date: string | Date | number };

const FEATURE_SET = /^[a-z0-9][a-z0-9.\-_]*[a-z0-9]$|^[a-z0-9]$/;
const VALIDATION = /^[a-z0-9][a-z0-9-]*$/;
const NAME = /^(\d{8})_p(\d+)_(.+)_([^_]+)_v(\d+)$/;

function isCalendarDay(yyyymmdd: string): boolean {
  if (!/^\d{8}$/.test(yyyymmdd)) return false;
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 1900;
}

/** `YYYYMMDD` of a Date (UTC), a day number (days since 1970-01-01) or a `YYYYMMDD` / `YYYY-MM-DD` string. */
export function runNameDate(date: string | Date | number): string {
  if (date instanceof Date) return date.toISOString().slice(0, 10).replaceAll('-', '');
  if (typeof date === 'number')
    return new Date(date * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date.replaceAll('-', '') : date;
}

/** The reason the parts cannot form a run name, or null when they can. */
function partsProblem(p: RunNameParts): string | null {
  if (!isCalendarDay(p.date))
    return `date '${p.date}' is not a calendar day written YYYYMMDD (e.g. 20261204)`;
  if (!Number.isInteger(p.phase) || p.phase < 0 || p.phase > 99)
    return `phase ${p.phase} must be a whole number from 0 to 99 (p1 = phase 1)`;
  if (!FEATURE_SET.test(p.featureSet))
    return `feature set '${p.featureSet}' must be lower-case letters, digits, '.', '-' or '_' (e.g. v3_advanced), starting and ending with a letter or digit`;
  if (!VALIDATION.test(p.validation))
    return `validation '${p.validation}' must be one lower-case word without underscores (e.g. wfdaily, wf7d, holdout)`;
  if (!Number.isInteger(p.version) || p.version < 1)
    return `version ${p.version} must be a whole number from 1 (v1, v2, …)`;
  return null;
}

/** Format a run name; throws `InvalidParameterError` naming the part that is wrong. */
export function formatRunName(input: RunNameInput): string {
  const parts: RunNameParts = { ...input, date: runNameDate(input.date) };
  const problem = partsProblem(parts);
  if (problem) throw new InvalidParameterError(`Cannot form a run name: ${problem}.`);
  return `${parts.date}_p${parts.phase}_${parts.featureSet}_${parts.validation}_v${parts.version}`;
}

/** The parts of a run name, or null when it does not follow `YYYYMMDD_pN_<feature_set>_<validation>_vN`. */
export function parseRunName(name: string): RunNameParts | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const parts: RunNameParts = {
    date: m[1]!,
    phase: Number(m[2]),
    featureSet: m[3]!,
    validation: m[4]!,
    version: Number(m[5]),
  };
  return partsProblem(parts) === null ? parts : null;
}

/** Throw `InvalidParameterError` with the reason when `name` is not a valid run name; return its parts. */
export function validateRunName(name: string): RunNameParts {
  const m = NAME.exec(name);
  if (!m) {
    throw new InvalidParameterError(
      `Run name '${name}' does not follow YYYYMMDD_pN_<feature_set>_<validation>_vN (e.g. 20261204_p1_v3_advanced_wfdaily_v2).`,
    );
  }
  const parts: RunNameParts = {
    date: m[1]!,
    phase: Number(m[2]),
    featureSet: m[3]!,
    validation: m[4]!,
    version: Number(m[5]),
  };
  const problem = partsProblem(parts);
  if (problem) throw new InvalidParameterError(`Run name '${name}': ${problem}.`);
  return parts;
}

/** The validation word for a walk-forward scheme: `wfdaily` for daily refits, `wf<k>d` otherwise, `…w<n>d` for a rolling window. */
export function walkForwardValidationName(refitEveryDays: number, windowDays?: number): string {
  const base = refitEveryDays === 1 ? 'wfdaily' : `wf${refitEveryDays}d`;
  return windowDays ? `${base}w${windowDays}d` : base;
}

/**
 * The next run name in an experiment: the given parts with `vN` one above the highest version
 * among runs (deleted ones included, so a name is never reused) that share date, phase,
 * feature set and validation.
 */
export async function nextRunName(
  store: TrackingStore,
  experimentId: string,
  parts: Omit<RunNameInput, 'version'>,
): Promise<string> {
  const probe = formatRunName({ ...parts, version: 1 });
  const prefix = probe.slice(0, -'v1'.length);
  let highest = 0;
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({
      experimentIds: [experimentId],
      // LIKE's '_' matches any character: the exact prefix is checked below
      filter: `attributes.run_name LIKE '${prefix.replaceAll("'", '')}%'`,
      maxResults: 1000,
      viewType: 'ALL',
      ...(pageToken ? { pageToken } : {}),
    });
    for (const r of page.items) {
      const p = parseRunName(r.info.runName);
      if (p && `${r.info.runName.slice(0, -`v${p.version}`.length)}` === prefix)
        highest = Math.max(highest, p.version);
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return `${prefix}v${highest + 1}`;
}
