/**
 * Compiling parsed comparisons to SQL (SQLite dialect) with bound parameters. A store maps
 * each entity type and key to a column or a correlated sub-query; this module writes the
 * comparison itself, so `LIKE` stays case-sensitive (GLOB) and `ILIKE` case-insensitive.
 */
import type { Comparison } from './filter.js';
import { likeToGlob } from './like.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** `<column> <comparator> ?` for one comparison. */
export function sqlCompare(column: string, c: Comparison): SqlFragment {
  const v = c.value;
  switch (c.comparator) {
    case 'LIKE':
      return { sql: `${column} GLOB ?`, params: [likeToGlob(String(v))] };
    case 'ILIKE':
      return { sql: `lower(${column}) GLOB ?`, params: [likeToGlob(String(v).toLowerCase())] };
    case 'IN':
    case 'NOT IN': {
      const list = Array.isArray(v) ? v : [String(v)];
      if (list.length === 0) return { sql: c.comparator === 'IN' ? '0' : '1', params: [] };
      return { sql: `${column} ${c.comparator} (${list.map(() => '?').join(', ')})`, params: [...list] };
    }
    default:
      return { sql: `${column} ${c.comparator} ?`, params: [v] };
  }
}

/** AND-join fragments (an empty list is `1`, always true). */
export function sqlAnd(fragments: readonly SqlFragment[]): SqlFragment {
  if (fragments.length === 0) return { sql: '1', params: [] };
  return {
    sql: fragments.map((f) => `(${f.sql})`).join(' AND '),
    params: fragments.flatMap((f) => f.params),
  };
}

/**
 * A tag (or param) comparison: `EXISTS` a row in `tagTable` (alias `t`), joined to the searched
 * row by `join` (e.g. `t.name = m.name`), whose key is `c.key` and whose value satisfies `c`.
 * As in MLflow, rows without the tag never match, whatever the comparator (`!=` included).
 */
export function sqlTagCompare(tagTable: string, join: string, c: Comparison): SqlFragment {
  const cmp = sqlCompare('t.value', c);
  return {
    sql: `EXISTS (SELECT 1 FROM ${tagTable} t WHERE ${join} AND t.key = ? AND ${cmp.sql})`,
    params: [c.key, ...cmp.params],
  };
}

/**
 * `NOT EXISTS` a row in `tagTable` (alias `p`) holding tag `key` with exactly `value` for the
 * row joined by `join` (e.g. `p.name = m.name`): the SQL form of "not a prompt" (`registry.ts`).
 */
export function sqlNotTagged(tagTable: string, join: string, key: string, value: string): SqlFragment {
  return {
    sql: `NOT EXISTS (SELECT 1 FROM ${tagTable} p WHERE ${join} AND p.key = ? AND p.value = ?)`,
    params: [key, value],
  };
}
