/**
 * The wire module pinned to what real MLflow servers send (2.12.2 and 3.11): every recorded
 * response decodes into our entities and encodes back to the same JSON (nothing lost), and
 * every recorded request passes the request schemas the server validates with.
 */
import { describe, expect, it } from 'vitest';
import { isJsonApi, loadRecording, RECORDINGS, responseJson } from '../../../test/server/recordings.js';
import { AlreadyExistsError, InvalidParameterError, NotFoundError, PropflowError } from '../../errors.js';
import {
  decodeQuery,
  double,
  endpoints,
  errorFromWire,
  experimentFromWire,
  experimentToWire,
  fileInfoFromWire,
  fileInfoToWire,
  int64,
  loggedModelFromWire,
  loggedModelOrderByFromWire,
  loggedModelOrderByToWire,
  loggedModelToWire,
  matchEndpoint,
  metricFromWire,
  metricToWire,
  modelVersionFromWire,
  modelVersionToWire,
  registeredModelFromWire,
  registeredModelToWire,
  runFromWire,
  runInfoFromWire,
  runInfoToWire,
  runToWire,
  searchFieldsFromWire,
  searchFieldsToWire,
  wireExperiment,
  wireFileInfo,
  wireLoggedModel,
  wireMetric,
  wireModelVersion,
  wireRegisteredModel,
  wireRun,
  wireRunInfo,
} from './index.js';

type Json = Record<string, unknown>;

const codecs: Record<string, (v: unknown) => unknown> = {
  experiment: (v) => experimentToWire(experimentFromWire(wireExperiment.parse(v))),
  run: (v) => runToWire(runFromWire(wireRun.parse(v))),
  run_info: (v) => runInfoToWire(runInfoFromWire(wireRunInfo.parse(v))),
  metric: (v) => metricToWire(metricFromWire(wireMetric.parse(v))),
  registered_model: (v) => registeredModelToWire(registeredModelFromWire(wireRegisteredModel.parse(v))),
  model_version: (v) => modelVersionToWire(modelVersionFromWire(wireModelVersion.parse(v))),
  model: (v) => loggedModelToWire(loggedModelFromWire(wireLoggedModel.parse(v))),
  file: (v) => fileInfoToWire(fileInfoFromWire(wireFileInfo.parse(v))),
};
const lists: Record<string, string> = {
  experiments: 'experiment',
  runs: 'run',
  metrics: 'metric',
  registered_models: 'registered_model',
  model_versions: 'model_version',
  models: 'model',
  files: 'file',
};

/** Decode every entity of a response into our entities and encode it back. */
function roundTrip(json: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const one = codecs[key];
    const many = lists[key];
    if (one) out[key] = one(value);
    else if (many) out[key] = (value as unknown[]).map(codecs[many] as (v: unknown) => unknown);
    else out[key] = value;
  }
  return out;
}

/** Drop empty objects (`inputs: {}`, `outputs: {}`): MLflow versions differ in sending them. */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropEmpty);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const d = dropEmpty(v);
    if (typeof d === 'object' && d !== null && !Array.isArray(d) && Object.keys(d).length === 0) continue;
    out[k] = d;
  }
  return out;
}

for (const file of RECORDINGS) {
  const exchanges = loadRecording(file);

  describe(`wire decoding: ${file}`, () => {
    it('every successful JSON response decodes with its endpoint schema and encodes back unchanged', () => {
      let checked = 0;
      for (const ex of exchanges) {
        const json = responseJson(ex);
        if (json === undefined || ex.status !== 200) continue;
        if (isJsonApi(ex)) {
          const match = matchEndpoint(ex.method, ex.path.slice('/api/2.0/'.length));
          expect(match.kind, `${ex.index} ${ex.method} ${ex.path}`).toBe('found');
          if (match.kind !== 'found') continue;
          const parsed = match.endpoint.response.safeParse(json);
          expect(parsed.success, `${ex.index} ${match.endpoint.name}: ${parsed.error?.message}`).toBe(true);
        }
        expect(dropEmpty(roundTrip(json)), `${ex.index} ${ex.method} ${ex.path}`).toEqual(dropEmpty(json));
        checked++;
      }
      expect(checked).toBeGreaterThan(60);
    });

    it('every error response maps to the same error class as the embedded store', () => {
      const errors = exchanges.filter((ex) => ex.status >= 400);
      expect(errors.length).toBeGreaterThan(0);
      for (const ex of errors) {
        const body = responseJson(ex) as Json;
        const err = errorFromWire(ex.status, body, ex.path);
        expect(err).toBeInstanceOf(PropflowError);
        expect(err.code).toBe(body['error_code']);
        expect(err.status).toBe(ex.status);
        if (err.code === 'RESOURCE_DOES_NOT_EXIST') expect(err).toBeInstanceOf(NotFoundError);
        if (err.code === 'INVALID_PARAMETER_VALUE') expect(err).toBeInstanceOf(InvalidParameterError);
        expect(err.message).toBe(body['message']);
      }
    });

    it('every recorded request passes the request schema of its endpoint', () => {
      let checked = 0;
      for (const ex of exchanges.filter(isJsonApi)) {
        const match = matchEndpoint(ex.method, ex.path.slice('/api/2.0/'.length));
        expect(match.kind, `${ex.index} ${ex.method} ${ex.path}`).toBe('found');
        if (match.kind !== 'found') continue;
        const fields: Json =
          ex.method === 'GET'
            ? decodeQuery(new URLSearchParams(ex.query))
            : (JSON.parse(ex.req_body || '{}') as Json);
        const parsed = match.endpoint.request.safeParse({ ...fields, ...match.pathParams });
        expect(parsed.success, `${ex.index} ${match.endpoint.name}: ${parsed.error?.message}`).toBe(true);
        expect(match.endpoint.transport).toBe(ex.method === 'GET' ? 'query' : 'body');
        checked++;
      }
      expect(checked).toBeGreaterThan(50);
    });
  });
}

