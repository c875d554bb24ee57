/**
 * Live vs validation MAE by day, from the monitoring runs `propflow serve` writes to
 * `NBA_Props_Model/Monitoring` (one run per served version; metrics at step = YYYYMMDD:
 * `live_mae` rolling, `live_mae_day`, `live_n_games`, `val_mae`).
 */
import { useMemo } from 'react';
import { type MonitoringPoint, monitoringSpec, yyyymmddToIso } from '../../../src/charts/specs.js';
import { ApiError, api, type Run, tagsOf } from '../api.js';
import { Chart, ErrorBox, Loading, useLoad } from '../components.js';
import { Link } from '../router.js';

export const MONITORING_EXPERIMENT = 'NBA_Props_Model/Monitoring';

async function loadMonitoring(): Promise<{ experimentId: string; runs: Run[] } | null> {
  let experimentId: string;
  try {
    experimentId = (await api.experimentByName(MONITORING_EXPERIMENT)).experiment.experiment_id;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
    throw e;
  }
  const page = await api.searchRuns({
    experiment_ids: [experimentId],
    order_by: ['attributes.run_name ASC'],
    max_results: 1000,
  });
  return { experimentId, runs: page.runs ?? [] };
}

async function pointsOf(runId: string): Promise<MonitoringPoint[]> {
  const [rolling, day, games, val] = await Promise.all(
    ['live_mae', 'live_mae_day', 'live_n_games', 'val_mae'].map((k) => api.metricHistory(runId, k)),
  );
  const gamesOf = new Map((games ?? []).map((m) => [m.step, m.value]));
  const out: MonitoringPoint[] = [];
  const add = (list: typeof rolling, series: MonitoringPoint['series']) => {
    for (const m of list ?? []) {
      const date = yyyymmddToIso(m.step);
      if (date && Number.isFinite(m.value))
        out.push({ date, series, mae: m.value, games: gamesOf.get(m.step) ?? null });
    }
  };
  add(rolling, 'live MAE (rolling)');
  add(day, 'live MAE (day)');
  add(val, 'validation MAE');
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

function MonitoredVersion({ run }: { run: Run }) {
  const tags = tagsOf(run.data?.tags);
  const model = tags['propflow.monitor.model'] ?? '?';
  const version = tags['propflow.monitor.version'] ?? '?';
  const { data, error } = useLoad(() => pointsOf(run.info.run_id), [run.info.run_id]);
  const spec = useMemo(
    () =>
      data && data.length > 0 ? monitoringSpec(data, `${model} v${version}: live vs validation MAE`) : null,
    [data, model, version],
  );
  const latest = data?.filter((p) => p.series === 'live MAE (rolling)').at(-1);
  const val = data?.find((p) => p.series === 'validation MAE');
  return (
    <section className="card" data-testid="monitor-run">
      <h3>
        <Link to={`/models/${encodeURIComponent(model)}#v${version}`}>
          {model} v{version}
        </Link>{' '}
        <span className="muted small">
          run <Link to={`/runs/${run.info.run_id}`}>{run.info.run_name}</Link>
        </span>
      </h3>
      {latest && val && (
        <p>
          Latest live MAE {latest.mae.toFixed(3)} on {latest.date} vs validation {val.mae.toFixed(3)} (
          {latest.mae > val.mae ? '+' : ''}
          {(((latest.mae - val.mae) / val.mae) * 100).toFixed(1)}%)
        </p>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      {!data && <Loading what="live metrics" />}
      {data && !spec && <p className="muted">No live metrics recorded yet.</p>}
      {spec && <Chart spec={spec} testId="monitor-chart" />}
    </section>
  );
}

export function MonitoringPage() {
  const { data, error } = useLoad(loadMonitoring, []);
  if (error !== undefined) return <ErrorBox error={error} />;
  if (data === undefined) return <Loading what="monitoring runs" />;
  return (
    <div data-testid="monitoring-page">
      <h2>Monitoring</h2>
      {data === null || data.runs.length === 0 ? (
        <p className="muted">
          No monitoring data yet: `propflow serve` records live MAE per served model version in the experiment{' '}
          {MONITORING_EXPERIMENT}.
        </p>
      ) : (
        data.runs.map((r) => <MonitoredVersion key={r.info.run_id} run={r} />)
      )}
    </div>
  );
}
