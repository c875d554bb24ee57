/**
 * Row shapes of the embedded store's tables and the small pure helpers the table classes
 * share (tags, NaN metrics, MLflow's metric ordering, URIs, run names).
 */
import { randomBytes } from 'node:crypto';
import type {
  LifecycleStage,
  LoggedModelStatus,
  Metric,
  ModelStage,
  ModelVersionStatus,
  RunStatus,
  Tag,
  ViewType,
} from '../../entities.js';

export interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
}

export interface RunRow {
  run_pk: number;
  run_uuid: string;
  name: string;
  experiment_id: number;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface MetricRow {
  run_uuid: string;
  key: string;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
}

export interface ModelRow {
  name: string;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string;
  max_version: number;
}

export interface VersionRow {
  name: string;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string;
  current_stage: ModelStage;
  source: string;
  storage_location: string;
  run_id: string;
  run_link: string;
  status: ModelVersionStatus;
  status_message: string;
}

export interface LoggedModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  status: LoggedModelStatus;
  status_message: string | null;
  model_type: string;
  source_run_id: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}

const ADJECTIVES = [
  'bold',
  'calm',
  'clever',
  'eager',
  'fast',
  'gentle',
  'happy',
  'keen',
  'lucky',
  'merry',
  'nimble',
  'proud',
  'quiet',
  'rare',
  'sharp',
  'swift',
  'tidy',
  'vivid',
  'warm',
  'wise',
];
const NOUNS = [
  'badger',
  'crane',
  'dolphin',
  'eagle',
  'falcon',
  'gecko',
  'heron',
  'ibis',
  'jaguar',
  'koala',
  'lynx',
  'marten',
  'newt',
  'otter',
  'panda',
  'quail',
  'raven',
  'seal',
  'tiger',
  'wolf',
];

export function randomRunName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}-${NOUNS[b[1]! % NOUNS.length]}-${b[2]! % 1000}`;
}

export function lifecycleStages(viewType: ViewType | undefined): LifecycleStage[] {
  if (viewType === 'DELETED_ONLY') return ['deleted'];
  if (viewType === 'ALL') return ['active', 'deleted'];
  return ['active'];
}

export function toTags(rows: readonly { key: string; value: string }[]): Tag[] {
  return rows.map((r) => ({ key: r.key, value: r.value }));
}

export function metricValue(value: number, isNan: number): number {
  return isNan ? Number.NaN : value;
}

/** `(a > b)` on MLflow's ordering of metric values: step, then timestamp, then value. */
export function newerMetric(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? 0 : a.value;
  const bv = Number.isNaN(b.value) ? 0 : b.value;
  return av > bv;
}

export function joinUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.filter((p) => p !== '')].join('/');
}
