import { describe, expect, it } from 'vitest';
import { type ChartSpec, renderPng, renderSvg, withTheme } from './index.js';

const spec: ChartSpec = {
  title: 'Fold MAE by date',
  width: 400,
  height: 200,
  data: {
    values: [
      { date: '2024-01-01', mae: 5.1, run: 'a' },
      { date: '2024-01-02', mae: 5.6, run: 'a' },
      { date: '2024-01-01', mae: 5.3, run: 'b' },
      { date: '2024-01-02', mae: 5.2, run: 'b' },
    ],
  },
  mark: { type: 'line', point: true },
  encoding: {
    x: { field: 'date', type: 'temporal', title: 'Fold date' },
    y: { field: 'mae', type: 'quantitative', title: 'MAE (PRA points)' },
    color: { field: 'run', type: 'nominal', title: 'Run' },
  },
};

describe('charts', () => {
  it('renders the title, axis titles, legend and one point per value as SVG', async () => {
    const svg = await renderSvg(spec);
    expect(svg).toContain('Fold MAE by date');
    expect(svg).toContain('MAE (PRA points)');
    expect(svg).toContain('Fold date');
    expect(svg).toContain('Run');
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(4);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
  });

  it('renders a PNG of the expected size at scale 2', async () => {
    const png = await renderPng(spec);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBeGreaterThan(800);
    expect(height).toBeGreaterThan(400);
  });

  it('keeps the spec’s own config over the theme and refuses an invalid spec clearly', async () => {
    const themed = withTheme({ ...spec, config: { title: { fontSize: 20 } } } as ChartSpec) as {
      config: { title: { fontSize: number; anchor: string } };
    };
    expect(themed.config.title.fontSize).toBe(20);
    expect(themed.config.title.anchor).toBe('start');
    await expect(renderSvg({ mark: 'nonsense' } as unknown as ChartSpec)).rejects.toThrow(
      /not valid vega-lite|Invalid/,
    );
  });
});
