/**
 * The runs of one experiment: MLflow's search grammar in the filter box (the server's error
 * shown as it words it), sorting and paging done by the server (`runs/search` order_by and
 * page tokens, so they are right for any number of runs), a column chooser for params,
 * metrics and tags, and a selection of 2–10 runs to compare.
 */
import { memo, type RefObject, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, type ExperimentSummary, formatTime, formatValue, type Run, searchKey } from '../api.js';
import { ErrorBox, useLoad } from '../components.js';
import { Link, navigate, useLocation } from '../router.js';

type Kind = 'metrics' | 'params' | 'tags';
interface Column {
  kind: Kind;
  key: string;
}
interface Sort {
  key: string; // an order_by key, e.g. `metrics.val_mae`
  desc: boolean;
}

const PAGE_SIZES = [25, 100, 250, 1000];
const PREFERRED_METRICS = ['val_mae', 'val_rmse', 'val_r2', 'vs_baseline_mae_delta', 'betting_roi'];
const columnId = (c: Column) => `${c.kind}:${c.key}`;
/** Widths of select, run name (its least: it takes the room left), start time and status. */
const FIXED_WIDTHS = [40, 260, 172, 96];
const columnWidth = (c: Column) =>
  Math.min(260, Math.max(c.kind === 'metrics' ? 90 : 110, c.key.length * 8 + 28));
const tableWidth = (columns: readonly Column[]) =>
  FIXED_WIDTHS.reduce((s, w) => s + w, 0) + columns.reduce((s, c) => s + columnWidth(c), 0);

function cellValue(run: Run, c: Column): string | undefined {
  const list =
    c.kind === 'metrics' ? run.data?.metrics : c.kind === 'params' ? run.data?.params : run.data?.tags;
  const found = list?.find((x) => x.key === c.key);
  return found === undefined ? undefined : formatValue(found.value);
}

function keysOf(runs: readonly Run[]): Record<Kind, string[]> {
  const sets: Record<Kind, Set<string>> = { metrics: new Set(), params: new Set(), tags: new Set() };
  for (const r of runs) {
    for (const m of r.data?.metrics ?? []) sets.metrics.add(m.key);
    for (const p of r.data?.params ?? []) sets.params.add(p.key);
    for (const t of r.data?.tags ?? []) if (!t.key.startsWith('mlflow.')) sets.tags.add(t.key);
  }
  return {
    metrics: [...sets.metrics].sort(),
    params: [...sets.params].sort(),
    tags: [...sets.tags].sort(),
  };
}

function defaultColumns(keys: Record<Kind, string[]>): Column[] {
  const preferred = PREFERRED_METRICS.filter((k) => keys.metrics.includes(k));
  const chosen =
    preferred.length > 0 ? preferred : keys.metrics.filter((k) => !k.startsWith('fold_')).slice(0, 5);
  return chosen.map((key) => ({ kind: 'metrics', key }));
}

