/**
 * The fold-metric chart of a comparison as a vega-lite spec: fold date on x, the fold metric
 * on y, one line per run with its name in the legend. Pure data (no imports at run time), so
 * the web UI can feed the same spec to vega-embed; `src/charts` renders it to PNG.
 */
import type { ChartSpec } from '../charts/index.js';
import type { Comparison } from './compare.js';

/** A vega-lite line chart of the comparison's per-fold metric by date. */
export function foldChartSpec(c: Comparison, options: { width?: number; height?: number } = {}): ChartSpec {
  const values: Array<{ date: string; run: string; value: number }> = [];
  for (const f of c.folds) {
    for (const [i, v] of f.values.entries())
      if (v !== null) values.push({ date: f.date, run: c.runs[i]!.label, value: v });
  }
  const order = c.runs.map((r) => r.label);
  const many = c.folds.length > 60;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${c.fold_metric} by fold date`,
      subtitle: `${c.runs.length} runs, ${c.folds.length} fold dates (${c.higher_is_better ? 'higher' : 'lower'} is better)`,
    },
    width: options.width ?? 760,
    height: options.height ?? 380,
    data: { values },
    mark: { type: 'line', point: !many, strokeWidth: many ? 1.5 : 2, interpolate: 'linear' },
    encoding: {
      x: {
        field: 'date',
        type: 'temporal',
        title: 'fold date',
        axis: { format: '%Y-%m-%d', labelAngle: -30 },
      },
      y: { field: 'value', type: 'quantitative', title: c.fold_metric, scale: { zero: false } },
      color: {
        field: 'run',
        type: 'nominal',
        title: 'run',
        sort: order,
        legend: { orient: 'bottom', columns: 2 },
      },
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'date', type: 'temporal', format: '%Y-%m-%d' },
        { field: 'value', type: 'quantitative', format: '.4f', title: c.fold_metric },
      ],
    },
  } as ChartSpec;
}
