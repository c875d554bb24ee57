/**
 * The degradation rule: `live_mae > val_mae * 1.10 over 300` (factor of the validation MAE),
 * `live_mae > val_mae + 0.5 over 300` (margin) or `live_mae > 6.5 over 300` (absolute). `over N`
 * is both the rolling window and the games needed before the rule can fire.
 */
import { InvalidParameterError } from '../errors.js';

export interface DegradationRule {
  text: string;
  kind: 'factor' | 'margin' | 'absolute';
  value: number;
  /** Rolling window of games, and the minimum number of games before the rule applies. */
  minGames: number;
}

export const DEFAULT_RULE = 'live_mae > val_mae * 1.10 over 300';

const NUM = '(\\d+(?:\\.\\d+)?)';
const PATTERN = new RegExp(
  `^\\s*live_mae\\s*>\\s*(?:val_mae\\s*(\\*|×|x|\\+)\\s*${NUM}|${NUM})\\s+over\\s*(?:>=|≥)?\\s*(\\d+)\\s*(?:games)?\\s*$`,
  'i',
);

export function parseRule(text: string): DegradationRule {
  const m = PATTERN.exec(text);
  if (!m) {
    throw new InvalidParameterError(
      `--degradation '${text}' is not a rule. Write it as 'live_mae > val_mae * 1.10 over 300', 'live_mae > val_mae + 0.5 over 300' or 'live_mae > 6.5 over 300' (over N = rolling window of games).`,
    );
  }
  const minGames = Number(m[4]);
  if (minGames < 1) throw new InvalidParameterError(`--degradation '${text}': 'over N' needs N ≥ 1 games.`);
  if (m[3] !== undefined) return { text: text.trim(), kind: 'absolute', value: Number(m[3]), minGames };
  const value = Number(m[2]);
  const kind = m[1] === '+' ? 'margin' : 'factor';
  if (kind === 'factor' && value <= 0)
    throw new InvalidParameterError(`--degradation '${text}': the factor must be > 0.`);
  return { text: text.trim(), kind, value, minGames };
}

/** The live MAE above which the rule fires (null when it needs a validation MAE there is none of). */
export function threshold(rule: DegradationRule, valMae: number | null): number | null {
  if (rule.kind === 'absolute') return rule.value;
  if (valMae === null || !Number.isFinite(valMae)) return null;
  return rule.kind === 'factor' ? valMae * rule.value : valMae + rule.value;
}

/** The threshold as people read it: `val_mae 5.40 × 1.10 = 5.94`. */
export function describeThreshold(rule: DegradationRule, valMae: number | null): string {
  const t = threshold(rule, valMae);
  if (t === null) return 'no val_mae to compare with';
  if (rule.kind === 'absolute') return `${t.toFixed(3)}`;
  const op = rule.kind === 'factor' ? '×' : '+';
  return `val_mae ${valMae!.toFixed(3)} ${op} ${rule.value} = ${t.toFixed(3)}`;
}