function ColumnChooser(props: {
  keys: Record<Kind, string[]>;
  columns: Column[];
  onChange: (columns: Column[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const [find, setFind] = useState('');
  const chosen = new Set(props.columns.map(columnId));
  const toggle = (c: Column) =>
    props.onChange(
      chosen.has(columnId(c))
        ? props.columns.filter((x) => columnId(x) !== columnId(c))
        : [...props.columns, c],
    );
  return (
    <div className="chooser">
      <button type="button" onClick={() => setOpen(!open)} data-testid="columns-button">
        Columns ({props.columns.length}) ▾
      </button>
      {open && (
        <div className="chooser-panel" data-testid="columns-panel">
          <input placeholder="Find a key…" value={find} onChange={(e) => setFind(e.target.value)} />
          {(['metrics', 'params', 'tags'] as const).map((kind) => (
            <fieldset key={kind}>
              <legend>{kind}</legend>
              {props.keys[kind]
                .filter((k) => k.toLowerCase().includes(find.toLowerCase()))
                .map((key) => (
                  <label key={key} className="check">
                    <input
                      type="checkbox"
                      checked={chosen.has(`${kind}:${key}`)}
                      onChange={() => toggle({ kind, key })}
                      data-testid={`col-${kind}-${key}`}
                    />{' '}
                    {key}
                  </label>
                ))}
            </fieldset>
          ))}
        </div>
      )}
    </div>
  );
}

function SortHeader(props: { label: string; sortKey: string; sort: Sort; onSort: (s: Sort) => void }) {
  const active = props.sort.key === props.sortKey;
  const arrow = active ? (props.sort.desc ? ' ▼' : ' ▲') : '';
  return (
    <th aria-sort={active ? (props.sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="sort"
        onClick={() => props.onSort({ key: props.sortKey, desc: active ? !props.sort.desc : true })}
      >
        {props.label}
        {arrow}
      </button>
    </th>
  );
}

/** Rows are this tall (CSS enforces it), so a long page renders only the rows in view. */
const ROW_HEIGHT = 30;
const WINDOW_FROM = 200;
const OVERSCAN = 30;

/** The slice of rows in the viewport (plus overscan), following the window's scroll. */
function useRowWindow(tbody: RefObject<HTMLTableSectionElement | null>, n: number, on: boolean) {
  const [win, setWin] = useState({ start: 0, end: Math.min(n, 60) });
  useEffect(() => {
    if (!on) return;
    const update = () => {
      const top = tbody.current ? -tbody.current.getBoundingClientRect().top : 0;
      const start = Math.max(0, Math.min(n, Math.floor(top / ROW_HEIGHT) - OVERSCAN));
      const end = Math.max(start, Math.min(n, Math.ceil((top + window.innerHeight) / ROW_HEIGHT) + OVERSCAN));
      setWin((w) => (w.start === start && w.end === end ? w : { start, end }));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [tbody, n, on]);
  return win;
}

/** One row; memoised so that selecting a run or a late prop re-renders one row, not a thousand. */
const RunRow = memo(function RunRow(props: {
  run: Run;
  columns: Column[];
  selected: boolean;
  onToggle: (id: string) => void;
}) {
  const r = props.run;
  return (
    <tr data-run-id={r.info.run_id}>
      <td>
        <input
          type="checkbox"
          checked={props.selected}
          onChange={() => props.onToggle(r.info.run_id)}
          aria-label={`select ${r.info.run_name ?? r.info.run_id}`}
        />
      </td>
      <td>
        <Link to={`/runs/${r.info.run_id}`} title={r.info.run_name || r.info.run_id}>
          {r.info.run_name || r.info.run_id}
        </Link>
      </td>
      <td className="nowrap">{formatTime(r.info.start_time)}</td>
      <td>
        <span className={`status ${r.info.status ?? ''}`}>{r.info.status}</span>
      </td>
      {props.columns.map((c) => (
        <td key={columnId(c)} className={c.kind === 'metrics' ? 'num' : ''}>
          {cellValue(r, c) ?? ''}
        </td>
      ))}
    </tr>
  );
});

export function RunsTable({
  experimentId,
  experiment,
  onFirstPage,
}: {
  experimentId: string;
  experiment: ExperimentSummary | undefined;
  /** Called once, when the first page of runs is shown. */
  onFirstPage?: () => void;
}) {
  const { query } = useLocation();
  const [filterText, setFilterText] = useState(query.get('filter') ?? '');
  const [filter, setFilter] = useState(query.get('filter') ?? '');
  const [sort, setSort] = useState<Sort>({ key: 'attributes.start_time', desc: true });
  const [pageSize, setPageSize] = useState(Number(query.get('page_size')) || 100);
  const [tokens, setTokens] = useState<string[]>([]); // page tokens of the pages before this one
  const [pageToken, setPageToken] = useState<string | undefined>(undefined);
  const [columns, setColumns] = useState<Column[] | null>(null);
  const [selected, setSelected] = useState<string[]>([]);

  const { data, error, loading } = useLoad(
    () =>
      api.searchRuns({
        experiment_ids: [experimentId],
        ...(filter.trim() !== '' && { filter }),
        order_by: [`${sort.key} ${sort.desc ? 'DESC' : 'ASC'}`],
        max_results: pageSize,
        ...(pageToken !== undefined && { page_token: pageToken }),
      }),
    [experimentId, filter, sort.key, sort.desc, pageSize, pageToken],
  );
  const runs = useMemo(() => data?.runs ?? [], [data]);
  const keys = useMemo(() => keysOf(runs), [runs]);
  const tbodyRef = useRef<HTMLTableSectionElement>(null);
  const windowed = runs.length > WINDOW_FROM;
  const win = useRowWindow(tbodyRef, runs.length, windowed);
  const shown = useMemo(() => columns ?? defaultColumns(keys), [columns, keys]);
  const settled = data !== undefined || error !== undefined;
  useEffect(() => {
    if (settled) onFirstPage?.();
  }, [settled, onFirstPage]);

  const restart = () => {
    setTokens([]);
    setPageToken(undefined);
  };
  const applyFilter = () => {
    setFilter(filterText);
    restart();
  };
  const onSort = (s: Sort) => {
    setSort(s);
    restart();
  };
  const toggleRun = useCallback(
    (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id])),
    [],
  );
  const pageNumber = tokens.length + 1;
  const first = (pageNumber - 1) * pageSize + 1;

  return (
    <div data-testid="runs-table-page">
      <h2>
        {experiment?.name ?? `Experiment ${experimentId}`}{' '}
        {experiment && !Number.isNaN(experiment.run_count) && (
          <span className="count">{experiment.run_count} runs</span>
        )}
      </h2>
      <div className="toolbar">
        <form
          className="filter"
          onSubmit={(e) => {
            e.preventDefault();
            applyFilter();
          }}
        >
          <input
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
            placeholder="metrics.val_mae < 6 and params.model_type = 'gbdt'"
            aria-label="Filter runs (MLflow search syntax)"
            data-testid="filter"
            spellCheck={false}
          />
          <button type="submit">Search</button>
        </form>
        <ColumnChooser keys={keys} columns={shown} onChange={setColumns} />
        <button
          type="button"
          className="primary"
          disabled={selected.length < 2 || selected.length > 10}
          title="Select 2 to 10 runs"
          onClick={() => navigate(`/compare?runs=${selected.join(',')}`)}
          data-testid="compare-button"
        >
          Compare {selected.length > 0 ? `(${selected.length})` : ''}
        </button>
      </div>
      {error !== undefined && <ErrorBox error={error} />}
      <div className="table-wrap">
        <table
          className={`runs fixed${windowed ? ' windowed' : ''}`}
          data-testid="runs-table"
          aria-busy={loading}
          style={{ minWidth: tableWidth(shown) }}
        >
          {/* Fixed layout: the browser sizes columns from these, not by measuring 1,000 rows. */}
          <colgroup>
            {FIXED_WIDTHS.map((w, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the fixed columns, always in this order
              <col key={i} style={i === 1 ? {} : { width: w }} />
            ))}
            {shown.map((c) => (
              <col key={columnId(c)} style={{ width: columnWidth(c) }} />
            ))}
          </colgroup>
          <thead>
            <tr>
              <th />
              <SortHeader label="Run" sortKey="attributes.run_name" sort={sort} onSort={onSort} />
              <SortHeader label="Started" sortKey="attributes.start_time" sort={sort} onSort={onSort} />
              <th>Status</th>
              {shown.map((c) => (
                <SortHeader
                  key={columnId(c)}
                  label={`${c.kind === 'metrics' ? '' : `${c.kind.slice(0, -1)} `}${c.key}`}
                  sortKey={searchKey(c.kind, c.key)}
                  sort={sort}
                  onSort={onSort}
                />
              ))}
            </tr>
          </thead>
          <tbody ref={tbodyRef}>
            {windowed && <tr className="spacer" style={{ height: win.start * ROW_HEIGHT }} aria-hidden />}
            {(windowed ? runs.slice(win.start, win.end) : runs).map((r) => (
              <RunRow
                key={r.info.run_id}
                run={r}
                columns={shown}
                selected={selected.includes(r.info.run_id)}
                onToggle={toggleRun}
              />
            ))}
            {windowed && (
              <tr className="spacer" style={{ height: (runs.length - win.end) * ROW_HEIGHT }} aria-hidden />
            )}
          </tbody>
        </table>
      </div>
      {!loading && runs.length === 0 && error === undefined && (
        <p className="muted">{filter ? 'No run matches the filter.' : 'No runs.'}</p>
      )}
      <div className="pager">
        <button
          type="button"
          disabled={tokens.length === 0}
          onClick={() => {
            const prev = tokens.slice(0, -1);
            setPageToken(tokens[tokens.length - 1] || undefined);
            setTokens(prev);
          }}
        >
          ‹ Prev
        </button>
        <span data-testid="page-info">
          {runs.length > 0 ? `${first}–${first + runs.length - 1}` : '0'} (page {pageNumber})
        </span>
        <button
          type="button"
          disabled={!data?.next_page_token}
          onClick={() => {
            setTokens([...tokens, pageToken ?? '']);
            setPageToken(data?.next_page_token);
          }}
          data-testid="next-page"
        >
          Next ›
        </button>
        <label>
          per page{' '}
          <select
            value={pageSize}
            onChange={(e) => {
              setPageSize(Number(e.target.value));
              restart();
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
    </div>
  );
}
