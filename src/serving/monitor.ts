/**
 * Monitoring: actual results joined to the recorded predictions, live MAE per model version
 * over a rolling window of games next to the version's validation MAE, logged to the tracking
 * store as the monitoring runs (experiment `NBA_Props_Model/Monitoring`, one run per version,
 * metrics at step = YYYYMMDD), and the degradation rule: an alert (log line, gauge, optional
 * webhook) and, when enabled, the registry's rollback with a reason naming the figures.
 */
import { formatDay, type PlayerGames } from '../data/index.js';
import { toPropflowError } from '../errors.js';
import { MAX_REASON_LENGTH, ModelRegistry, type RollbackResult } from '../registry/index.js';
import { getOrCreateExperiment, type Metric, type TrackingStore } from '../tracking/index.js';
import type { ServingMetrics } from './metrics.js';
import type { AlertRow, JoinedRow, PredictionRecorder } from './recorder.js';
import { type DegradationRule, describeThreshold, threshold } from './rule.js';

export const MONITORING_EXPERIMENT = 'NBA_Props_Model/Monitoring';
export const MONITOR_MODEL_TAG = 'propflow.monitor.model';
export const MONITOR_VERSION_TAG = 'propflow.monitor.version';

export type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface VersionStatus {
  model: string;
  version: string;
  stage: string | null;
  valMae: number | null;
  /** Live MAE over the last `windowGames` games with results (null before any). */
  liveMae: number | null;
  /** Games in the window (≤ the rule's N). */
  windowGames: number;
  /** Games with results in all. */
  totalGames: number;
  firstDay: string | null;
  lastDay: string | null;
  threshold: number | null;
  degraded: boolean;
  /** Per day: rolling MAE, that day's MAE, games in the window. */
  days: Array<{ day: number; liveMae: number; liveMaeDay: number; windowGames: number }>;
}

export interface MonitorOptions {
  store: TrackingStore;
  recorder: PredictionRecorder;
  rule: DegradationRule;
  autoRollback?: boolean;
  webhook?: string;
  log?: Log;
  metrics?: ServingMetrics;
  actor?: string;
}

export interface MonitorReport {
  joined: number;
  didNotPlay: number;
  versions: VersionStatus[];
  newAlerts: AlertRow[];
  rollbacks: RollbackResult[];
  loggedPoints: number;
}

const yyyymmdd = (day: number) => Number(formatDay(day).replaceAll('-', ''));

/** Join the results of `players` (games up to its last day) to the open predictions. */
export function joinResults(
  recorder: PredictionRecorder,
  players: PlayerGames,
): { joined: number; didNotPlay: number } {
  let last = Number.NEGATIVE_INFINITY;
  const played = new Map<string, { pra: number; gameId: string }>();
  for (let i = 0; i < players.n; i++) {
    const day = players.date[i]!;
    if (day > last) last = day;
    played.set(`${players.playerId[i]}|${day}`, { pra: players.pra[i]!, gameId: players.gameId[i]! });
  }
  const open = recorder.openPredictions(last);
  const rows = open.map((o) => {
    const hit = played.get(`${o.playerId}|${o.day}`);
    return { id: o.id, actual: hit ? hit.pra : null, gameId: hit ? hit.gameId : null };
  });
  recorder.saveResults(rows);
  const joined = rows.filter((r) => r.actual !== null).length;
  return { joined, didNotPlay: rows.length - joined };
}

/** Rolling-window series of one version's joined games (sorted by day). */
export function liveSeries(rows: readonly JoinedRow[], window: number): VersionStatus['days'] {
  const out: VersionStatus['days'] = [];
  const cum = new Float64Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++)
    cum[i + 1] = cum[i]! + Math.abs(rows[i]!.prediction - rows[i]!.actual);
  let dayStart = 0;
  for (let e = 1; e <= rows.length; e++) {
    if (e < rows.length && rows[e]!.day === rows[e - 1]!.day) continue;
    const s = Math.max(0, e - window);
    out.push({
      day: rows[e - 1]!.day,
      liveMae: (cum[e]! - cum[s]!) / (e - s),
      liveMaeDay: (cum[e]! - cum[dayStart]!) / (e - dayStart),
      windowGames: e - s,
    });
    dayStart = e;
  }
  return out;
}

async function versionFacts(
  store: TrackingStore,
  model: string,
  version: string,
): Promise<{ valMae: number | null; stage: string | null }> {
  try {
    const v = await store.getModelVersion(model, version);
    const run = await store.getRun(v.runId);
    return {
      valMae: run.data.metrics.find((m) => m.key === 'val_mae')?.value ?? null,
      stage: v.currentStage,
    };
  } catch {
    return { valMae: null, stage: null };
  }
}

