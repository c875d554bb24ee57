/**
 * `runs lint`: runs whose names break the tracker's run-name rules
 * (`YYYYMMDD_pN_<feature_set>_<validation>_vN`), with the reason, and names used twice in
 * one experiment.
 */

import { validateRunName } from '../tracker/index.js';
import type { Run, TrackingStore } from '../tracking/index.js';
import { experimentIdsFor } from './list.js';
import { allRuns, experimentNames, listExperiments } from './load.js';

export interface LintProblem {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  problem: string;
}

export interface LintReport {
  checked: number;
  problems: LintProblem[];
}

/** The reason a run name breaks the rules, or null when it is a valid name. */
export function runNameProblem(name: string): string | null {
  try {
    validateRunName(name);
    return null;
  } catch (err) {
    // the rule itself is printed once under the table; keep the reason short
    const reason = (err as Error).message
      .replace(/\s*\(e\.g\. [^)]*\)\.?$/, '')
      .replace(/^Run name '[^']*' /, '');
    return /^does not follow/.test(reason) ? 'does not follow the naming rule' : reason;
  }
}

/** The naming rule, for people. */
export const RUN_NAME_RULE =
  'YYYYMMDD_pN_<feature_set>_<validation>_vN, e.g. 20261204_p1_v3_advanced_wfdaily_v2';

/** Runs that follow their own naming contracts: the registry's ledger and monitoring runs. */
function isSystemRun(r: Run, experimentName: string): boolean {
  if (experimentName === 'propflow-registry-ledger' || experimentName.endsWith('/Monitoring')) return true;
  return r.data.tags.some((t) => t.key === 'propflow.ledger.model' || t.key === 'propflow.monitor.model');
}

/** Lint the names of every active run (of the given experiments, or of all). */
export async function lintRunNames(
  store: TrackingStore,
  options: { experiments?: string[]; includeMigrated?: boolean } = {},
): Promise<LintReport> {
  const ids = options.experiments?.length
    ? await experimentIdsFor(store, options.experiments)
    : (await listExperiments(store)).map((e) => e.experimentId);
  const runs: Run[] = await allRuns(store, ids);
  const names = await experimentNames(store, ids);
  const problems: LintProblem[] = [];
  const seen = new Map<string, string>();
  let checked = 0;
  for (const r of runs) {
    // an original that was migrated into the hierarchy has a correctly named copy
    if (!options.includeMigrated && r.data.tags.some((t) => t.key === 'migrated_to')) continue;
    const experimentName = names.get(r.info.experimentId) ?? r.info.experimentId;
    if (isSystemRun(r, experimentName)) continue;
    checked++;
    const base = {
      run_id: r.info.runId,
      run_name: r.info.runName,
      experiment_id: r.info.experimentId,
      experiment_name: experimentName,
    };
    const problem = runNameProblem(r.info.runName);
    if (problem) problems.push({ ...base, problem });
    const key = `${r.info.experimentId}\u0000${r.info.runName}`;
    const other = seen.get(key);
    if (other !== undefined && !problem) {
      problems.push({ ...base, problem: `the name is also used by run ${other} in the same experiment` });
    } else seen.set(key, r.info.runId);
  }
  problems.sort(
    (a, b) => a.experiment_name.localeCompare(b.experiment_name) || a.run_name.localeCompare(b.run_name),
  );
  return { checked, problems };
}
