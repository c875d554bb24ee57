import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBeat, checkMax, checkMin, loadCriteria, parseCriteria } from './criteria.js';

const YAML = `criteria:
  - metric: val_mae            # bounds on a run metric
    max: 6.0
  - metric: n_bets
    min: 500
  - metric: val_mae
    beat_production_by: 0.02
    higher_is_better: false
  - artifact: validation_predictions.csv
`;

describe('criteria files', () => {
  it('reads the documented YAML format and the same in JSON', async () => {
    const expected = [
      { kind: 'bounds', metric: 'val_mae', max: 6 },
      { kind: 'bounds', metric: 'n_bets', min: 500 },
      { kind: 'beat_production', metric: 'val_mae', by: 0.02, higherIsBetter: false },
      { kind: 'artifact', artifact: 'validation_predictions.csv' },
    ];
    expect(parseCriteria(YAML, 'c.yaml').criteria).toEqual(expected);
    const dir = await mkdtemp(path.join(tmpdir(), 'criteria-'));
    try {
      const json = path.join(dir, 'c.json');
      await writeFile(
        json,
        JSON.stringify({
          criteria: [
            { metric: 'val_mae', max: 6.0 },
            { metric: 'n_bets', min: 500 },
            { metric: 'val_mae', beat_production_by: 0.02, higher_is_better: false },
            { artifact: 'validation_predictions.csv' },
          ],
        }),
      );
      const loaded = await loadCriteria(json);
      expect(loaded.source).toBe(json);
      expect(loaded.criteria).toEqual(expected);
      await expect(loadCriteria(path.join(dir, 'missing.yaml'))).rejects.toThrow(/does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['criteria:\n  - metric: val_mae\n    maxx: 6\n', /c.yaml: criteria\[0\]: unknown key 'maxx'/],
    ['criteria:\n  - metric: val_mae\n', /criteria\[0\]: metric 'val_mae' needs 'min', 'max' or both/],
    ['criteria:\n  - metric: val_mae\n    min: 7\n    max: 6\n', /min 7 above max 6/],
    ['criteria:\n  - metric: val_mae\n    beat_production_by: 0.1\n', /criteria\[0\]\.higher_is_better/],
    ['criteria:\n  - metric: val_mae\n    max: "six"\n', /criteria\[0\]\.max/],
    ['criteria:\n  - threshold: 3\n', /neither 'metric' nor 'artifact'/],
    ['criteria:\n  - artifact: ../etc/passwd\n', /may not contain '\.\.'/],
    ['criteria: []\n', /non-empty list/],
    ['rules:\n  - metric: a\n', /unknown key 'rules'/],
    ['criteria:\n  - metric: [unclosed\n', /not valid YAML or JSON at line/],
  ])('rejects %j with a clear message', (text, pattern) => {
    expect(() => parseCriteria(text, 'c.yaml')).toThrow(pattern);
  });
});

describe('comparisons', () => {
  it('tolerate float noise at the bound and nothing more', () => {
    expect(checkMax(6.000000000000001, 6)).toBe(true);
    expect(checkMax(6.0001, 6)).toBe(false);
    expect(checkMin(0.1 + 0.2, 0.3)).toBe(true);
    expect(checkMin(0.2999, 0.3)).toBe(false);
    // 5.64 - 5.62 is 0.019999999999999574 in binary floating point: still "by 0.02".
    expect(checkBeat(5.62, 5.64, 0.02, false)).toBe(true);
    expect(checkBeat(5.63, 5.64, 0.02, false)).toBe(false);
    expect(checkBeat(0.05, 0.03, 0.02, true)).toBe(true);
    expect(checkBeat(0.04, 0.03, 0.02, true)).toBe(false);
  });
});
