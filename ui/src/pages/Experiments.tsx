/** Home: the experiment tree (the `NBA_Props_Model/…` hierarchy) with run counts, and the runs of one. */
import { useMemo, useState } from 'react';
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
            {Number.isNaN(c.total) ? '…' : c.total}
          </span>
          {c.children.length > 0 && <TreeView node={c} selected={selected} />}
        </li>
      ))}
    </ul>
  );
}

export function ExperimentsPage({ experimentId }: { experimentId: string | undefined }) {
  // Names first (MLflow's experiments/search, fast); the run counts page through every run,
  // so they are asked for once the runs table has its first page (they share the server).
  const names = useLoad(() => api.searchExperiments(), []);
  const [countsWanted, setCountsWanted] = useState(experimentId === undefined);
  const counts = useLoad(async () => (countsWanted ? api.experimentCounts() : null), [countsWanted]);
  const experiments = useMemo((): ExperimentSummary[] | undefined => {
    if (counts.data) return counts.data.experiments;
    return names.data?.map((e) => ({
      experiment_id: e.experiment_id,
      name: e.name,
      lifecycle_stage: 'active',
      last_update_time: 0,
      run_count: Number.NaN,
    }));
  }, [counts.data, names.data]);
  const tree = useMemo(() => (experiments ? buildTree(experiments) : null), [experiments]);
  const chosen =
    experimentId ??
    counts.data?.experiments.find((e) => e.name.startsWith('NBA_Props_Model/') && e.run_count > 0)
      ?.experiment_id ??
    counts.data?.experiments.find((e) => e.run_count > 0)?.experiment_id;
  const experiment = experiments?.find((e) => e.experiment_id === chosen);
  const error = names.error ?? counts.error;
  return (
    <div className="split">
      <aside className="sidebar">
        <h2>Experiments</h2>
        {!tree && <Loading what="experiments" />}
        {error !== undefined && <ErrorBox error={error} />}
        {tree && <TreeView node={tree} selected={chosen} />}
      </aside>
      <section className="main">
        {chosen ? (
          <RunsTable
            key={chosen}
            experimentId={chosen}
            experiment={experiment}
            onFirstPage={() => setCountsWanted(true)}
          />
        ) : (
          counts.data && (
            <p className="muted">No experiment with runs yet. Run `npm start` (the demo) to make one.</p>
          )
        )}
      </section>
    </div>
  );
}
