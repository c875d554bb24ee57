/**
 * In-memory evaluation of parsed filters and orderings, for entities already loaded into
 * memory (logged models, small lists on a remote store). The SQLite store compiles the same
 * comparisons to SQL instead (see `sql.ts`).
 */
import type { Comparison, EntityType, OrderClause } from './filter.js';
import { likeToRegExp } from './like.js';

/** How to read one entity: a value by entity type and key, `undefined` when absent. */
export type Accessor<T> = (item: T, type: EntityType, key: string) => string | number | undefined;

/** Does one comparison hold for a value? A missing value never matches. */
export function compareValue(actual: string | number | undefined, c: Comparison): boolean {
  if (actual === undefined) return false;
  const v = c.value;
  switch (c.comparator) {
    case '=':
      return actual === v || (typeof v === 'number' && Number(actual) === v);
    case '!=':
      return typeof v === 'number' ? Number(actual) !== v : actual !== v;
    case '>':
      return Number(actual) > Number(v);
    case '>=':
      return Number(actual) >= Number(v);
    case '<':
      return Number(actual) < Number(v);
    case '<=':
      return Number(actual) <= Number(v);
    case 'LIKE':
      return likeToRegExp(String(v), false).test(String(actual));
    case 'ILIKE':
      return likeToRegExp(String(v), true).test(String(actual));
    case 'IN':
      return Array.isArray(v) && v.includes(String(actual));
    case 'NOT IN':
      return Array.isArray(v) && !v.includes(String(actual));
  }
}

/** Keep the items for which every comparison holds. */
export function filterItems<T>(
  items: readonly T[],
  comparisons: readonly Comparison[],
  get: Accessor<T>,
): T[] {
  if (comparisons.length === 0) return [...items];
  return items.filter((item) => comparisons.every((c) => compareValue(get(item, c.type, c.key), c)));
}

/** Sort by the clauses (missing values last in either direction), then by `tieBreak`. */
export function sortItems<T>(
  items: readonly T[],
  clauses: readonly OrderClause[],
  get: Accessor<T>,
  tieBreak: (a: T, b: T) => number,
): T[] {
  return [...items].sort((a, b) => {
    for (const c of clauses) {
      const x = get(a, c.type, c.key);
      const y = get(b, c.type, c.key);
      if (x === undefined && y === undefined) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const cmp =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x) < String(y)
            ? -1
            : String(x) > String(y)
              ? 1
              : 0;
      if (cmp !== 0) return c.ascending ? cmp : -cmp;
    }
    return tieBreak(a, b);
  });
}
