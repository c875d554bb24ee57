import { describe, expect, it } from 'vitest';
import { PropflowError } from '../../errors.js';
import { filterItems, sortItems } from './evaluate.js';
import {
  EXPERIMENT_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  parseFilter,
  parseOrderBy,
  parseSearchFilter,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
} from './filter.js';
import { likeToGlob, likeToRegExp } from './like.js';
import { decodePageToken, encodePageToken, paginate } from './page-token.js';
import { sqlCompare, sqlNotTagged, sqlTagCompare } from './sql.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PropflowError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('filter parser', () => {
  it('parses the recorded run filter', () => {
    const f = parseSearchFilter(
      "metrics.rmse < 1 and params.alpha = '0.5' and tags.stage = 'dev' and attributes.status = 'FINISHED'",
      RUN_GRAMMAR,
    );
    expect(f).toEqual([
      { type: 'metric', key: 'rmse', comparator: '<', value: 1 },
      { type: 'parameter', key: 'alpha', comparator: '=', value: '0.5' },
      { type: 'tag', key: 'stage', comparator: '=', value: 'dev' },
      { type: 'attribute', key: 'status', comparator: '=', value: 'FINISHED' },
    ]);
  });

  it('accepts every numeric comparator, scientific and negative numbers', () => {
    for (const op of ['=', '!=', '>', '>=', '<', '<=']) {
      expect(parseSearchFilter(`metrics.m ${op} -1.5e-3`, RUN_GRAMMAR)[0]).toMatchObject({
        comparator: op,
        value: -0.0015,
      });
    }
    expect(parseSearchFilter('metrics.m <> .5', RUN_GRAMMAR)[0]).toMatchObject({
      comparator: '!=',
      value: 0.5,
    });
  });

  it('handles quoted keys and both quote styles for values', () => {
    expect(parseSearchFilter('metrics.`val mae/fold-1` <= 3', RUN_GRAMMAR)[0]).toMatchObject({
      type: 'metric',
      key: 'val mae/fold-1',
    });
    expect(parseSearchFilter('tags."mlflow.runName" = "a b"', RUN_GRAMMAR)[0]).toMatchObject({
      type: 'tag',
      key: 'mlflow.runName',
      value: 'a b',
    });
    expect(parseSearchFilter("params.`a:b` LIKE 'x%' AND tags.t ILIKE '%Y_'", RUN_GRAMMAR)).toHaveLength(2);
    expect(parseSearchFilter("tags.t = 'it''s'", RUN_GRAMMAR)[0]?.value).toBe("it's");
    // dotted keys: only the first dot separates the prefix
    expect(parseSearchFilter("tags.mlflow.user = 'x'", RUN_GRAMMAR)[0]?.key).toBe('mlflow.user');
  });

  it('accepts singular and alternative prefixes, and AND in any case', () => {
    const f = parseSearchFilter(
      "metric.a > 0 And param.b = 'x' aNd tag.c = 'y' AND attribute.run_name = 'r' and run.status = 'RUNNING' and parameters.d = '1'",
      RUN_GRAMMAR,
    );
    expect(f.map((c) => c.type)).toEqual([
      'metric',
      'parameter',
      'tag',
      'attribute',
      'attribute',
      'parameter',
    ]);
  });

  it('parses attribute IN / NOT IN lists and numeric time attributes', () => {
    const f = parseSearchFilter(
      "attributes.run_id IN ('a', 'b') and attributes.status NOT IN ('FAILED') and attributes.created >= 5 and attributes.end_time < 10",
      RUN_GRAMMAR,
    );
    expect(f).toEqual([
      { type: 'attribute', key: 'run_id', comparator: 'IN', value: ['a', 'b'] },
      { type: 'attribute', key: 'status', comparator: 'NOT IN', value: ['FAILED'] },
      { type: 'attribute', key: 'start_time', comparator: '>=', value: 5 },
      { type: 'attribute', key: 'end_time', comparator: '<', value: 10 },
    ]);
  });

  it('parses dataset clauses', () => {
    const f = parseSearchFilter(
      "datasets.name = 'train' and datasets.digest IN ('abc') and datasets.context LIKE 'train%'",
      RUN_GRAMMAR,
    );
    expect(f.map((c) => `${c.type}.${c.key} ${c.comparator}`)).toEqual([
      'dataset.name =',
      'dataset.digest IN',
      'dataset.context LIKE',
    ]);
  });

  it('rejects OR naming the clause, as MLflow does', () => {
    expect(errorOf(() => parseFilter("metrics.loss < 0.5 OR params.alpha = '0.5'"))).toBe(
      "INVALID_PARAMETER_VALUE: Invalid clause(s) in filter string: 'OR'",
    );
    expect(errorOf(() => parseFilter("(metrics.a < 1) and params.b = 'x'"))).toMatch(
      /Invalid clause\(s\) in filter string: '\('/,
    );
  });

  it('rejects malformed filters with INVALID_PARAMETER_VALUE', () => {
    const bad = [
      'metrics.a <',
      'metrics.a < 1 and',
      "metrics.a < 1 params.b = 'x'",
      "tags.t = 'open",
      'metrics.a ! 1',
      'metrics.a ~ 1',
      "foo.bar = 'x'",
      "run_name = 'x'",
      "metrics.a < '1'",
      'params.p = 1',
      'params.p > 1',
      "metrics.m LIKE 'x'",
      "attributes.nope = 'x'",
      "attributes.start_time = 'x'",
      'attributes.status IN FINISHED',
      "attributes.status IN ('a' 'b')",
      "datasets.size = 'x'",
      'metrics. = 1',
    ];
    for (const f of bad) {
      expect(
        errorOf(() => parseSearchFilter(f, RUN_GRAMMAR)),
        f,
      ).toMatch(/^INVALID_PARAMETER_VALUE: /);
    }
  });

  it('treats an empty filter as no condition', () => {
    expect(parseFilter('')).toEqual([]);
    expect(parseFilter('   ')).toEqual([]);
    expect(parseFilter(undefined)).toEqual([]);
  });

  it('has the simpler grammars for experiments, registered models and model versions', () => {
    expect(parseSearchFilter("name LIKE 'exp-%' and tags.team = 'a'", EXPERIMENT_GRAMMAR)).toEqual([
      { type: 'attribute', key: 'name', comparator: 'LIKE', value: 'exp-%' },
      { type: 'tag', key: 'team', comparator: '=', value: 'a' },
    ]);
    expect(parseSearchFilter('creation_time > 5', EXPERIMENT_GRAMMAR)[0]?.key).toBe('creation_time');
    expect(parseSearchFilter("name ILIKE '%Props%'", REGISTERED_MODEL_GRAMMAR)[0]?.comparator).toBe('ILIKE');
    expect(errorOf(() => parseSearchFilter("run_id = 'x'", REGISTERED_MODEL_GRAMMAR))).toMatch(
      /Invalid attribute key/,
    );
    expect(errorOf(() => parseSearchFilter('metrics.a > 1', REGISTERED_MODEL_GRAMMAR))).toMatch(
      /does not support/,
    );
    const mv = parseSearchFilter(
      "name = 'm' and run_id IN ('r1','r2') and version_number >= 2 and tags.`k` != 'v'",
      MODEL_VERSION_GRAMMAR,
    );
    expect(mv.map((c) => `${c.key} ${c.comparator}`)).toEqual([
      'name =',
      'run_id IN',
      'version_number >=',
      'k !=',
    ]);
    expect(errorOf(() => parseSearchFilter("name IN ('a')", MODEL_VERSION_GRAMMAR))).toMatch(
      /Invalid comparator/,
    );
  });
});

