/**
 * 2–10 runs side by side: params, metrics and tags (only the differences, if asked), fold MAE
 * of every run overlaid by date, and the paired tests of `propflow runs compare` — the same
 * `compareRuns` the CLI prints, fetched from the server, never recomputed here.
 */
import { useMemo, useState } from 'react';
import { foldMaeSpec } from '../../../src/charts/folds.js';
import { ApiError, api, formatValue, type Run } from '../api.js';
import { Chart, ErrorBox, Loading, useLoad } from '../components.js';
import { loadFolds } from '../folds.js';
import { Link } from '../router.js';

type Row = { group: string; key: string; values: Array<string | undefined> };

function rowsOf(runs: readonly Run[]): Row[] {
  const rows: Row[] = [];
  const add = (
    group: string,
    pick: (r: Run) => Array<{ key: string; value: string | number }> | undefined,
  ) => {
    const keys = new Set<string>();
    for (const r of runs) for (const x of pick(r) ?? []) keys.add(x.key);
    for (const key of [...keys].sort()) {
      if (group === 'metrics' && key.startsWith('fold_')) continue;
      if (group === 'tags' && (key.startsWith('mlflow.') || /^fold_\d+_date$/.test(key))) continue;
      rows.push({
        group,
        key,
        values: runs.map((r) => {
          const v = pick(r)?.find((x) => x.key === key)?.value;
          return v === undefined ? undefined : formatValue(v);
        }),
      });
    }
  };
  add('params', (r) => r.data?.params);
  add('metrics', (r) => r.data?.metrics);
  add('tags', (r) => r.data?.tags);
  return rows;
}

const differs = (r: Row) => new Set(r.values.map((v) => v ?? '\u0000')).size > 1;

/** A plain-JSON value as a small table or text (the shape is compareRuns'). */
function JsonValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value === 'number') return <span>{formatValue(value)}</span>;
  if (typeof value !== 'object') return <span>{String(value)}</span>;
  if (Array.isArray(value)) {
    if (value.length > 12) return <span className="muted">{value.length} items</span>;
    return (
      <ul className="plain">
        {value.map((v, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a list from the server, shown in its order
          <li key={i}>
            <JsonValue value={v} />
          </li>
        ))}
      </ul>
    );
  }
  return (
    <table className="kv">
      <tbody>
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>
              <JsonValue value={v} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PairedTests({ runIds }: { runIds: string[] }) {
  const { data, error } = useLoad(() => api.compare(runIds), [runIds.join(',')]);
  if (
    error instanceof ApiError &&
    (error.code === 'ENDPOINT_NOT_FOUND' || error.code === 'NOT_IMPLEMENTED')
  ) {
    return <p className="muted">{error.message}</p>;
  }
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="the paired tests" />;
  const tests = (data['tests'] ?? data['paired_tests'] ?? data['pairs']) as unknown;
  return (
    <div data-testid="paired-tests">
      <JsonValue value={tests ?? data} />
    </div>
  );
}

export function ComparePage({ runIds }: { runIds: string[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const tooMany = runIds.length < 2 || runIds.length > 10;
  const { data, error } = useLoad(
    async () =>
      tooMany
        ? null
        : Promise.all(
            runIds.map(async (id) => {
              const [{ run }, folds] = await Promise.all([api.getRun(id), loadFolds(id)]);
              return { run, folds };
            }),
          ),
    [runIds.join(',')],
  );
  const spec = useMemo(() => {
    if (!data) return null;
    const series = data
      .filter((d) => d.folds.length > 0)
      .map((d) => ({ label: d.run.info.run_name || d.run.info.run_id, points: d.folds }));
    return series.length > 0 ? foldMaeSpec(series) : null;
  }, [data]);
  if (tooMany)
    return (
      <ErrorBox error={`Compare takes 2 to 10 runs; got ${runIds.length}. Select them in a runs table.`} />
    );
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="the runs" />;
  const runs = data.map((d) => d.run);
  const rows = rowsOf(runs).filter((r) => !onlyDiff || differs(r));
  return (
    <div data-testid="compare-page">
      <h2>Compare {runs.length} runs</h2>
      <section className="card">
        <h3>Fold MAE by date</h3>
        {spec ? (
          <Chart spec={spec} testId="compare-chart" />
        ) : (
          <p className="muted">No fold metrics in these runs.</p>
        )}
      </section>
      <section className="card">
        <h3>Paired tests (propflow runs compare)</h3>
        <PairedTests runIds={runIds} />
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
                {runs.map((r) => (
                  <th key={r.info.run_id}>
                    <Link to={`/runs/${r.info.run_id}`}>{r.info.run_name || r.info.run_id}</Link>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.group}:${r.key}`} className={differs(r) ? 'diff' : ''}>
                  <th>
                    <span className="muted">{r.group.slice(0, -1)}</span> {r.key}
                  </th>
                  {r.values.map((v, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: one cell per run, in run order
                    <td key={i}>{v ?? <span className="muted">—</span>}</td>
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
