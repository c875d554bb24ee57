/**
 * Run search evaluated in memory, with exactly the semantics the SQLite store compiles to
 * SQL: for runs already loaded (a remote store's page, a cache, a test), or to check one.
 */
import type { Run } from '../entities.js';
import { compareValue, sortItems } from './evaluate.js';
import { type Comparison, parseOrderBy, parseSearchFilter, RUN_GRAMMAR } from './filter.js';

const DATA_CONTEXT_TAG = 'mlflow.data.context';

/** One value of a run by entity type and key (`undefined` when the run has none). */
function runValue(run: Run, type: string, key: string): string | number | undefined {
  switch (type) {
    case 'metric': {
      const m = run.data.metrics.find((x) => x.key === key);
      return m === undefined || Number.isNaN(m.value) ? undefined : m.value;
    }
    case 'parameter':
      return run.data.params.find((x) => x.key === key)?.value;
    case 'tag':
      return run.data.tags.find((x) => x.key === key)?.value;
    default:
      switch (key) {
        case 'run_id':
          return run.info.runId;
        case 'run_name':
          return run.info.runName;
        case 'status':
          return run.info.status;
        case 'user_id':
          return run.info.userId;
        case 'artifact_uri':
          return run.info.artifactUri;
        case 'start_time':
          return run.info.startTime;
        case 'end_time':
          return run.info.endTime ?? undefined;
        case 'experiment_id':
          return run.info.experimentId;
        default:
          return undefined;
      }
  }
}

function matches(run: Run, c: Comparison): boolean {
  if (c.type !== 'dataset') return compareValue(runValue(run, c.type, c.key), c);
  // A dataset clause holds when any of the run's dataset inputs satisfies it.
  return run.inputs.datasetInputs.some((input) => {
    const value =
      c.key === 'context'
        ? input.tags.find((t) => t.key === DATA_CONTEXT_TAG)?.value
        : c.key === 'name'
          ? input.dataset.name
          : input.dataset.digest;
    return compareValue(value, c);
  });
}

/** The runs a filter string selects (MLflow grammar; throws INVALID_PARAMETER_VALUE like a server). */
export function filterRuns(runs: readonly Run[], filter: string | undefined): Run[] {
  const comparisons = parseSearchFilter(filter, RUN_GRAMMAR);
  return runs.filter((run) => comparisons.every((c) => matches(run, c)));
}

/** Runs in `order_by` order; missing values last, ties by start time descending, then run id. */
export function sortRuns(runs: readonly Run[], orderBy: readonly string[] | undefined): Run[] {
  return sortItems(runs, parseOrderBy(orderBy, RUN_GRAMMAR), runValue, (a, b) =>
    a.info.startTime !== b.info.startTime
      ? b.info.startTime - a.info.startTime
      : a.info.runId < b.info.runId
        ? -1
        : a.info.runId > b.info.runId
          ? 1
          : 0,
  );
}
