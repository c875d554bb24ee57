/** Fold series of a run from its metric histories (`fold_mae`, `fold_date`, `fold_n_predictions`). */
import { type FoldPoint, foldPointsFromHistories } from '../../src/charts/specs.js';
import { api } from './api.js';

export async function loadFolds(runId: string): Promise<FoldPoint[]> {
  const [fold_mae, fold_date, fold_n_predictions] = await Promise.all([
    api.metricHistory(runId, 'fold_mae'),
    api.metricHistory(runId, 'fold_date'),
    api.metricHistory(runId, 'fold_n_predictions'),
  ]);
  return foldPointsFromHistories({ fold_mae, fold_date, fold_n_predictions });
}
