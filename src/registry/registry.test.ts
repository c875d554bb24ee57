import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../errors.js';
import { parseStage, resolveActor } from './registry.js';

describe('resolveActor', () => {
  it('takes the option, then PROPFLOW_ACTOR, then USER, then USERNAME', () => {
    const env = { PROPFLOW_ACTOR: 'ci', USER: 'alice', USERNAME: 'win' };
    expect(resolveActor('bob', env)).toBe('bob');
    expect(resolveActor(undefined, env)).toBe('ci');
    expect(resolveActor('  ', { USER: 'alice', USERNAME: 'win' })).toBe('alice');
    expect(resolveActor(undefined, { USERNAME: 'win' })).toBe('win');
    expect(resolveActor(undefined, {}).length).toBeGreaterThan(0);
  });
});

describe('parseStage', () => {
  it('accepts any case and names the stages when wrong', () => {
    expect(parseStage('production')).toBe('Production');
    expect(parseStage(' STAGING ')).toBe('Staging');
    expect(parseStage('none')).toBe('None');
    expect(() => parseStage('prod')).toThrow(InvalidParameterError);
    expect(() => parseStage('prod')).toThrow(
      "Stage 'prod' is not one of None, Staging, Production, Archived.",
    );
  });
});
