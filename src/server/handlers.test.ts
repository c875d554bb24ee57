import { describe, expect, it } from 'vitest';
import { pythonJson } from './handlers.js';

describe('server helpers', () => {
  it('writes JSON as Python json.dumps does (clients parse and compare these tag values)', () => {
    const value = [{ name: 'é\u2028x"', version: 1, f: 1.5, n: null, b: true, nested: { a: [] } }];
    expect(pythonJson(value)).toBe(
      '[{"name": "\\u00e9\\u2028x\\"", "version": 1, "f": 1.5, "n": null, "b": true, "nested": {"a": []}}]',
    );
  });
});
