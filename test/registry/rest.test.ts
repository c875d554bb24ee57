import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';
import { registryWorkflowSuite } from './workflow.js';

// A live `propflow server` on 127.0.0.1 with the registry talking MLflow REST to it; the
// race tests use two REST clients against the one server.
registryWorkflowSuite('REST store against a live propflow server', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'propflow-registry-rest-'));
  const server = await startServer({
    backendStoreUri: `sqlite:///${path.join(dir, 'server.db')}`,
    artifactsDestination: path.join(dir, 'artifacts'),
    host: '127.0.0.1',
    port: 0,
  });
  return {
    open: () => openStore(server.url),
    teardown: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