describe('order_by', () => {
  it('parses keys, quoted keys and directions', () => {
    expect(
      parseOrderBy(
        ['metrics.rmse DESC', 'attributes.start_time ASC', 'params.`a b`', 'tags.t desc'],
        RUN_GRAMMAR,
      ),
    ).toEqual([
      { type: 'metric', key: 'rmse', ascending: false },
      { type: 'attribute', key: 'start_time', ascending: true },
      { type: 'parameter', key: 'a b', ascending: true },
      { type: 'tag', key: 't', ascending: false },
    ]);
    expect(parseOrderBy(['name DESC'], EXPERIMENT_GRAMMAR)).toEqual([
      { type: 'attribute', key: 'name', ascending: false },
    ]);
    expect(parseOrderBy(['start_time DESC'], RUN_GRAMMAR)[0]?.key).toBe('start_time');
  });

  it('rejects unknown keys and bad directions', () => {
    expect(errorOf(() => parseOrderBy(['metrics.a UP'], RUN_GRAMMAR))).toMatch(/Invalid order_by clause/);
    expect(errorOf(() => parseOrderBy(['attributes.bogus'], RUN_GRAMMAR))).toMatch(/cannot order runs/);
    expect(errorOf(() => parseOrderBy(['datasets.name'], RUN_GRAMMAR))).toMatch(/cannot order/);
    expect(errorOf(() => parseOrderBy(['metrics.a DESC extra'], RUN_GRAMMAR))).toMatch(/Invalid order_by/);
  });
});

