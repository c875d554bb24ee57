import type { TopLevelSpec } from 'vega-lite';

/** A vega-lite spec (top level): what every chart builder returns. */
export type ChartSpec = TopLevelSpec;

/**
 * propflow's chart look: legible at 100% (11–13 px text, 16 px titles), one font that
 * Debian ships (DejaVu Sans), white background, light grid. Pure data, safe in a browser.
 */
export const propflowTheme = {
  background: 'white',
  padding: 12,
  font: 'DejaVu Sans, Verdana, sans-serif',
  title: { fontSize: 16, fontWeight: 'bold', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6', titlePadding: 8 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#cccccc' },
  range: {
    category: [
      '#1f77b4',
      '#ff7f0e',
      '#2ca02c',
      '#d62728',
      '#9467bd',
      '#8c564b',
      '#e377c2',
      '#7f7f7f',
      '#bcbd22',
      '#17becf',
    ],
  },
} as const;

/** The spec with propflow's theme under its own `config` (the spec's own settings win). */
export function withTheme(spec: ChartSpec): ChartSpec {
  const own = ((spec as unknown as { config?: Record<string, unknown> }).config ?? {}) as Record<
    string,
    unknown
  >;
  const config: Record<string, unknown> = { ...propflowTheme };
  for (const [k, v] of Object.entries(own)) {
    const base = config[k];
    config[k] =
      base && typeof base === 'object' && v && typeof v === 'object' && !Array.isArray(v)
        ? { ...(base as object), ...(v as object) }
        : v;
  }
  return { ...spec, config } as ChartSpec;
}
