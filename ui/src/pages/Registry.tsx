/**
 * The model registry: models; a model's versions with stage, aliases and the evaluation
 * report per criterion (version tags `production_evaluation*`); the audit history as a
 * timeline; promote and rollback through the server's registry workflow (the CLI's), with a
 * reason. Read-only users see the buttons disabled; the server refuses them regardless.
 */
import { useState } from 'react';
import {
  api,
  formatTime,
  type HistoryEvent,
  type ModelVersion,
  sqlString,
  tagsOf,
  type WhoAmI,
} from '../api.js';
import { ErrorBox, Loading, ReasonDialog, useLoad } from '../components.js';
import { Link } from '../router.js';

const EVALUATION_TAG = 'production_evaluation';

export function ModelsPage() {
  const { data, error } = useLoad(() => api.searchModels(), []);
  if (error !== undefined) return <ErrorBox error={error} />;
  if (!data) return <Loading what="models" />;
  const models = data.registered_models ?? [];
  return (
    <div data-testid="models-page">
      <h2>Registered models</h2>
      {models.length === 0 && <p className="muted">No registered models yet. `npm start` registers one.</p>}
      <table className="runs">
        <thead>
          <tr>
            <th>Model</th>
            <th>Latest versions</th>
            <th>Aliases</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name}>
              <td>
                <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
              </td>
              <td>
                {(m.latest_versions ?? []).map((v) => (
                  <span key={v.version} className={`stage ${v.current_stage}`}>
                    v{v.version} {v.current_stage}
                  </span>
                ))}
              </td>
              <td>{(m.aliases ?? []).map((a) => `@${a.alias}→v${a.version}`).join(', ')}</td>
              <td>{formatTime(m.last_updated_timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `PASS: actual 5.3, required <= 6` → parts. */
function parseCriterion(value: string): { pass: boolean | null; text: string } {
  const m = /^(PASS|FAIL):\s*(.*)$/s.exec(value);
  return m ? { pass: m[1] === 'PASS', text: m[2] ?? '' } : { pass: null, text: value };
}

function Evaluation({ version }: { version: ModelVersion }) {
  const tags = tagsOf(version.tags);
  const verdict = tags[EVALUATION_TAG];
  const criteria = Object.entries(tags)
    .filter(([k]) => k.startsWith(`${EVALUATION_TAG}.`) && k !== `${EVALUATION_TAG}.report`)
    .sort((a, b) => a[0].localeCompare(b[0]));
  if (!verdict) return <span className="muted">not evaluated</span>;
  return (
    <details data-testid={`evaluation-v${version.version}`}>
      <summary>
        <span className={`verdict ${verdict}`}>{verdict}</span> ({criteria.length} criteria)
      </summary>
      <table className="kv criteria">
        <tbody>
          {criteria.map(([k, v]) => {
            const c = parseCriterion(v);
            return (
              <tr key={k}>
                <th>{k.slice(EVALUATION_TAG.length + 1)}</th>
                <td>
                  <span className={`verdict ${c.pass === null ? '' : c.pass ? 'PASSED' : 'FAILED'}`}>
                    {c.pass === null ? '?' : c.pass ? 'PASS' : 'FAIL'}
                  </span>{' '}
                  {c.text}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {tags[`${EVALUATION_TAG}.report`] && (
        <p className="muted small">report: {tags[`${EVALUATION_TAG}.report`]}</p>
      )}
    </details>
  );
}

/** What changed: stages for decisions and transitions, the alias and its versions for alias events. */
function EventWhat({ e }: { e: HistoryEvent }) {
  if (e.action === 'set_alias' || e.action === 'delete_alias') {
    const was = e.from ? ` (was v${e.from})` : '';
    return (
      <span>
        @{e.to} {e.action === 'set_alias' ? `→ v${e.version}` : 'removed'}
        {was}
      </span>
    );
  }
  return (
    <span>
      {e.version !== null && `v${e.version} `}
      {(e.from !== null || e.to !== null) && `${e.from ?? '—'} → ${e.to ?? '—'}`}
    </span>
  );
}

function Timeline({ events }: { events: HistoryEvent[] }) {
  return (
    <ol className="timeline" data-testid="history">
      {[...events].reverse().map((e) => (
        <li key={e.seq} className={`event ${e.action}`} data-action={e.action}>
          <div className="when">
            #{e.seq} · {e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} · {e.actor}
          </div>
          <div className="what">
            <strong>{e.action}</strong> <EventWhat e={e} />
          </div>
          {e.reason && <div className="reason">“{e.reason}”</div>}
        </li>
      ))}
    </ol>
  );
}

type Action =
  | { kind: 'promote'; version: ModelVersion; stage: 'Production' | 'Staging' }
  | { kind: 'rollback' };

export function ModelPage({ name, who }: { name: string; who: WhoAmI | undefined }) {
  const model = useLoad(() => api.getModel(name), [name]);
  const versions = useLoad(() => api.searchVersions(`name = ${sqlString(name)}`), [name]);
  const history = useLoad(() => api.history(name), [name]);
  const [action, setAction] = useState<Action | null>(null);
  const canWrite = who?.permission === 'write';
  const disabledWhy = canWrite
    ? undefined
    : `${who?.user ?? 'You'} may only read; promoting and rolling back need write permission.`;
  const reloadAll = () => {
    model.reload();
    versions.reload();
    history.reload();
  };
  if (model.error !== undefined) return <ErrorBox error={model.error} />;
  const list = [...(versions.data?.model_versions ?? [])].sort(
    (a, b) => Number(b.version) - Number(a.version),
  );
  const production = list.find((v) => v.current_stage === 'Production');
  return (
    <div data-testid="model-page">
      <p className="crumbs">
        <Link to="/models">models</Link> /
      </p>
      <h2>{name}</h2>
      {model.data?.registered_model.description && <p>{model.data.registered_model.description}</p>}
      {who && !canWrite && (
        <p className="notice" data-testid="read-only-notice">
          Signed in as {who.user ?? 'a read-only user'} (read only): promote and roll back are disabled.
        </p>
      )}
      <section className="card">
        <h3>
          Versions{' '}
          <button
            type="button"
            disabled={!canWrite || !production}
            title={
              disabledWhy ??
              (production
                ? `Archive v${production.version} and bring back the previous Production version`
                : 'No Production version')
            }
            onClick={() => setAction({ kind: 'rollback' })}
            data-testid="rollback-button"
          >
            Roll back Production…
          </button>
        </h3>
        {versions.error !== undefined && <ErrorBox error={versions.error} />}
        <table className="runs" data-testid="versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Stage</th>
              <th>Aliases</th>
              <th>Run</th>
              <th>Evaluation</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.version} id={`v${v.version}`} data-version={v.version}>
                <td>v{v.version}</td>
                <td>
                  <span className={`stage ${v.current_stage}`} data-testid={`stage-v${v.version}`}>
                    {v.current_stage}
                  </span>
                </td>
                <td>
                  {(v.aliases ?? []).map((a) => (
                    <span key={a} className="pill">
                      @{a}
                    </span>
                  ))}
                </td>
                <td>{v.run_id ? <Link to={`/runs/${v.run_id}`}>{v.run_id.slice(0, 8)}</Link> : '—'}</td>
                <td>
                  <Evaluation version={v} />
                </td>
                <td className="nowrap">{formatTime(v.creation_timestamp)}</td>
                <td className="nowrap">
                  {v.current_stage !== 'Production' && (
                    <button
                      type="button"
                      disabled={!canWrite}
                      title={disabledWhy}
                      onClick={() => setAction({ kind: 'promote', version: v, stage: 'Production' })}
                      data-testid={`promote-v${v.version}`}
                    >
                      Promote to Production…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card">
        <h3>Audit history</h3>
        {history.error !== undefined && <ErrorBox error={history.error} />}
        {history.data ? <Timeline events={history.data.events} /> : <Loading what="the history" />}
      </section>
      {action?.kind === 'promote' && (
        <ReasonDialog
          title={`Promote ${name} v${action.version.version} to ${action.stage}`}
          description={
            <p>
              The current Production version{production ? ` (v${production.version})` : ''} is archived.
              Evaluation: {tagsOf(action.version.tags)[EVALUATION_TAG] ?? 'none'}.
            </p>
          }
          confirm="Promote"
          allowForce={tagsOf(action.version.tags)[EVALUATION_TAG] !== 'PASSED'}
          onSubmit={async (reason, force) => {
            await api.promote({ name, version: action.version.version, stage: action.stage, reason, force });
            reloadAll();
          }}
          onClose={() => setAction(null)}
        />
      )}
      {action?.kind === 'rollback' && (
        <ReasonDialog
          title={`Roll back ${name}`}
          description={
            <p>
              v{production?.version} is archived and the previous Production version (from the history) comes
              back.
            </p>
          }
          confirm="Roll back"
          onSubmit={async (reason) => {
            await api.rollback({ name, reason });
            reloadAll();
          }}
          onClose={() => setAction(null)}
        />
      )}
    </div>
  );
}
