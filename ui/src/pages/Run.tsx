/** One run: params, metrics, tags, dataset inputs, the fold MAE chart, artifacts with previews. */
import { useMemo, useState } from 'react';
import { foldMaeSpec } from '../../../src/charts/specs.js';
import { api, type FileInfo, formatTime, formatValue, num, type Run, sqlString, tagsOf } from '../api.js';
import { Chart, ErrorBox, Loading, useLoad } from '../components.js';
import { loadFolds } from '../folds.js';
import { Link } from '../router.js';

function KeyValues({
  title,
  rows,
  testId,
}: {
  title: string;
  rows: Array<[string, string]>;
  testId: string;
}) {
  return (
    <section className="card">
      <h3>
        {title} <span className="count">{rows.length}</span>
      </h3>
      {rows.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <table className="kv" data-testid={testId}>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const TEXT_EXT = /\.(txt|md|yaml|yml|log|py|toml|ini|cfg)$|(^|\/)MLmodel$/i;
const PREVIEW_BYTES = 256 * 1024;

/** First rows of a CSV as a table (quoted fields handled; no embedded newlines). */
function parseCsvRows(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (rows.length >= maxRows) break;
    if (line === '') continue;
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cur);
        cur = '';
      } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

/** The first PREVIEW_BYTES of a file (the rest is not downloaded). */
async function readHead(url: string, name: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`Cannot read ${name}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < PREVIEW_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all.subarray(0, PREVIEW_BYTES));
}

function Preview({ runId, file }: { runId: string; file: FileInfo }) {
  const url = api.artifactUrl(runId, file.path);
  const isPng = /\.(png|jpe?g|gif|svg)$/i.test(file.path);
  const kind = isPng
    ? 'image'
    : /\.json$/i.test(file.path)
      ? 'json'
      : /\.csv$/i.test(file.path)
        ? 'csv'
        : TEXT_EXT.test(file.path)
          ? 'text'
          : 'none';
  const { data, error } = useLoad(async () => {
    if (kind === 'image' || kind === 'none') return null;
    return readHead(url, file.path);
  }, [url]);
  const size = num(file.file_size);
  return (
    <div className="preview" data-testid="artifact-preview">
      <div className="preview-head">
        <strong>{file.path}</strong>{' '}
        {Number.isFinite(size) && <span className="muted">{size.toLocaleString()} bytes</span>}{' '}
        <a href={url} download>
          download
        </a>
      </div>
      {error !== undefined && <ErrorBox error={error} />}
      {kind === 'image' && <img src={url} alt={file.path} data-testid="artifact-image" />}
      {kind === 'none' && <p className="muted">No preview for this file type.</p>}
      {kind === 'json' && data != null && <pre data-testid="artifact-text">{prettyJson(data)}</pre>}
      {kind === 'text' && data != null && <pre data-testid="artifact-text">{data}</pre>}
      {kind === 'csv' && data != null && <CsvTable text={data} />}
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // truncated or not JSON: show as is
  }
}

function CsvTable({ text }: { text: string }) {
  const rows = parseCsvRows(text, 21);
  const [head, ...body] = rows;
  return (
    <div className="table-wrap">
      <p className="muted">First {body.length} rows</p>
      <table className="csv" data-testid="artifact-csv">
        <thead>
          <tr>
            {head?.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a CSV header may repeat a name
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a file have no identity but their position
            <tr key={i}>
              {r.map((c, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ArtifactFolder(props: {
  runId: string;
  path: string;
  selected: string | null;
  onSelect: (f: FileInfo) => void;
}) {
  const { data, error } = useLoad(
    () => api.listArtifacts(props.runId, props.path),
    [props.runId, props.path],
  );
  const [open, setOpen] = useState<Record<string, boolean>>({});
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="artifacts" />;
  const files = data.files ?? [];
  if (files.length === 0 && props.path === '') return <p className="muted">No artifacts.</p>;
  return (
    <ul className="files">
      {files.map((f) => {
        const name = f.path.split('/').pop() ?? f.path;
        return (
          <li key={f.path}>
            {f.is_dir ? (
              <>
                <button
                  type="button"
                  className="link"
                  onClick={() => setOpen({ ...open, [f.path]: !open[f.path] })}
                >
                  {open[f.path] ? '▾' : '▸'} {name}/
                </button>
                {open[f.path] && <ArtifactFolder {...props} path={f.path} />}
              </>
            ) : (
              <button
                type="button"
                className={`link${props.selected === f.path ? ' selected' : ''}`}
                onClick={() => props.onSelect(f)}
                data-testid={`artifact-${f.path}`}
              >
                {name}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function Artifacts({ runId }: { runId: string }) {
  const [file, setFile] = useState<FileInfo | null>(null);
  return (
    <section className="card">
      <h3>Artifacts</h3>
      <div className="artifacts">
        <ArtifactFolder runId={runId} path="" selected={file?.path ?? null} onSelect={setFile} />
        <div className="artifact-view">
          {file ? (
            <Preview key={file.path} runId={runId} file={file} />
          ) : (
            <p className="muted">Choose a file to preview it.</p>
          )}
        </div>
      </div>
    </section>
  );
}

function FoldChart({ run }: { run: Run }) {
  const { data, error } = useLoad(() => loadFolds(run.info.run_id), [run.info.run_id]);
  const spec = useMemo(
    () =>
      data && data.length > 0
        ? foldMaeSpec([{ label: run.info.run_name ?? run.info.run_id, points: data }])
        : null,
    [data, run.info.run_name, run.info.run_id],
  );
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="folds" />;
  if (!spec) return <p className="muted">This run logged no fold metrics (fold_mae, fold_date).</p>;
  return (
    <>
      <p className="muted" data-testid="fold-count">
        {data.length} folds, {data[0]?.date} → {data[data.length - 1]?.date}
      </p>
      <Chart spec={spec} testId="fold-chart" />
    </>
  );
}

function RegisteredVersions({ runId }: { runId: string }) {
  const { data } = useLoad(() => api.searchVersions(`run_id = ${sqlString(runId)}`), [runId]);
  const versions = data?.model_versions ?? [];
  if (versions.length === 0) return null;
  return (
    <p data-testid="registered-versions">
      Registered as{' '}
      {versions.map((v, i) => (
        <span key={`${v.name}/${v.version}`}>
          {i > 0 && ', '}
          <Link to={`/models/${encodeURIComponent(v.name)}#v${v.version}`}>
            {v.name} v{v.version}
          </Link>{' '}
          <span className={`stage ${v.current_stage}`}>{v.current_stage}</span>
        </span>
      ))}
    </p>
  );
}

