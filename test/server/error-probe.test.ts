/**
 * The recorded error probes (common client mistakes sent to real MLflow 2.12.2 and 3.11
 * servers) sent to propflow's server: the same HTTP status and error code. MLflow answers
 * an unknown endpoint with an HTML page; propflow answers JSON `ENDPOINT_NOT_FOUND`, also 404.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, jsonInit, type TestServer } from './helpers.js';
import { FIXTURES } from './recordings.js';

interface Probe {
  status: number;
  code: string | undefined;
}

function loadProbes(file: string): Map<string, Probe> {
  const probes = new Map<string, Probe>();
  for (const line of readFileSync(path.join(FIXTURES, file), 'utf8').split('\n')) {
    const m = /^([^:]+(?:\([^)]*\))?[^:]*):\s+(\d{3})\s(.*)$/.exec(line);
    if (!m) continue;
    const code = /"error_code": "([A-Z_]+)"/.exec(m[3] ?? '')?.[1];
    probes.set((m[1] as string).trim(), { status: Number(m[2]), code });
  }
  return probes;
}

const API = '/api/2.0/mlflow';

for (const file of ['error-probe-2.12.2.txt', 'error-probe-3.11.2.dev0.txt']) {
  describe(`error probes: ${file}`, () => {
    const probes = loadProbes(file);
    let server: TestServer;
    let runId: string;

    beforeAll(async () => {
      server = await createTestServer();
      const exp = await server.store.createExperiment('probe');
      runId = (await server.store.createRun({ experimentId: exp })).info.runId;
      await server.store.createRegisteredModel('probe-model');
      await server.store.createModelVersion('probe-model', { source: `runs:/${runId}/model`, runId });
    });
    afterAll(async () => {
      await server.close();
    });

    const requests: Record<string, () => Promise<Response>> = {
      'dup experiment name': () =>
        server.request(`${API}/experiments/create`, jsonInit('POST', { name: 'Default' })),
      'missing experiment': () => server.request(`${API}/experiments/get?experiment_id=424242`),
      'missing run': () => server.request(`${API}/runs/get?run_id=deadbeef`),
      'param first': () =>
        server.request(
          `${API}/runs/log-parameter`,
          jsonInit('POST', { run_id: runId, key: 'p', value: '1' }),
        ),
      'param overwrite': () =>
        server.request(
          `${API}/runs/log-parameter`,
          jsonInit('POST', { run_id: runId, key: 'p', value: '2' }),
        ),
      'bad metric name (..)': () =>
        server.request(
          `${API}/runs/log-metric`,
          jsonInit('POST', { run_id: runId, key: '../x', value: 1, timestamp: 1 }),
        ),
      'metric missing value': () =>
        server.request(`${API}/runs/log-metric`, jsonInit('POST', { run_id: runId, key: 'm', timestamp: 1 })),
      'log-batch 101 params': () =>
        server.request(
          `${API}/runs/log-batch`,
          jsonInit('POST', {
            run_id: runId,
            params: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
          }),
        ),
      'tag value 9000 chars': () =>
        server.request(
          `${API}/runs/set-tag`,
          jsonInit('POST', { run_id: runId, key: 't', value: 'x'.repeat(9000) }),
        ),
      'wrong content-type': () =>
        server.request(`${API}/experiments/create`, {
          method: 'POST',
          body: '{"name":"x"}',
          headers: { 'Content-Type': 'text/plain' },
        }),
      'unknown endpoint': () => server.request(`${API}/no-such-endpoint`),
      'bad filter': () =>
        server.request(
          `${API}/runs/search`,
          jsonInit('POST', { experiment_ids: ['0'], filter: "metrics.a < 1 OR params.b = 'x'" }),
        ),
      // The 2.12.2 answer, "Registered model alias x not found.", is the one
      // `get_model_version_by_alias` raises (mlflow/store/model_registry/sqlalchemy_store.py
      // @ v2.12.2); `delete_registered_model_alias` of an alias that is not set succeeds there
      // (it deletes only `if existing_alias is not None`), so the probe was the lookup.
      'rm alias missing': () =>
        file.startsWith('error-probe-2')
          ? server.request(`${API}/registered-models/alias?name=probe-model&alias=x`, { method: 'GET' })
          : server.request(
              `${API}/registered-models/alias`,
              jsonInit('DELETE', { name: 'nomodel', alias: 'x' }),
            ),
      "reserved alias 'latest'": () =>
        server.request(
          `${API}/registered-models/alias`,
          jsonInit('POST', { name: 'probe-model', alias: 'latest', version: '1' }),
        ),
      'bad stage': () =>
        server.request(
          `${API}/model-versions/transition-stage`,
          jsonInit('POST', {
            name: 'probe-model',
            version: '1',
            stage: 'Bogus',
            archive_existing_versions: false,
          }),
        ),
    };

    it('covers every recorded probe', () => {
      expect([...probes.keys()].sort()).toEqual(Object.keys(requests).sort());
    });

    for (const [label, send] of Object.entries(requests)) {
      it(`${label}: same status and error code as MLflow`, async () => {
        const probe = probes.get(label) as Probe;
        const res = await send();
        expect(res.status).toBe(probe.status);
        const body = (await res.json()) as { error_code?: string };
        expect(body.error_code).toBe(probe.code ?? (probe.status === 404 ? 'ENDPOINT_NOT_FOUND' : undefined));
      });
    }
  });
}
