/** A dataset without prop lines: the pipelines validate and log, with no betting figures. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { synthesizeLeague, writeDataset } from '../../src/data/index.js';
import { runPipeline } from '../../src/pipelines/index.js';
import { openStore } from '../../src/tracking/index.js';

it('walk-forward on a dataset with no lines logs val_mae and no betting metrics', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'propflow-no-lines-'));
  const { lines: _lines, consensus: _consensus, ...league } = synthesizeLeague({ seed: 4, seasons: 1 });
  writeDataset(path.join(dir, 'data'), league);
  const store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`);
  try {
    const r = await runPipeline(
      'walk-forward',
      {
        pipeline: 'walk-forward',
        model: { n_estimators: 8, max_depth: 3, learning_rate: 0.3 },
        validation: { start: 'season_mid', refit_every_days: 28 },
        registry: { register: false },
      },
      { store, trackingUri: 'embedded', dataDir: path.join(dir, 'data') },
    );
    expect(r.metrics['val_mae']).toBeGreaterThan(0);
    expect(r.metrics['n_rows_with_line']).toBe(0);
    expect(r.metrics['betting_roi']).toBeUndefined();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