function ExperimentLink({ id }: { id: string }) {
  const { data } = useLoad(() => api.getExperiment(id), [id]);
  return <Link to={`/experiments/${id}`}>{data?.experiment.name ?? `experiment ${id}`}</Link>;
}

export function RunPage({ runId }: { runId: string }) {
  const { data, error } = useLoad(() => api.getRun(runId), [runId]);
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="the run" />;
  const run = data.run;
  const info = run.info;
  const tags = tagsOf(run.data?.tags);
  const metrics = (run.data?.metrics ?? [])
    .filter((m) => !m.key.startsWith('fold_'))
    .map((m): [string, string] => [m.key, formatValue(m.value)])
    .sort((a, b) => a[0].localeCompare(b[0]));
  const params = (run.data?.params ?? [])
    .map((p): [string, string] => [p.key, p.value])
    .sort((a, b) => a[0].localeCompare(b[0]));
  const tagRows = Object.entries(tags)
    .filter(([k]) => !/^fold_\d+_date$/.test(k))
    .sort((a, b) => a[0].localeCompare(b[0]));
  const datasets = run.inputs?.dataset_inputs ?? [];
  return (
    <div data-testid="run-page">
      <p className="crumbs">
        <ExperimentLink id={info.experiment_id} /> / run
      </p>
      <h2>{info.run_name || info.run_id}</h2>
      <p className="meta">
        <span className={`status ${info.status ?? ''}`}>{info.status}</span> · id <code>{info.run_id}</code> ·
        started {formatTime(info.start_time)} · ended {formatTime(info.end_time)} · by {info.user_id || '—'}
      </p>
      <RegisteredVersions runId={info.run_id} />
      <section className="card">
        <h3>Fold MAE over fold dates</h3>
        <FoldChart run={run} />
      </section>
      <div className="grid2">
        <KeyValues title="Metrics" rows={metrics} testId="metrics" />
        <KeyValues title="Params" rows={params} testId="params" />
      </div>
      <section className="card">
        <h3>
          Dataset inputs <span className="count">{datasets.length}</span>
        </h3>
        {datasets.length === 0 && <p className="muted">none</p>}
        {datasets.map((d) => (
          <div key={`${d.dataset.name}-${d.dataset.digest}`} className="dataset" data-testid="dataset">
            <strong>{d.dataset.name}</strong> digest <code>{d.dataset.digest}</code> · {d.dataset.source_type}{' '}
            <code className="wrap">{d.dataset.source}</code>
            {(d.tags ?? []).map((t) => (
              <span key={t.key} className="pill">
                {t.key}={t.value}
              </span>
            ))}
            {d.dataset.profile && <pre className="small">{prettyJson(d.dataset.profile)}</pre>}
          </div>
        ))}
      </section>
      <Artifacts runId={info.run_id} />
      <KeyValues title="Tags" rows={tagRows} testId="tags" />
    </div>
  );
}