describe('wire scalars', () => {
  it('int64 accepts numbers and digit strings, refuses fractions, NaN text and unsafe sizes', () => {
    expect(int64.parse(1795667517675)).toBe(1795667517675);
    expect(int64.parse('1795667517675')).toBe(1795667517675);
    expect(int64.safeParse(1.5).success).toBe(false);
    expect(int64.safeParse('NaN').success).toBe(false);
    expect(int64.safeParse('1e400').success).toBe(false);
    expect(int64.safeParse(2 ** 60).success).toBe(false);
    expect(int64.safeParse('99999999999999999999').success).toBe(false);
  });

  it('double accepts protobuf JSON specials', () => {
    expect(double.parse('NaN')).toBeNaN();
    expect(double.parse('Infinity')).toBe(Infinity);
    expect(double.parse('-Infinity')).toBe(-Infinity);
    expect(double.parse(0.25)).toBe(0.25);
    expect(double.safeParse('abc').success).toBe(false);
    expect(metricToWire({ key: 'k', value: Number.NaN, timestamp: 1, step: 0 })['value']).toBe('NaN');
  });

  it('maps error codes to the typed errors', () => {
    expect(errorFromWire(400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'x' }, 'c')).toBeInstanceOf(
      AlreadyExistsError,
    );
    const noBody = errorFromWire(503, '<html>busy</html>', 'getRun');
    expect(noBody.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(noBody.message).toContain('getRun');
  });

  it('routes path parameters and reports wrong methods', () => {
    const m = matchEndpoint('PATCH', 'mlflow/logged-models/m-abc/tags');
    expect(m.kind === 'found' && m.endpoint.name === 'setLoggedModelTags' && m.pathParams['model_id']).toBe(
      'm-abc',
    );
    expect(matchEndpoint('PUT', 'mlflow/runs/get').kind).toBe('method-not-allowed');
    expect(matchEndpoint('GET', 'mlflow/nothing').kind).toBe('not-found');
    const alt = matchEndpoint('GET', 'mlflow/experiments/search');
    expect(alt.kind === 'found' && alt.endpoint.transport).toBe('query');
    // The one capitalised RPC name still routes to its entry's key.
    const params = matchEndpoint('POST', 'mlflow/logged-models/m-abc/params');
    expect(params.kind === 'found' && [params.key, params.endpoint.name]).toEqual([
      'logLoggedModelParams',
      'LogLoggedModelParams',
    ]);
  });
});

describe('search request fields', () => {
  it('maps filter, order and paging fields both ways, leaving unset ones out', () => {
    const wire = searchFieldsToWire({ filter: "name = 'a'", orderBy: ['name DESC'], maxResults: 5 });
    expect(wire).toEqual({
      filter: "name = 'a'",
      max_results: 5,
      order_by: ['name DESC'],
      page_token: undefined,
    });
    const req = endpoints.searchRegisteredModels.request.parse(
      Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)),
    );
    expect(searchFieldsFromWire(req)).toEqual({
      filter: "name = 'a'",
      orderBy: ['name DESC'],
      maxResults: 5,
    });
    expect(searchFieldsFromWire({})).toEqual({});
  });

  it("turns logged-model order clauses into MLflow's OrderBy entries and back", () => {
    expect(loggedModelOrderByToWire('creation_timestamp DESC')).toEqual({
      field_name: 'creation_timestamp',
      ascending: false,
    });
    expect(loggedModelOrderByToWire('name')).toEqual({ field_name: 'name', ascending: true });
    const req = endpoints.searchLoggedModels.request.parse({
      experiment_ids: ['1'],
      order_by: [
        { field_name: 'name', ascending: false },
        { field_name: 'model_id' },
        'creation_timestamp ASC',
      ],
    });
    expect(req.order_by?.map(loggedModelOrderByFromWire)).toEqual([
      'name DESC',
      'model_id ASC',
      'creation_timestamp ASC',
    ]);
    const missing = endpoints.searchLoggedModels.request.safeParse({ order_by: [{ ascending: true }] });
    expect(missing.success).toBe(false);
  });
});
