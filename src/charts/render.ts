/**
 * Rendering without a browser: vega-lite compiles the spec, a headless vega View draws it as
 * SVG, resvg rasterises the SVG to PNG with the system's fonts. vega and resvg load lazily:
 * commands that draw nothing never pay for them.
 */
import { InvalidParameterError } from '../errors.js';
import { type ChartSpec, withTheme } from './theme.js';

export interface RenderOptions {
  /** Pixel density of the PNG (default 2: sharp on high-density screens, legible at 100%). */
  scale?: number;
}

/** The chart as an SVG document (themed). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  let compiled: ReturnType<typeof vl.compile>;
  try {
    compiled = vl.compile(withTheme(spec));
  } catch (err) {
    throw new InvalidParameterError(`chart spec is not valid vega-lite: ${(err as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The chart as PNG bytes (themed; text in DejaVu Sans, which Debian's fonts-dejavu-core ships). */
export async function renderPng(spec: ChartSpec, options: RenderOptions = {}): Promise<Buffer> {
  const svg = await renderSvg(spec);
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: 'white',
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
