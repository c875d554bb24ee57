import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipelineConfig, resolveConfig } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pf-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pipeline configs', () => {
  it('fills defaults, reads YAML and JSON, and lets flags override file keys', () => {
    const yaml = path.join(dir, 'wf.yaml');
    writeFileSync(
      yaml,
      'pipeline: walk-forward\nmodel:\n  n_estimators: 50\nvalidation:\n  refit_every_days: 7\n',
    );
    const c = loadPipelineConfig('walk-forward', yaml, { 'validation.refit_every_days': 3, seed: 9 });
    expect(c.pipeline).toBe('walk-forward');
    expect(c.seed).toBe(9);
    expect(c.validation.refit_every_days).toBe(3);
    expect(c.pipeline === 'walk-forward' && c.model.n_estimators).toBe(50);
    expect(c.features.set).toBe('v3_advanced');
    const json = path.join(dir, 'ts.json');
    writeFileSync(json, JSON.stringify({ two_stage: { folds: 2 } }));
    const t = loadPipelineConfig('two-stage', json);
    expect(t.pipeline === 'two-stage' && t.two_stage.folds).toBe(2);
  });

  it('names the file, the key and what was expected', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'model:\n  n_estimaters: 50\nvalidation:\n  refit_every_days: zero\nfeatures:\n  set: v9\n',
    );
    let message = '';
    try {
      loadPipelineConfig('walk-forward', bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${bad}: model: unknown key 'n_estimaters'`);
    expect(message).toMatch(/bad\.yaml: validation\.refit_every_days: .*number/);
    expect(message).toMatch(/features\.set: expected one of v1_baseline/);
    expect(() => resolveConfig('two-stage', { pipeline: 'validate' }, 'x.yaml')).toThrow(
      /x\.yaml: pipeline: the file is for 'validate'/,
    );
    writeFileSync(bad, 'model: [1, 2');
    expect(() => loadPipelineConfig('walk-forward', bad)).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => loadPipelineConfig('walk-forward', path.join(dir, 'missing.yaml'))).toThrow(
      /cannot read config file/,
    );
  });

  it('the example configs in configs/ are valid', () => {
    const root = path.resolve(import.meta.dirname, '..', '..', 'configs');
    expect(loadPipelineConfig('walk-forward', path.join(root, 'walk-forward.yaml')).pipeline).toBe(
      'walk-forward',
    );
    expect(loadPipelineConfig('two-stage', path.join(root, 'two-stage.yaml')).pipeline).toBe('two-stage');
    expect(loadPipelineConfig('validate', path.join(root, 'validate.yaml')).pipeline).toBe('validate');
  });
});
