/**
 * SQL `LIKE` semantics shared by the SQL compiler and the in-memory evaluator: `%` any run
 * of characters, `_` one character; `LIKE` is case-sensitive (as on MLflow's servers),
 * `ILIKE` is not.
 */

/** A JavaScript regex for a LIKE pattern. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, caseInsensitive ? 'iu' : 'u');
}

/** A SQLite GLOB pattern for a LIKE pattern (GLOB is case-sensitive, unlike SQLite's LIKE). */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}
