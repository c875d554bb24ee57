/**
 * Registration gates: `val_mae<6.0`, `betting_roi >= 0.02`, `metrics.n_bets>500`.
 * A gate is a threshold on one run metric; the registry registers a run's model only when
 * the run's latest value of that metric passes it.
 */
import { InvalidParameterError } from '../errors.js';

export type GateOperator = '<' | '<=' | '>' | '>=';

export interface Gate {
  metric: string;
  op: GateOperator;
  threshold: number;
  /** The expression as the user wrote it, normalised (`val_mae < 6`). */
  expression: string;
}

const GATE_PATTERN = /^(.*?)\s*(<=|>=|<|>)\s*(.+)$/;
const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const METRIC_PATTERN = /^[/\w.\- :]+$/;

const HOW_TO =
  'write <metric><op><number> with <op> one of <, <=, >, >= (for example "val_mae<6.0" or "betting_roi >= 0.02")';

/** Parse a gate expression; a malformed one is an `InvalidParameterError` that shows the expected form. */
export function parseGate(text: string): Gate {
  const source = text.trim();
  const match = GATE_PATTERN.exec(source);
  if (!match) throw new InvalidParameterError(`Gate '${text}' has no comparison operator: ${HOW_TO}.`);
  let metric = match[1]!.trim();
  const op = match[2] as GateOperator;
  const rawValue = match[3]!.trim();
  if (metric.startsWith('metrics.')) metric = metric.slice('metrics.'.length);
  if (/[<>=!]/.test(rawValue) || rawValue.startsWith('=')) {
    throw new InvalidParameterError(`Gate '${text}' has more than one operator: ${HOW_TO}.`);
  }
  if (metric === '' || !METRIC_PATTERN.test(metric)) {
    throw new InvalidParameterError(`Gate '${text}' does not start with a metric name: ${HOW_TO}.`);
  }
  if (!NUMBER_PATTERN.test(rawValue)) {
    throw new InvalidParameterError(`Gate '${text}': threshold '${rawValue}' is not a number; ${HOW_TO}.`);
  }
  const threshold = Number(rawValue);
  return { metric, op, threshold, expression: `${metric} ${op} ${rawValue}` };
}

/** Whether `value` passes the gate. */
export function passesGate(gate: Gate, value: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (gate.op) {
    case '<':
      return value < gate.threshold;
    case '<=':
      return value <= gate.threshold;
    case '>':
      return value > gate.threshold;
    case '>=':
      return value >= gate.threshold;
  }
}
