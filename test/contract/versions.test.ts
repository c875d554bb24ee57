/**
 * The store contract through the REST store against `propflow server` answering as real
 * MLflow 2.12.2 and 3.11 servers do where they differ (see mlflow-quirks.ts): the REST store
 * must give the same answers on every version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';
import { type MlflowFlavour, startQuirksFront } from './mlflow-quirks.js';
import { describeStoreContract } from './store-contract.js';

for (const flavour of ['2.12.2', '3.11.2.dev0'] as MlflowFlavour[]) {
  describeStoreContract(`REST store → propflow server answering as MLflow ${flavour}`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pf-contract-quirks-'));
    const server = await startServer({
      backendStoreUri: `sqlite:///${path.join(dir, 'tracking.db')}`,
      artifactsDestination: path.join(dir, 'artifacts'),
      host: '127.0.0.1',
      port: 0,
    });
    const front = await startQuirksFront(flavour, (p, init) => fetch(`${server.url}${p}`, init));
    const store = await openStore(front.url, { retry: { maxRetries: 2, baseDelayMs: 10 }, env: {} });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await front.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
