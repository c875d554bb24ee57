import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/tracking/index.js';
import { registryWorkflowSuite } from './workflow.js';

// Two store instances on one SQLite file stand in for two processes in the race tests.
registryWorkflowSuite('embedded SQLite store', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'propflow-registry-'));
  const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
  return {
    open: () => openStore(uri),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});
