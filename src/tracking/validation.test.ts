import { describe, expect, it } from 'vitest';
import { PropflowError } from '../errors.js';
import {
  canonicalStage,
  LIMITS,
  normalizePosixPath,
  paramChangedError,
  validateAliasName,
  validateBatchLimits,
  validateKey,
  validateMetric,
  validateModelVersion,
  validateParam,
  validateParamKeysUnique,
  validateTag,
} from './validation.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PropflowError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'OK';
}

describe('validation', () => {
  it('normalizes paths like posixpath.normpath', () => {
    expect(normalizePosixPath('../x')).toBe('../x');
    expect(normalizePosixPath('a/../b')).toBe('b');
    expect(normalizePosixPath('a//b/./c')).toBe('a/b/c');
    expect(normalizePosixPath('/a/..')).toBe('/');
    expect(normalizePosixPath('')).toBe('.');
    expect(normalizePosixPath('a/')).toBe('a');
  });

  it('rejects names that resolve outside themselves with the recorded message', () => {
    expect(codeOf(() => validateKey('metric', '../x'))).toBe(
      "INVALID_PARAMETER_VALUE: Invalid metric name: '../x'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../x'",
    );
    expect(codeOf(() => validateKey('tag', '/abs'))).toMatch(/^INVALID_PARAMETER_VALUE: Invalid tag name/);
    expect(codeOf(() => validateKey('parameter', 'a/./b'))).toMatch(/would resolve to 'a\/b'/);
    expect(codeOf(() => validateKey('metric', '.'))).toMatch(/INVALID_PARAMETER_VALUE/);
  });

  it('accepts the key alphabet and rejects other characters', () => {
    expect(validateKey('metric', 'val/mae fold-1.x:y')).toBe('val/mae fold-1.x:y');
    expect(codeOf(() => validateKey('metric', 'a$b'))).toMatch(/Names may only contain alphanumerics/);
    expect(codeOf(() => validateKey('metric', undefined))).toMatch(/Metric name cannot be None/);
  });

  it('limits keys to 250 characters', () => {
    expect(validateKey('tag', 'k'.repeat(250))).toHaveLength(250);
    expect(codeOf(() => validateKey('tag', 'k'.repeat(251)))).toMatch(/exceeded length limit of 250/);
  });

  it('truncates long param and tag values instead of rejecting them', () => {
    expect(validateParam({ key: 'p', value: 'x'.repeat(7000) }).value).toHaveLength(LIMITS.paramValueLength);
    expect(validateTag({ key: 't', value: 'y'.repeat(9000) }).value).toHaveLength(LIMITS.tagValueLength);
    expect(validateTag({ key: 't', value: 'short' }).value).toBe('short');
  });

  it('requires a metric value and checks timestamp and step', () => {
    expect(codeOf(() => validateMetric({ key: 'm', timestamp: 1, step: 0 }))).toBe(
      "INVALID_PARAMETER_VALUE: Missing value for required parameter 'value'. See the API docs for more information about request parameters.",
    );
    expect(codeOf(() => validateMetric({ key: 'm', value: 1, timestamp: -1, step: 0 }))).toMatch(
      /invalid timestamp/,
    );
    expect(codeOf(() => validateMetric({ key: 'm', value: 1, timestamp: 1, step: 1.5 }))).toMatch(
      /invalid step/,
    );
    expect(validateMetric({ key: 'm', value: Number.NaN, timestamp: 5, step: 2 }).value).toBeNaN();
  });

  it('enforces the batch limits with the recorded message', () => {
    expect(codeOf(() => validateBatchLimits(0, 101, 0))).toBe(
      'INVALID_PARAMETER_VALUE: A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.',
    );
    expect(codeOf(() => validateBatchLimits(0, 0, 101))).toMatch(/at most 100 tags/);
    expect(codeOf(() => validateBatchLimits(1001, 0, 0))).toMatch(/at most 1000 metrics/);
    expect(codeOf(() => validateBatchLimits(950, 50, 1))).toMatch(/at most 1000 metrics, params, and tags/);
    expect(codeOf(() => validateBatchLimits(900, 50, 50))).toBe('OK');
  });

  it('names duplicate param keys in one batch and changed params', () => {
    expect(
      codeOf(() =>
        validateParamKeysUnique([
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ]),
      ),
    ).toMatch(/Duplicate parameter keys have been submitted: \['a'\]/);
    expect(paramChangedError('r1', 'p', '1', '2').message).toBe(
      "Changing param values is not allowed. Param with key='p' was already logged with value='1' for run ID='r1'. Attempted logging new value '2'.",
    );
  });

  it('reserves latest and v<digits> as alias names', () => {
    expect(codeOf(() => validateAliasName('latest'))).toBe(
      "INVALID_PARAMETER_VALUE: 'latest' alias name (case insensitive) is reserved.",
    );
    expect(codeOf(() => validateAliasName('LaTeSt'))).toMatch(/reserved/);
    expect(codeOf(() => validateAliasName('v12'))).toBe(
      "INVALID_PARAMETER_VALUE: Version alias name 'v12' is reserved.",
    );
    expect(codeOf(() => validateAliasName('V3'))).toMatch(/reserved/);
    expect(codeOf(() => validateAliasName('has space'))).toMatch(/Invalid alias name/);
    expect(validateAliasName('v2-candidate')).toBe('v2-candidate');
    expect(validateAliasName('champion')).toBe('champion');
  });

  it('canonicalizes stages and rejects unknown ones with the recorded message', () => {
    expect(canonicalStage('production')).toBe('Production');
    expect(canonicalStage('None')).toBe('None');
    expect(codeOf(() => canonicalStage('Bogus'))).toBe(
      'INVALID_PARAMETER_VALUE: Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
    );
  });

  it('parses model versions as integers', () => {
    expect(validateModelVersion('3')).toBe('3');
    expect(codeOf(() => validateModelVersion('x'))).toMatch(/Model version must be an integer/);
  });
});
