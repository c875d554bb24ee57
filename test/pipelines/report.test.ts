/** `propflow validate --report`: the quality report is returned and logged with its plots on the run. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runPipeline } from '../../src/pipelines/index.js';
import { openStore } from '../../src/tracking/index.js';

it('validate with report: true logs validation_report.md, its tables and four plots', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'propflow-report-'));
  const store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`);
  try {
    const r = await runPipeline(
      'validate',
      {
        pipeline: 'validate',
        report: true,
        model: { n_estimators: 10, max_depth: 3, learning_rate: 0.3 },
        validation: { start: 'season_mid', refit_every_days: 21 },
      },
      { store, trackingUri: 'embedded', synthetic: { seed: 2, seasons: 1 } },
    );
    expect(r.report).toMatch(/^# Validation report/);
    expect(r.report).toContain('## Betting at real quotes');
    expect(r.report).toContain('resampling game dates');
    const files = (await store.listArtifacts(r.runId, 'report')).map((f) => f.path).sort();
    expect(files).toEqual([
      'report/calibration.png',
      'report/mae_by_minutes.png',
      'report/mae_by_month.png',
      'report/roi_by_edge.png',
    ]);
    const md = new TextDecoder().decode(await store.downloadArtifact(r.runId, 'validation_report.md'));
    expect(md).toBe(r.report);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
