import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PropflowError } from '../errors.js';
import type { TrackingStore } from './store.js';
import {
  defaultArtifactRoot,
  openStore,
  parseModelUri,
  resolveModelUri,
  resolveTrackingUri,
  sqlitePathFromUri,
  trackingUriKind,
} from './uri.js';

describe('tracking URIs', () => {
  it('resolves explicit > MLFLOW_TRACKING_URI > the embedded default', () => {
    expect(resolveTrackingUri('http://a:5000', { MLFLOW_TRACKING_URI: 'http://b' })).toBe('http://a:5000');
    expect(resolveTrackingUri(undefined, { MLFLOW_TRACKING_URI: 'http://b' })).toBe('http://b');
    expect(resolveTrackingUri(undefined, {})).toBe('sqlite:///propflow/tracking.db');
    expect(resolveTrackingUri('', { MLFLOW_TRACKING_URI: '' })).toBe('sqlite:///propflow/tracking.db');
  });

  it('reads sqlite URIs as SQLAlchemy does', () => {
    expect(sqlitePathFromUri('sqlite:///propflow/tracking.db', '/work/x')).toBe(
      '/work/x/propflow/tracking.db',
    );
    expect(sqlitePathFromUri('sqlite:////abs/dir/t.db', '/work/x')).toBe('/abs/dir/t.db');
    expect(sqlitePathFromUri('sqlite:///t.db?timeout=5', '/w')).toBe('/w/t.db');
    expect(defaultArtifactRoot('/work/x/propflow/tracking.db')).toBe('/work/x/propflow/artifacts');
    for (const bad of ['sqlite://', 'sqlite:///', 'sqlite:///:memory:', 'sqlite:/x.db']) {
      expect(() => sqlitePathFromUri(bad), bad).toThrow(/Invalid SQLite tracking URI/);
    }
  });

  it('selects the store kind and refuses other schemes', () => {
    expect(trackingUriKind('sqlite:///a.db')).toBe('sqlite');
    expect(trackingUriKind('https://mlflow.example.com')).toBe('http');
    expect(() => trackingUriKind('postgresql://db/mlflow')).toThrow(/Unsupported tracking URI/);
    expect(() => trackingUriKind('./mlruns')).toThrow(/MLFLOW_TRACKING_URI/);
  });

  it('opens an http store without contacting the server', async () => {
    const store = await openStore('http://127.0.0.1:1/');
    expect(store.uri).toMatch(/^http:\/\/127\.0\.0\.1:1/);
    await store.close();
  });
});

describe('model URIs', () => {
  it('parses every form', () => {
    expect(parseModelUri('runs:/abc/model')).toEqual({ kind: 'run', runId: 'abc', path: 'model' });
    expect(parseModelUri('runs:/abc/a/b/')).toEqual({ kind: 'run', runId: 'abc', path: 'a/b' });
    expect(parseModelUri('runs:/abc')).toEqual({ kind: 'run', runId: 'abc', path: '' });
    expect(parseModelUri('models:/NBAPropsModel/3')).toEqual({
      kind: 'version',
      name: 'NBAPropsModel',
      version: '3',
      path: '',
    });
    expect(parseModelUri('models:/NBAPropsModel/production')).toEqual({
      kind: 'stage',
      name: 'NBAPropsModel',
      stage: 'Production',
      path: '',
    });
    expect(parseModelUri('models:/NBAPropsModel@champion')).toEqual({
      kind: 'alias',
      name: 'NBAPropsModel',
      alias: 'champion',
      path: '',
    });
    expect(parseModelUri('models:/M@prod/MLmodel')).toMatchObject({
      kind: 'alias',
      alias: 'prod',
      path: 'MLmodel',
    });
    expect(parseModelUri('models:/M/latest')).toEqual({ kind: 'latest', name: 'M', path: '' });
    expect(parseModelUri('models:/m-0123456789abcdef0123456789abcdef')).toMatchObject({
      kind: 'loggedModel',
    });
  });

  it('rejects malformed model URIs with a hint', () => {
    for (const bad of [
      'runs:/',
      'runs:/abc/../x',
      'models:/',
      'models:/OnlyName',
      'model:/x/1',
      's3://b/k',
    ]) {
      expect(() => parseModelUri(bad), bad).toThrow(PropflowError);
    }
    expect(() => parseModelUri('models:/M/champion')).toThrow(/models:\/M@champion/);
  });

  describe('resolution against a store', () => {
    let dir: string;
    let store: TrackingStore;
    let runId: string;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'pf-uri-'));
      store = await openStore(`sqlite:///${path.join(dir, 't.db')}`);
      runId = (await store.createRun({ experimentId: '0' })).info.runId;
      await store.createRegisteredModel('M');
      await store.createModelVersion('M', { source: `runs:/${runId}/model`, runId });
      await store.createModelVersion('M', { source: `runs:/${runId}/model2`, runId });
      await store.transitionModelVersionStage('M', '1', 'Production', false);
      await store.setRegisteredModelAlias('M', 'production', '1');
    });

    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('resolves runs:/, versions, stages, aliases and latest', async () => {
      expect(await resolveModelUri(store, `runs:/${runId}/model`)).toEqual({ runId, artifactPath: 'model' });
      expect(await resolveModelUri(store, 'models:/M/2')).toMatchObject({ runId, artifactPath: 'model2' });
      const prod = await resolveModelUri(store, 'models:/M/Production');
      expect(prod).toMatchObject({ runId, artifactPath: 'model' });
      expect(prod.version?.version).toBe('1');
      expect(await resolveModelUri(store, 'models:/M@production/MLmodel')).toMatchObject({
        runId,
        artifactPath: 'model/MLmodel',
      });
      expect((await resolveModelUri(store, 'models:/M/latest')).version?.version).toBe('2');
    });

    it('names what is missing', async () => {
      await expect(resolveModelUri(store, 'models:/M/Staging')).rejects.toThrow(
        /No version of registered model 'M' is in stage Staging/,
      );
      await expect(resolveModelUri(store, 'models:/M@nope')).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      });
      await expect(resolveModelUri(store, 'runs:/0123456789abcdef0123456789abcdef/m')).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    });
  });
});
