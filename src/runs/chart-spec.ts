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
  const longest = Math.max(0, ...order.map((l) => l.length));
  const window = 7;
  const x = {
    field: 'date',
    type: 'temporal',
    title: 'fold date',
    scale: { type: 'utc' },
    axis: { format: '%Y-%m-%d', labelAngle: -30 },
  };
  const y = { field: 'value', type: 'quantitative', title: c.fold_metric, scale: { zero: false } };
  const color = {
    field: 'run',
    type: 'nominal',
    title: 'run',
    sort: order,
    legend: {
      orient: 'bottom',
      columns: longest > 36 ? 1 : 2,
      labelLimit: 720,
      symbolOpacity: 1,
      symbolStrokeWidth: 3,
    },
  };
  const tooltip = [
    { field: 'run', type: 'nominal' },
    { field: 'date', type: 'temporal', format: '%Y-%m-%d' },
    { field: 'value', type: 'quantitative', format: '.4f', title: c.fold_metric },
  ];
  const direction = c.higher_is_better ? 'higher' : 'lower';
  const head = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${c.fold_metric} by fold date`,
      subtitle: many
        ? `${c.runs.length} runs, ${c.folds.length} fold dates (${direction} is better); thin: each fold, thick: ${window}-fold rolling mean`
        : `${c.runs.length} runs, ${c.folds.length} fold dates (${direction} is better)`,
    },
    width: options.width ?? 760,
    height: options.height ?? 380,
    data: { values },
  };
  if (!many) {
    return {
      ...head,
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: { x, y, color, tooltip },
    } as ChartSpec;
  }
  // many dates: each fold as a faint line, a rolling mean per run on top so trends stay readable
  return {
    ...head,
    layer: [
      { mark: { type: 'line', strokeWidth: 1, opacity: 0.3 }, encoding: { x, y, color, tooltip } },
      {
        transform: [
          {
            window: [{ op: 'mean', field: 'value', as: 'rolling' }],
            frame: [-Math.floor(window / 2), Math.floor(window / 2)],
            groupby: ['run'],
            sort: [{ field: 'date' }],
          },
        ],
        mark: { type: 'line', strokeWidth: 2.5 },
        encoding: { x, y: { ...y, field: 'rolling' }, color },
      },
    ],
  } as ChartSpec;
}
