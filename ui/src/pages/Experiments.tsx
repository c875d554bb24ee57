/** Home: the experiment tree (the `NBA_Props_Model/…` hierarchy) with run counts, and the runs of one. */
import { useMemo } from 'react';
import { api, type ExperimentSummary } from '../api.js';
import { ErrorBox, Loading, useLoad } from '../components.js';
import { Link } from '../router.js';
import { RunsTable } from './RunsTable.js';

interface TreeNode {
  label: string;
  path: string;
  experiment?: ExperimentSummary;
  children: TreeNode[];
  total: number;
}

/** Experiments by their `/`-separated names, with run counts summed up the tree. */
export function buildTree(experiments: readonly ExperimentSummary[]): TreeNode {
  const root: TreeNode = { label: '', path: '', children: [], total: 0 };
  for (const e of experiments) {
    let node = root;
    const parts = e.name.split('/').filter((p) => p !== '');
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join('/');
      let child = node.children.find((c) => c.label === part);
      if (!child) {
        child = { label: part, path, children: [], total: 0 };
        node.children.push(child);
      }
      node = child;
    });
    node.experiment = e;
  }
  const sum = (n: TreeNode): number => {
    n.total = (n.experiment?.run_count ?? 0) + n.children.reduce((s, c) => s + sum(c), 0);
    n.children.sort((a, b) => a.label.localeCompare(b.label));
    return n.total;
  };
  sum(root);
  return root;
}

function TreeView({ node, selected }: { node: TreeNode; selected: string | undefined }) {
  return (
    <ul className="tree">
      {node.children.map((c) => (
        <li key={c.path}>
          {c.experiment ? (
            <Link
              to={`/experiments/${c.experiment.experiment_id}`}
              className={c.experiment.experiment_id === selected ? 'selected' : ''}
              data-testid={`exp-${c.path}`}
            >
              {c.label}
            </Link>
          ) : (
            <span className="folder">{c.label}</span>
          )}{' '}
          <span className="count" title="runs">
            {c.total}
          </span>
          {c.children.length > 0 && <TreeView node={c} selected={selected} />}
        </li>
      ))}
    </ul>
  );
}

export function ExperimentsPage({ experimentId }: { experimentId: string | undefined }) {
  const { data, error, loading } = useLoad(() => api.experiments(), []);
  const tree = useMemo(() => (data ? buildTree(data.experiments) : null), [data]);
  const chosen =
    experimentId ??
    data?.experiments.find((e) => e.name.startsWith('NBA_Props_Model/') && e.run_count > 0)?.experiment_id ??
    data?.experiments.find((e) => e.run_count > 0)?.experiment_id;
  const experiment = data?.experiments.find((e) => e.experiment_id === chosen);
  return (
    <div className="split">
      <aside className="sidebar">
        <h2>Experiments</h2>
        {loading && !data && <Loading what="experiments" />}
        {error !== undefined && <ErrorBox error={error} />}
        {tree && <TreeView node={tree} selected={chosen} />}
      </aside>
      <section className="main">
        {experiment ? (
          <RunsTable key={experiment.experiment_id} experiment={experiment} />
        ) : (
          data && (
            <p className="muted">No experiment with runs yet. Run `npm start` (the demo) to make one.</p>
          )
        )}
      </section>
    </div>
  );
}
