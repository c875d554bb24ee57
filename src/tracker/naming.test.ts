import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../tracking/index.js';
import {
  formatRunName,
  nextRunName,
  parseRunName,
  validateRunName,
  walkForwardValidationName,
} from './index.js';

describe('run names', () => {
  it('formats and parses YYYYMMDD_pN_<feature_set>_<validation>_vN, feature sets with underscores included', () => {
    const name = formatRunName({
      date: '20261204',
      phase: 1,
      featureSet: 'v3_advanced',
      validation: 'wfdaily',
      version: 2,
    });
    expect(name).toBe('20261204_p1_v3_advanced_wfdaily_v2');
    expect(parseRunName(name)).toEqual({
      date: '20261204',
      phase: 1,
      featureSet: 'v3_advanced',
      validation: 'wfdaily',
      version: 2,
    });
    expect(parseRunName('20240101_p2_v2.1_opponent_efficiency_wf7d_v13')?.featureSet).toBe(
      'v2.1_opponent_efficiency',
    );
    expect(
      formatRunName({
        date: new Date('2026-12-04T23:00:00Z'),
        phase: 0,
        featureSet: 'x',
        validation: 'holdout',
        version: 1,
      }),
    ).toBe('20261204_p0_x_holdout_v1');
    expect(walkForwardValidationName(1)).toBe('wfdaily');
    expect(walkForwardValidationName(7, 60)).toBe('wf7dw60d');
  });

  it('refuses malformed names with the reason', () => {
    expect(parseRunName('gbdt-baseline')).toBeNull();
    expect(parseRunName('20261332_p1_v3_advanced_wfdaily_v1')).toBeNull();
    expect(() => validateRunName('gbdt-baseline')).toThrow(/does not follow YYYYMMDD_pN_/);
    expect(() => validateRunName('20260230_p1_v3_wfdaily_v1')).toThrow(/not a calendar day/);
    expect(() => validateRunName('20260201_p1_V3_wfdaily_v1')).toThrow(/feature set 'V3'/);
    expect(() => validateRunName('20260201_p1_v3_wfdaily_v0')).toThrow(/version 0/);
    expect(() =>
      formatRunName({ date: '20260201', phase: 1, featureSet: 'v3', validation: 'wf_daily', version: 1 }),
    ).toThrow(/one lower-case word without underscores/);
  });
});

describe('nextRunName', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pf-naming-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts versions of the same date, phase, feature set and validation in the experiment', async () => {
    const store = await openStore(`sqlite:///${path.join(dir, 't.db')}`);
    try {
      const exp = await store.createExperiment('naming');
      const parts = { date: '20261204', phase: 1, featureSet: 'v3_advanced', validation: 'wfdaily' };
      expect(await nextRunName(store, exp, parts)).toBe('20261204_p1_v3_advanced_wfdaily_v1');
      for (const runName of [
        '20261204_p1_v3_advanced_wfdaily_v1',
        '20261204_p1_v3_advanced_wfdaily_v4',
        '20261204_p1_v3_advanced_wf7d_v9', // other validation
        '20261204_p1_v3Xadvanced_wfdaily_v7', // LIKE's '_' wildcard must not count this
        '20261204_p1_v3_advanced_extra_wfdaily_v8', // other feature set
      ]) {
        await store.createRun({ experimentId: exp, runName });
      }
      const deleted = await store.createRun({
        experimentId: exp,
        runName: '20261204_p1_v3_advanced_wfdaily_v5',
      });
      await store.deleteRun(deleted.info.runId);
      expect(await nextRunName(store, exp, parts)).toBe('20261204_p1_v3_advanced_wfdaily_v6');
    } finally {
      await store.close();
    }
  });
});
