/**
 * Runs logged into the embedded store keep `file://` artifact locations; a `propflow server`
 * started over that database later serves them, and the REST store reads and writes those
 * artifacts in the local folder, as MLflow's client does with file locations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { openStore } from '../../src/tracking/index.js';

it('the REST store reads and writes the artifacts of runs logged into the embedded store', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-file-artifacts-'));
  const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
  const embedded = await openStore(uri);
  const exp = await embedded.createExperiment('embedded-first');
  const run = await embedded.createRun({ experimentId: exp, runName: 'logged-locally' });
  const runId = run.info.runId;
  await embedded.logArtifact(runId, 'info/training_info.json', '{"a":1}');
  expect(run.info.artifactUri).toMatch(/^file:\/\//);
  await embedded.close();
  const server = await startServer({ backendStoreUri: uri, host: '127.0.0.1', port: 0 });
  const rest = await openStore(server.url, { env: {} });
  try {
    expect(await rest.listArtifacts(runId)).toEqual([{ path: 'info', isDir: true }]);
    expect(new TextDecoder().decode(await rest.downloadArtifact(runId, 'info/training_info.json'))).toBe(
      '{"a":1}',
    );
    await rest.logArtifact(runId, 'notes.txt', 'through the server');
    expect((await rest.listArtifacts(runId)).map((f) => f.path)).toEqual(['info', 'notes.txt']);
    await expect(rest.downloadArtifact(runId, 'missing.txt')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  } finally {
    await rest.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
