/**
 * Charts: vega-lite specs rendered to SVG (vega, headless) and PNG (@resvg/resvg-js). The
 * same specs feed the web UI (vega-embed, through `specs.ts`, the browser-safe entrance), so
 * a plot logged as a PNG artifact and the chart on a page are one definition. The entrance to
 * `charts/` for Node code.
 */
export { type RenderOptions, renderPng, renderSvg } from './render.js';
export * from './specs.js';
