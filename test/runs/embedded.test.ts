/** The runs suite on the embedded store (a real SQLite file in a temp folder). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/tracking/index.js';
import { describeRunsSuite } from './suite.js';

describeRunsSuite('embedded store', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-runs-'));
  const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
  const store = await openStore(uri);
  return {
    store,
    uri,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
