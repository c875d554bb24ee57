/**
 * 2–10 runs side by side, all from `compareRuns` (src/runs, what `propflow runs compare`
 * prints) through `/ajax-api/propflow/compare`: the fold metric of every run overlaid by date
 * (the run page's chart spec), the paired tests and wins, and params, metrics and tags
 * with an only-differences toggle. Nothing is recomputed here.
 */
import { useMemo, useState } from 'react';
import { foldMaeSpec } from '../../../src/charts/specs.js';
import { api, type Comparison, formatValue, type RunPair } from '../api.js';
import { Chart, ErrorBox, Loading, useLoad } from '../components.js';
import { Link } from '../router.js';

const p = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : x < 0.001 ? x.toExponential(2) : x.toFixed(4);
const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? '—' : x.toFixed(digits);

function PairedTests({ c }: { c: Comparison }) {
  if (c.pairs.length === 0) return <p className="muted">No pairs with shared fold dates.</p>;
  return (
    <div className="table-wrap">
      <table className="compare pairs" data-testid="paired-tests">
        <thead>
          <tr>
            <th>a − b ({c.fold_metric})</th>
            <th>n dates</th>
            <th>mean difference [95% CI]</th>
            <th>paired t (p)</th>
            <th>Wilcoxon V (p)</th>
            <th>wins a / b / ties</th>
            <th>better</th>
          </tr>
        </thead>
        <tbody>
          {c.pairs.map((r: RunPair) => (
            <tr key={`${r.a}-${r.b}`} className={r.significant ? 'diff' : ''}>
              <th>
                {r.a_label} − {r.b_label}
              </th>
              <td>{r.n}</td>
              <td>
                {num(r.mean_difference)} {r.ci95 ? `[${num(r.ci95[0])}, ${num(r.ci95[1])}]` : ''}
              </td>
              <td>{r.t_test ? `t=${num(r.t_test.statistic, 3)} (p ${p(r.t_test.p_value)})` : '—'}</td>
              <td>{r.wilcoxon ? `V=${r.wilcoxon.statistic} (p ${p(r.wilcoxon.p_value)})` : '—'}</td>
              <td>
                {r.wins_a} / {r.wins_b} / {r.ties}
              </td>
              <td>
                {r.better === null ? '—' : r.better === r.a ? r.a_label : r.b_label}
                {r.significant ? ' (p < 0.05)' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Row = { group: string; key: string; values: Array<string | number | null>; differs: boolean };

export function ComparePage({ runIds }: { runIds: string[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const { data: c, error } = useLoad(() => api.compare(runIds), [runIds.join(',')]);
  const spec = useMemo(() => {
    if (!c || c.folds.length === 0) return null;
    const series = c.runs.map((r, i) => ({
      label: r.label,
      points: c.folds.flatMap((f) => {
        const v = f.values[i];
        return v === null || v === undefined ? [] : [{ date: f.date, mae: v, n: null }];
      }),
    }));
    return foldMaeSpec(series, { title: `${c.fold_metric} by fold date` });
  }, [c]);
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!c) return <Loading what="the comparison" />;
  const rows: Row[] = [
    ...c.params.map((r) => ({ group: 'param', ...r })),
    ...c.metrics.map((r) => ({ group: 'metric', ...r })),
    ...c.tags.map((r) => ({ group: 'tag', ...r })),
  ].filter((r) => !onlyDiff || r.differs);
  return (
    <div data-testid="compare-page">
      <h2>Compare {c.runs.length} runs</h2>
      {c.warnings.map((w) => (
        <p key={w} className="notice">
          {w}
        </p>
      ))}
      <section className="card">
        <h3>{c.fold_metric} by fold date</h3>
        {spec ? (
          <Chart spec={spec} testId="compare-chart" />
        ) : (
          <p className="muted">No dated folds in these runs.</p>
        )}
        <p className="muted">
          {c.common_dates} dates every run has
          {c.wins.length > 0 && ': best on '}
          {c.wins.map((w) => `${w.label} ${w.dates_won}`).join(', ')}
          {c.tied_dates > 0 && `, ${c.tied_dates} tied`}
        </p>
      </section>
      <section className="card">
        <h3>Paired tests on the shared fold dates</h3>
        <PairedTests c={c} />
      </section>
      <section className="card">
        <h3>Side by side</h3>
        <label className="check">
          <input
            type="checkbox"
            checked={onlyDiff}
            onChange={(e) => setOnlyDiff(e.target.checked)}
            data-testid="only-diff"
          />{' '}
          Only differences
        </label>
        <div className="table-wrap">
          <table className="compare" data-testid="compare-table">
            <thead>
              <tr>
                <th />
                {c.runs.map((r) => (
                  <th key={r.run_id}>
                    <Link to={`/runs/${r.run_id}`}>{r.label}</Link>
                    {c.baseline_run_id === r.run_id && <span className="pill">baseline</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.group}:${r.key}`} className={r.differs ? 'diff' : ''}>
                  <th>
                    <span className="muted">{r.group}</span> {r.key}
                  </th>
                  {r.values.map((v, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: one cell per run, in run order
                    <td key={i}>{v === null ? <span className="muted">—</span> : formatValue(v)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
