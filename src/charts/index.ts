/**
 * Charts: vega-lite specs rendered to SVG (vega, headless) and PNG (@resvg/resvg-js). The
 * same specs feed the web UI (vega-embed), so a plot logged as a PNG artifact and the chart
 * on a page are one definition. The only entrance to `charts/`.
 */

export { type RenderOptions, renderPng, renderSvg } from './render.js';
export { type ChartSpec, propflowTheme, withTheme } from './theme.js';