describe('LIKE, evaluation, SQL and page tokens', () => {
  it('translates LIKE patterns', () => {
    expect(likeToRegExp('a%b_', false).test('aXYZbc')).toBe(true);
    expect(likeToRegExp('a%', false).test('Abc')).toBe(false);
    expect(likeToRegExp('a%', true).test('Abc')).toBe(true);
    expect(likeToRegExp('a.b', false).test('axb')).toBe(false);
    expect(likeToGlob('50%_*?[x')).toBe('50*?[*][?][[]x');
  });

  it('evaluates comparisons in memory, missing values never matching', () => {
    const items = [
      { id: 'a', m: 1, t: 'Dev' },
      { id: 'b', m: 3, t: 'prod' },
      { id: 'c', t: 'dev' },
    ];
    const get = (x: (typeof items)[number], type: string, key: string) =>
      type === 'metric' ? (key === 'm' ? x.m : undefined) : type === 'tag' ? x.t : x.id;
    const f = parseSearchFilter("metrics.m >= 1 and tags.t ILIKE 'DEV'", RUN_GRAMMAR);
    expect(filterItems(items, f, get).map((x) => x.id)).toEqual(['a']);
    const f2 = parseSearchFilter("tags.t LIKE 'd%'", RUN_GRAMMAR);
    expect(filterItems(items, f2, get).map((x) => x.id)).toEqual(['c']);
    const sorted = sortItems(items, parseOrderBy(['metrics.m DESC'], RUN_GRAMMAR), get, (x, y) =>
      x.id.localeCompare(y.id),
    );
    expect(sorted.map((x) => x.id)).toEqual(['b', 'a', 'c']);
  });

  it('compiles comparisons to SQL with bound values', () => {
    const [c] = parseSearchFilter("attributes.run_id IN ('a','b')", RUN_GRAMMAR);
    expect(sqlCompare('r.run_uuid', c!)).toEqual({ sql: 'r.run_uuid IN (?, ?)', params: ['a', 'b'] });
    const [d] = parseSearchFilter("tags.t ILIKE 'A%'", RUN_GRAMMAR);
    expect(sqlCompare('t.value', d!)).toEqual({ sql: 'lower(t.value) GLOB ?', params: ['a*'] });
    // A tag comparison, != included, only matches rows that carry the tag.
    const [e] = parseSearchFilter("tags.team != 'a'", REGISTERED_MODEL_GRAMMAR);
    expect(sqlTagCompare('registered_model_tags', 't.name = m.name', e!)).toEqual({
      sql: 'EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.name = m.name AND t.key = ? AND t.value != ?)',
      params: ['team', 'a'],
    });
    expect(sqlNotTagged('registered_model_tags', 'p.name = m.name', 'k', 'true')).toEqual({
      sql: 'NOT EXISTS (SELECT 1 FROM registered_model_tags p WHERE p.name = m.name AND p.key = ? AND p.value = ?)',
      params: ['k', 'true'],
    });
  });

  it('encodes page tokens as MLflow does and rejects garbage', () => {
    expect(encodePageToken(1)).toBe('eyJvZmZzZXQiOjF9');
    expect(decodePageToken('eyJvZmZzZXQiOiAxfQ==')).toBe(1); // as recorded from MLflow
    expect(decodePageToken(undefined)).toBe(0);
    expect(errorOf(() => decodePageToken('not-a-token'))).toMatch(
      /^INVALID_PARAMETER_VALUE: Invalid page token/,
    );
    const p1 = paginate([1, 2, 3], 2, undefined);
    expect(p1.items).toEqual([1, 2]);
    expect(paginate([1, 2, 3], 2, p1.nextPageToken)).toEqual({ items: [3] });
    expect(paginate([1, 2], 2, undefined)).toEqual({ items: [1, 2] });
  });
});
