/**
 * The browser-safe entrance to `charts/`: the chart specs and the theme, without the
 * renderer (vega headless + resvg are Node-only). The web UI imports from here; everything
 * else imports `charts/index.ts`, which re-exports these.
 */
export {
  type FoldPoint,
  type FoldSeries,
  foldMaeSpec,
  foldPointsFromHistories,
  type MonitoringPoint,
  monitoringSpec,
  yyyymmddToIso,
} from './folds.js';
export { type ChartSpec, propflowTheme, withTheme } from './theme.js';
