/** The runs suite through the REST store against a live `propflow server` on loopback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';
import { describeRunsSuite } from './suite.js';

describeRunsSuite('REST store → live propflow server', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-runs-rest-'));
  const server = await startServer({
    backendStoreUri: `sqlite:///${path.join(dir, 'tracking.db')}`,
    artifactsDestination: path.join(dir, 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  const store = await openStore(server.url, { retry: { maxRetries: 2, baseDelayMs: 10 }, env: {} });
  return {
    store,
    uri: server.url,
    cleanup: async () => {
      await store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
