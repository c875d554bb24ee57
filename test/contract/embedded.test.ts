/** The store contract against a fresh embedded (SQLite) store in a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/tracking/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('embedded SQLite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-contract-embedded-'));
  const store = await openStore(`sqlite:///${path.join(dir, 'tracking.db')}`);
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
