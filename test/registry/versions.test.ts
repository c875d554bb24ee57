import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';
import { type MlflowFlavour, startQuirksFront } from '../contract/mlflow-quirks.js';
import { registryWorkflowSuite } from './workflow.js';

// The registry workflow through the REST store against a live `propflow server` answering
// as MLflow 2.12.2 does where it differs (test/contract/mlflow-quirks.ts): metric histories
// not paged, missing artifacts as 500s, no prompts, no MLflow 3 routes. (3.11's one quirk,
// repeated logged-model params, does not touch the registry; the store contract covers it.)
for (const flavour of ['2.12.2'] as MlflowFlavour[]) {
  registryWorkflowSuite(`REST store against propflow server answering as MLflow ${flavour}`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'propflow-registry-versions-'));
    const server = await startServer({
      backendStoreUri: `sqlite:///${path.join(dir, 'server.db')}`,
      artifactsDestination: path.join(dir, 'artifacts'),
      host: '127.0.0.1',
      port: 0,
    });
    const front = await startQuirksFront(flavour, (p, init) => fetch(`${server.url}${p}`, init));
    return {
      open: () => openStore(front.url),
      teardown: async () => {
        await front.close();
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}