/** Live status of every version in the monitoring database. */
export async function monitorStatus(
  store: TrackingStore,
  recorder: PredictionRecorder,
  rule: DegradationRule,
): Promise<VersionStatus[]> {
  const byVersion = new Map<string, JoinedRow[]>();
  for (const r of recorder.joined()) {
    const k = `${r.modelName}\u0000${r.modelVersion}`;
    const list = byVersion.get(k);
    if (list) list.push(r);
    else byVersion.set(k, [r]);
  }
  for (const c of recorder.counts()) {
    const k = `${c.modelName}\u0000${c.modelVersion}`;
    if (!byVersion.has(k)) byVersion.set(k, []);
  }
  const out: VersionStatus[] = [];
  for (const [k, rows] of byVersion) {
    const [model, version] = k.split('\u0000') as [string, string];
    const facts = await versionFacts(store, model, version);
    const days = liveSeries(rows, rule.minGames);
    const last = days.at(-1);
    const t = threshold(rule, facts.valMae);
    out.push({
      model,
      version,
      stage: facts.stage,
      valMae: facts.valMae,
      liveMae: last?.liveMae ?? null,
      windowGames: last?.windowGames ?? 0,
      totalGames: rows.length,
      firstDay: rows.length > 0 ? formatDay(rows[0]!.day) : null,
      lastDay: rows.length > 0 ? formatDay(rows.at(-1)!.day) : null,
      threshold: t,
      degraded: last !== undefined && t !== null && last.windowGames >= rule.minGames && last.liveMae > t,
      days,
    });
  }
  return out.sort((a, b) => a.model.localeCompare(b.model) || Number(a.version) - Number(b.version));
}

/** The monitoring run of a version (created FINISHED on first use). */
async function monitoringRun(store: TrackingStore, model: string, version: string): Promise<string> {
  const experimentId = await getOrCreateExperiment(store, MONITORING_EXPERIMENT);
  const found = await store.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${MONITOR_MODEL_TAG}\` = '${model.replaceAll("'", "\\'")}' and tags.\`${MONITOR_VERSION_TAG}\` = '${version}'`,
    maxResults: 1,
  });
  if (found.items[0]) return found.items[0].info.runId;
  const run = await store.createRun({
    experimentId,
    runName: `monitor_${model}_v${version}`,
    startTime: Date.now(),
    tags: [
      { key: MONITOR_MODEL_TAG, value: model },
      { key: MONITOR_VERSION_TAG, value: version },
      { key: 'mlflow.runName', value: `monitor_${model}_v${version}` },
      { key: 'propflow.pipeline', value: 'monitoring' },
    ],
  });
  await store.updateRun(run.info.runId, { status: 'FINISHED', endTime: Date.now() });
  return run.info.runId;
}

/** Log the days not logged yet of each version; returns the metric points written. */
async function logToTracking(
  store: TrackingStore,
  recorder: PredictionRecorder,
  versions: VersionStatus[],
): Promise<number> {
  let points = 0;
  for (const v of versions) {
    const done = recorder.loggedDays(v.model, v.version);
    const fresh = v.days.filter((d) => !done.has(d.day));
    if (fresh.length === 0) continue;
    const runId = await monitoringRun(store, v.model, v.version);
    const now = Date.now();
    const metrics: Metric[] = [];
    for (const d of fresh) {
      const step = yyyymmdd(d.day);
      metrics.push(
        { key: 'live_mae', value: d.liveMae, timestamp: now, step },
        { key: 'live_mae_day', value: d.liveMaeDay, timestamp: now, step },
        { key: 'live_n_games', value: d.windowGames, timestamp: now, step },
      );
      if (v.valMae !== null) metrics.push({ key: 'val_mae', value: v.valMae, timestamp: now, step });
    }
    for (let i = 0; i < metrics.length; i += 900)
      await store.logBatch(runId, { metrics: metrics.slice(i, i + 900) });
    await store.updateRun(runId, { status: 'FINISHED', endTime: now });
    recorder.markLogged(
      v.model,
      v.version,
      fresh.map((d) => d.day),
    );
    points += metrics.length;
  }
  return points;
}

async function postWebhook(url: string, body: unknown, log: Log): Promise<void> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) log('warn', `alert webhook ${url} answered ${res.status}`);
  } catch (err) {
    log('warn', `alert webhook ${url} failed: ${(err as Error).message}`);
  }
}

