/**
 * `experiments tree`: experiments drawn as the hierarchy their names spell
 * (`NBA_Props_Model/Phase1_Baseline`, …), with the run count and best `val_mae` of each
 * experiment and, for a parent, of everything below it. The standard phases that do not
 * exist yet are shown as such.
 */
import type { Experiment, TrackingStore } from '../tracking/index.js';
import { allRuns, listExperiments, mapLimit } from './load.js';

/** The standard hierarchy (contract): `NBA_Props_Model/<Phase>`. */
export const PROJECT_ROOT = 'NBA_Props_Model';
export const STANDARD_PHASES = [
  'Phase1_Baseline',
  'Phase1_Features',
  'Phase1_Architecture',
  'Phase2_PositionDefense',
  'Production',
  'Demo',
  'Monitoring',
] as const;

export interface TreeNode {
  /** Last path segment. */
  name: string;
  /** Full experiment name (path). */
  path: string;
  /** The experiment at this path, when there is one. */
  experiment_id: string | null;
  /** Active runs of this experiment itself. */
  runs: number;
  /** Best (lowest) val_mae among this experiment's runs. */
  best_val_mae: number | null;
  best_run_id: string | null;
  /** Runs and best val_mae of this node and everything below it. */
  total_runs: number;
  total_best_val_mae: number | null;
  /** A standard phase not created yet. */
  missing: boolean;
  children: TreeNode[];
}

interface ExpStats {
  runs: number;
  best: number | null;
  bestRun: string | null;
}

async function statsOf(store: TrackingStore, e: Experiment): Promise<ExpStats> {
  const runs = await allRuns(store, [e.experimentId]);
  let best: number | null = null;
  let bestRun: string | null = null;
  for (const r of runs) {
    const v = r.data.metrics.find((m) => m.key === 'val_mae')?.value;
    if (v !== undefined && Number.isFinite(v) && (best === null || v < best)) {
      best = v;
      bestRun = r.info.runId;
    }
  }
  return { runs: runs.length, best, bestRun };
}

function node(name: string, path: string): TreeNode {
  return {
    name,
    path,
    experiment_id: null,
    runs: 0,
    best_val_mae: null,
    best_run_id: null,
    total_runs: 0,
    total_best_val_mae: null,
    missing: false,
    children: [],
  };
}

function total(n: TreeNode): void {
  n.total_runs = n.runs;
  n.total_best_val_mae = n.best_val_mae;
  for (const c of n.children) {
    total(c);
    n.total_runs += c.total_runs;
    if (
      c.total_best_val_mae !== null &&
      (n.total_best_val_mae === null || c.total_best_val_mae < n.total_best_val_mae)
    )
      n.total_best_val_mae = c.total_best_val_mae;
  }
}

/** The experiment tree of a store (roots sorted: the project root first, then by name). */
export async function experimentTree(store: TrackingStore): Promise<TreeNode[]> {
  const experiments = await listExperiments(store);
  const stats = await mapLimit(experiments, 8, (e) => statsOf(store, e));
  const root = node('', '');
  const at = (path: string): TreeNode => {
    let cur = root;
    let prefix = '';
    for (const part of path.split('/')) {
      prefix = prefix ? `${prefix}/${part}` : part;
      let child = cur.children.find((c) => c.name === part);
      if (!child) {
        child = node(part, prefix);
        cur.children.push(child);
      }
      cur = child;
    }
    return cur;
  };
  for (const [i, e] of experiments.entries()) {
    const n = at(e.name);
    const s = stats[i]!;
    n.experiment_id = e.experimentId;
    n.runs = s.runs;
    n.best_val_mae = s.best;
    n.best_run_id = s.bestRun;
  }
  for (const phase of STANDARD_PHASES) {
    const n = at(`${PROJECT_ROOT}/${phase}`);
    if (n.experiment_id === null) n.missing = true;
  }
  const sortRec = (n: TreeNode) => {
    n.children.sort((a, b) => {
      if (n === root && (a.name === PROJECT_ROOT) !== (b.name === PROJECT_ROOT))
        return a.name === PROJECT_ROOT ? -1 : 1;
      const ia = STANDARD_PHASES.indexOf(a.name as (typeof STANDARD_PHASES)[number]);
      const ib = STANDARD_PHASES.indexOf(b.name as (typeof STANDARD_PHASES)[number]);
      if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      return a.name.localeCompare(b.name);
    });
    n.children.forEach(sortRec);
  };
  sortRec(root);
  for (const c of root.children) total(c);
  return root.children;
}

/** The tree as text lines (box-drawing branches), every line at most `width` columns. */
export function renderTree(roots: readonly TreeNode[], fmt: (x: number) => string, width = 100): string {
  const rows: Array<{ label: string; runs: string; best: string }> = [];
  const walk = (n: TreeNode, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? '' : last ? '└── ' : '├── ';
    const note = n.missing ? '  (not created)' : '';
    const hasKids = n.children.length > 0;
    rows.push({
      label: `${prefix}${branch}${n.name}${note}`,
      runs: n.missing ? '' : String(hasKids ? n.total_runs : n.runs),
      best: n.missing
        ? ''
        : (hasKids ? n.total_best_val_mae : n.best_val_mae) === null
          ? '—'
          : fmt((hasKids ? n.total_best_val_mae : n.best_val_mae)!),
    });
    const childPrefix = top ? '' : `${prefix}${last ? '    ' : '│   '}`;
    for (const [i, c] of n.children.entries()) walk(c, childPrefix, i === n.children.length - 1, false);
  };
  for (const r of roots) walk(r, '', true, true);
  const labelWidth = Math.min(width - 24, Math.max(10, ...rows.map((r) => r.label.length)));
  const clipL = (s: string) =>
    s.length > labelWidth ? `${s.slice(0, labelWidth - 1)}…` : s.padEnd(labelWidth);
  const head = `${'experiment'.padEnd(labelWidth)}  ${'runs'.padStart(6)}  ${'best val_mae'.padStart(12)}`;
  return [
    head,
    `${'─'.repeat(labelWidth)}  ${'─'.repeat(6)}  ${'─'.repeat(12)}`,
    ...rows.map((r) => `${clipL(r.label)}  ${r.runs.padStart(6)}  ${r.best.padStart(12)}`.trimEnd()),
  ].join('\n');
}