/** The rollback reason: what broke which rule, with the figures. */
export function degradationReason(v: VersionStatus, rule: DegradationRule): string {
  const text = `monitoring: live_mae ${v.liveMae!.toFixed(3)} over the last ${v.windowGames} games (to ${v.lastDay}) > ${describeThreshold(rule, v.valMae)} (rule '${rule.text}')`;
  return text.slice(0, MAX_REASON_LENGTH);
}

async function raiseAlerts(
  opts: MonitorOptions,
  versions: VersionStatus[],
  log: Log,
): Promise<Pick<MonitorReport, 'newAlerts' | 'rollbacks'>> {
  const newAlerts: AlertRow[] = [];
  const rollbacks: RollbackResult[] = [];
  const previous = opts.recorder.alerts(1000);
  for (const v of versions) {
    opts.metrics?.alert.set({ model: v.model, version: v.version }, v.degraded ? 1 : 0);
    if (!v.degraded) continue;
    const reason = degradationReason(v, opts.rule);
    const isProduction = v.stage === 'Production';
    const already = previous.some(
      (a) => a.modelName === v.model && a.modelVersion === v.version && a.rule === opts.rule.text,
    );
    if (already && !(isProduction && opts.autoRollback)) {
      log('warn', `ALERT (still) ${v.model} v${v.version}: ${reason}`);
      continue;
    }
    let action = opts.autoRollback
      ? isProduction
        ? 'rollback'
        : 'none (not the Production version)'
      : 'alert only (auto-rollback off)';
    if (opts.autoRollback && isProduction) {
      try {
        const rb = await new ModelRegistry(opts.store, opts.actor ? { actor: opts.actor } : {}).rollback({
          name: v.model,
          reason,
        });
        rollbacks.push(rb);
        action = `rolled back v${rb.from} → v${rb.to}`;
      } catch (err) {
        action = `rollback failed: ${toPropflowError(err).message}`;
      }
    }
    log(
      action.startsWith('rollback failed') ? 'error' : 'warn',
      `ALERT ${v.model} v${v.version}: ${reason}; ${action}`,
    );
    const row = {
      time: new Date().toISOString(),
      modelName: v.model,
      modelVersion: v.version,
      rule: opts.rule.text,
      liveMae: v.liveMae!,
      valMae: v.valMae,
      threshold: v.threshold!,
      nGames: v.windowGames,
      action,
      message: reason,
    };
    const id = opts.recorder.addAlert(row);
    newAlerts.push({ id, ...row });
    if (opts.webhook) {
      await postWebhook(
        opts.webhook,
        {
          alert: 'propflow_degradation',
          model: v.model,
          version: v.version,
          live_mae: v.liveMae,
          val_mae: v.valMae,
          threshold: v.threshold,
          n_games: v.windowGames,
          rule: opts.rule.text,
          action,
          reason,
        },
        log,
      );
    }
  }
  return { newAlerts, rollbacks };
}

/**
 * One monitoring pass: join the results in `players`, compute live MAE per version, log new
 * days to the tracking store, apply the degradation rule (alerts, rollback).
 */
export async function runMonitoring(
  opts: MonitorOptions,
  players: PlayerGames | null,
): Promise<MonitorReport> {
  const log = opts.log ?? (() => undefined);
  opts.recorder.flush();
  const { joined, didNotPlay } = players ? joinResults(opts.recorder, players) : { joined: 0, didNotPlay: 0 };
  const versions = await monitorStatus(opts.store, opts.recorder, opts.rule);
  for (const v of versions) {
    const labels = { model: v.model, version: v.version };
    if (v.liveMae !== null) opts.metrics?.liveMae.set(labels, v.liveMae);
    if (v.valMae !== null) opts.metrics?.valMae.set(labels, v.valMae);
    opts.metrics?.liveGames.set(labels, v.windowGames);
  }
  const loggedPoints = await logToTracking(opts.store, opts.recorder, versions);
  const { newAlerts, rollbacks } = await raiseAlerts(opts, versions, log);
  for (const v of versions) {
    if (v.liveMae === null) continue;
    log(
      'info',
      `monitor ${v.model} v${v.version}: live_mae ${v.liveMae.toFixed(3)} over ${v.windowGames} games (val_mae ${v.valMae?.toFixed(3) ?? 'n/a'})${v.degraded ? ' DEGRADED' : ''}`,
    );
  }
  return { joined, didNotPlay, versions, newAlerts, rollbacks, loggedPoints };
}
