/**
 * MLflow's search filter grammar: comparisons joined by AND (`OR` and parentheses are
 * rejected as MLflow does), keys optionally in backticks or double quotes, values in single
 * or double quotes, numbers, and `( 'a', 'b' )` lists for `IN` / `NOT IN`.
 *
 *   metrics.rmse < 1 and params.alpha = '0.5' and tags.`my key` LIKE '%x%'
 *   attributes.status = 'FINISHED' and attributes.run_id IN ('a', 'b') and datasets.name = 'train'
 *
 * `parseFilter` tokenizes and parses; each grammar (runs, experiments, registered models,
 * model versions, logged models) then checks entity types, keys, comparators and value types.
 */
import { InvalidParameterError } from '../../errors.js';

export type EntityType = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Comparison {
  type: EntityType;
  key: string;
  comparator: Comparator;
  value: string | number | string[];
}

type TokenKind = 'ident' | 'backtick' | 'dquote' | 'squote' | 'number' | 'op' | 'word' | '(' | ')' | ',';
interface Token {
  kind: TokenKind;
  text: string;
  /** Position in the filter string, for messages. */
  pos: number;
  /** An identifier ending in `.` directly followed by a quoted key (`metrics.\`a b\``). */
  glued?: boolean;
}

const WORDS = new Set(['AND', 'OR', 'LIKE', 'ILIKE', 'IN', 'NOT', 'IS', 'NULL']);

function invalid(filter: string, why: string): InvalidParameterError {
  return new InvalidParameterError(`Invalid filter '${filter}': ${why}`);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = filter.length;
  while (i < n) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      let text = '';
      i++;
      let closed = false;
      while (i < n) {
        const d = filter[i]!;
        if (d === c) {
          // A doubled quote inside a quoted string stands for the quote itself (SQL style).
          if (filter[i + 1] === c && c !== '`') {
            text += c;
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && (filter[i + 1] === c || filter[i + 1] === '\\')) {
          text += filter[i + 1];
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      if (!closed) throw invalid(filter, `unterminated quote ${c} starting at position ${start}.`);
      const kind: TokenKind = c === "'" ? 'squote' : c === '"' ? 'dquote' : 'backtick';
      const prev = tokens[tokens.length - 1];
      const glued =
        prev?.kind === 'ident' && prev.text.endsWith('.') && prev.pos + prev.text.length === start;
      tokens.push({ kind, text, pos: start, glued });
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, pos: start });
      i++;
      continue;
    }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = filter.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=' || two === '<>' || two === '==') {
        tokens.push({ kind: 'op', text: two === '<>' ? '!=' : two === '==' ? '=' : two, pos: start });
        i += 2;
      } else if (c === '!') {
        throw invalid(filter, `unexpected '!' at position ${start}; use '!='.`);
      } else {
        tokens.push({ kind: 'op', text: c, pos: start });
        i++;
      }
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(filter.slice(i));
    if (num && (/[\d.]/.test(c) || c === '-' || c === '+')) {
      const after = filter[i + num[0].length];
      if (after === undefined || !/[\w.]/.test(after)) {
        tokens.push({ kind: 'number', text: num[0], pos: start });
        i += num[0].length;
        continue;
      }
    }
    if (/[\w.]/.test(c)) {
      while (i < n && /[\w.]/.test(filter[i]!)) i++;
      const text = filter.slice(start, i);
      if (WORDS.has(text.toUpperCase())) tokens.push({ kind: 'word', text: text.toUpperCase(), pos: start });
      else tokens.push({ kind: 'ident', text, pos: start });
      continue;
    }
    throw invalid(filter, `unexpected character '${c}' at position ${start}.`);
  }
  return tokens;
}

const ENTITY_PREFIXES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'parameter',
  params: 'parameter',
  parameter: 'parameter',
  parameters: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** One parsed `prefix.key` identifier; `type` is undefined when there is no prefix. */
interface Identifier {
  type: EntityType | undefined;
  key: string;
  raw: string;
}

class Parser {
  private i = 0;
  constructor(
    private readonly filter: string,
    private readonly tokens: Token[],
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(): Token | undefined {
    return this.tokens[this.i++];
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }

  identifier(): Identifier {
    const t = this.next();
    if (!t) throw invalid(this.filter, 'expected an identifier such as metrics.rmse at the end.');
    if (t.kind === 'ident') {
      if (t.text.endsWith('.')) {
        const q = this.peek();
        if (q?.glued && (q.kind === 'backtick' || q.kind === 'dquote')) {
          this.i++;
          const prefix = t.text.slice(0, -1);
          return { type: this.prefix(prefix, `${prefix}.${q.text}`), key: q.text, raw: `${t.text}${q.text}` };
        }
        throw invalid(this.filter, `identifier '${t.text}' has no key after the dot.`);
      }
      const dot = t.text.indexOf('.');
      if (dot < 0) return { type: undefined, key: t.text, raw: t.text };
      const prefix = t.text.slice(0, dot);
      return { type: this.prefix(prefix, t.text), key: t.text.slice(dot + 1), raw: t.text };
    }
    if (t.kind === 'backtick' || t.kind === 'dquote') return { type: undefined, key: t.text, raw: t.text };
    throw invalid(this.filter, `expected an identifier at position ${t.pos}, found '${t.text}'.`);
  }

  private prefix(prefix: string, raw: string): EntityType {
    const type = ENTITY_PREFIXES[prefix.toLowerCase()];
    if (!type) {
      throw new InvalidParameterError(
        `Invalid entity type '${prefix}' in '${raw}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset'] (plural forms such as 'metrics.' work too).`,
      );
    }
    return type;
  }

  comparator(): Comparator {
    const t = this.next();
    if (!t) throw invalid(this.filter, 'expected a comparison operator at the end.');
    if (t.kind === 'op') return t.text as Comparator;
    if (t.kind === 'word') {
      if (t.text === 'LIKE' || t.text === 'ILIKE' || t.text === 'IN') return t.text;
      if (t.text === 'NOT' && this.peek()?.kind === 'word' && this.peek()?.text === 'IN') {
        this.i++;
        return 'NOT IN';
      }
    }
    throw invalid(
      this.filter,
      `expected a comparison operator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) at position ${t.pos}, found '${t.text}'.`,
    );
  }

  value(comparator: Comparator): string | number | string[] {
    const t = this.next();
    if (!t) throw invalid(this.filter, `expected a value after '${comparator}'.`);
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (t.kind !== '(') {
        throw invalid(
          this.filter,
          `${comparator} needs a parenthesized list of quoted strings, e.g. ('a', 'b').`,
        );
      }
      const items: string[] = [];
      for (;;) {
        const v = this.next();
        if (!v || (v.kind !== 'squote' && v.kind !== 'dquote')) {
          throw invalid(this.filter, `${comparator} list items must be quoted strings, e.g. ('a', 'b').`);
        }
        items.push(v.text);
        const sep = this.next();
        if (sep?.kind === ')') break;
        if (sep?.kind !== ',') throw invalid(this.filter, `${comparator} list is not closed with ')'.`);
      }
      return items;
    }
    if (t.kind === 'squote' || t.kind === 'dquote') return t.text;
    if (t.kind === 'number') return Number(t.text);
    throw invalid(
      this.filter,
      `expected a quoted string or a number at position ${t.pos}, found '${t.text}'.`,
    );
  }
}

/** A comparison before the grammar resolved its entity type (`type` undefined when unprefixed). */
export interface RawComparison {
  type: EntityType | undefined;
  key: string;
  raw: string;
  comparator: Comparator;
  value: string | number | string[];
}

/** Tokenize and parse a filter into AND-joined comparisons; an empty filter gives `[]`. */
export function parseFilter(filter: string | undefined): RawComparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  // MLflow rejects every top-level token that is neither a comparison nor AND, naming it.
  const invalidClauses = tokens.filter((t) => t.kind === 'word' && t.text === 'OR');
  if (invalidClauses.length > 0) {
    throw new InvalidParameterError(
      `Invalid clause(s) in filter string: ${invalidClauses.map((t) => `'${t.text}'`).join(', ')}`,
    );
  }
  const parser = new Parser(filter, tokens);
  const out: RawComparison[] = [];
  for (;;) {
    const first = parser.peek();
    if (first?.kind === '(' || first?.kind === ')') {
      throw new InvalidParameterError(
        `Invalid clause(s) in filter string: '${first.text}'. Parentheses are not supported; join comparisons with AND.`,
      );
    }
    const id = parser.identifier();
    const comparator = parser.comparator();
    const value = parser.value(comparator);
    out.push({ type: id.type, key: id.key, raw: id.raw, comparator, value });
    if (parser.done()) break;
    const sep = parser.next()!;
    if (sep.kind !== 'word' || sep.text !== 'AND') {
      throw new InvalidParameterError(
        `Invalid clause(s) in filter string: '${sep.text}'. Join comparisons with AND.`,
      );
    }
    if (parser.done()) throw invalid(filter, 'AND at the end is not followed by a comparison.');
  }
  return out;
}

// ── grammars ─────────────────────────────────────────────────────────────────

const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const STRING_SET_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

interface KeySpec {
  kind: 'string' | 'numeric';
  comparators: readonly Comparator[];
  /** The canonical key (aliases such as `created` → `start_time`). */
  canonical: string;
}

export interface Grammar {
  /** What is searched, for messages: "runs", "experiments", … */
  what: string;
  /** Entity types allowed, besides attributes. */
  entities: ReadonlySet<EntityType>;
  /** Attribute keys (also used for unprefixed identifiers when `bareIsAttribute`). */
  attributes: Readonly<Record<string, KeySpec>>;
  bareIsAttribute: boolean;
  datasetKeys?: Readonly<Record<string, KeySpec>>;
}

const str = (canonical: string, comparators = STRING_SET_COMPARATORS): KeySpec => ({
  kind: 'string',
  comparators,
  canonical,
});
const num = (canonical: string): KeySpec => ({
  kind: 'numeric',
  comparators: NUMERIC_COMPARATORS,
  canonical,
});

export const RUN_GRAMMAR: Grammar = {
  what: 'runs',
  entities: new Set<EntityType>(['metric', 'parameter', 'tag', 'dataset']),
  attributes: {
    run_id: str('run_id'),
    run_name: str('run_name'),
    'run name': str('run_name'),
    'Run name': str('run_name'),
    'Run Name': str('run_name'),
    status: str('status'),
    user_id: str('user_id'),
    artifact_uri: str('artifact_uri'),
    start_time: num('start_time'),
    end_time: num('end_time'),
    created: num('start_time'),
    Created: num('start_time'),
  },
  bareIsAttribute: false,
  datasetKeys: { name: str('name'), digest: str('digest'), context: str('context') },
};

export const EXPERIMENT_GRAMMAR: Grammar = {
  what: 'experiments',
  entities: new Set<EntityType>(['tag']),
  attributes: {
    name: str('name', STRING_COMPARATORS),
    experiment_id: str('experiment_id', ['=', '!=', 'IN', 'NOT IN']),
    creation_time: num('creation_time'),
    last_update_time: num('last_update_time'),
  },
  bareIsAttribute: true,
};

export const REGISTERED_MODEL_GRAMMAR: Grammar = {
  what: 'registered models',
  entities: new Set<EntityType>(['tag']),
  attributes: { name: str('name', STRING_COMPARATORS) },
  bareIsAttribute: true,
};

export const MODEL_VERSION_GRAMMAR: Grammar = {
  what: 'model versions',
  entities: new Set<EntityType>(['tag']),
  attributes: {
    name: str('name', STRING_COMPARATORS),
    run_id: str('run_id', ['=', '!=', 'IN', 'NOT IN']),
    source_path: str('source_path', STRING_COMPARATORS),
    version_number: num('version_number'),
    version: num('version_number'),
    current_stage: str('current_stage', ['=', '!=', 'IN', 'NOT IN']),
  },
  bareIsAttribute: true,
};

export const LOGGED_MODEL_GRAMMAR: Grammar = {
  what: 'logged models',
  entities: new Set<EntityType>(['tag', 'parameter', 'metric']),
  attributes: {
    model_id: str('model_id'),
    name: str('name'),
    status: str('status'),
    source_run_id: str('source_run_id'),
    model_type: str('model_type'),
    creation_timestamp: num('creation_timestamp'),
    creation_time: num('creation_timestamp'),
    last_updated_timestamp: num('last_updated_timestamp'),
  },
  bareIsAttribute: true,
};

function describeValue(v: string | number | string[]): string {
  return Array.isArray(v)
    ? `(${v.map((x) => `'${x}'`).join(', ')})`
    : typeof v === 'string'
      ? `'${v}'`
      : String(v);
}

/** Parse a filter and check it against a grammar; keys come back canonical. */
export function parseSearchFilter(filter: string | undefined, grammar: Grammar): Comparison[] {
  return parseFilter(filter).map((c) => checkComparison(c, grammar));
}

function checkComparison(c: RawComparison, g: Grammar): Comparison {
  let type = c.type;
  if (type === undefined) {
    if (!g.bareIsAttribute) {
      throw new InvalidParameterError(
        `Invalid identifier '${c.raw}'. Columns should be specified as 'attributes.<key>', 'metrics.<key>', 'tags.<key>', 'datasets.<key>', or 'params.<key>'.`,
      );
    }
    type = 'attribute';
  }
  if (type === 'attribute' || type === 'dataset') {
    const specs = type === 'attribute' ? g.attributes : g.datasetKeys;
    if (!specs || (type === 'dataset' && !g.entities.has('dataset'))) {
      throw new InvalidParameterError(`Searching ${g.what} does not support '${c.raw}'.`);
    }
    const spec = Object.hasOwn(specs, c.key) ? specs[c.key] : undefined;
    if (!spec) {
      const valid = [...new Set(Object.values(specs).map((s) => s.canonical))];
      throw new InvalidParameterError(
        `Invalid ${type} key '${c.key}' specified. Valid keys are '[${valid.map((k) => `'${k}'`).join(', ')}]'`,
      );
    }
    if (!spec.comparators.includes(c.comparator)) {
      throw new InvalidParameterError(
        `Invalid comparator '${c.comparator}' for ${type} '${c.key}' when searching ${g.what}. Use one of ${spec.comparators.join(', ')}.`,
      );
    }
    if (spec.kind === 'numeric') {
      if (typeof c.value !== 'number') {
        throw new InvalidParameterError(
          `Expected numeric value type for ${type} '${c.key}'. Found ${describeValue(c.value)}; write a number without quotes, e.g. ${c.raw} > 1700000000000.`,
        );
      }
    } else if (typeof c.value === 'number') {
      throw new InvalidParameterError(
        `Expected a quoted string value for ${type} '${c.key}' (e.g. 'my-value'). Got value ${c.value}`,
      );
    }
    return { type, key: spec.canonical, comparator: c.comparator, value: c.value };
  }
  if (!g.entities.has(type)) {
    throw new InvalidParameterError(`Searching ${g.what} does not support '${c.raw}'.`);
  }
  if (type === 'metric') {
    if (!NUMERIC_COMPARATORS.includes(c.comparator)) {
      throw new InvalidParameterError(
        `Invalid comparator '${c.comparator}' not one of '[${NUMERIC_COMPARATORS.map((x) => `'${x}'`).join(', ')}]' for metric '${c.key}'.`,
      );
    }
    if (typeof c.value !== 'number') {
      throw new InvalidParameterError(
        `Expected numeric value type for metric. Found ${describeValue(c.value)}; write metrics.${c.key} ${c.comparator} 0.5 without quotes.`,
      );
    }
    return { type, key: c.key, comparator: c.comparator, value: c.value };
  }
  // params and tags: string comparisons
  if (!STRING_COMPARATORS.includes(c.comparator)) {
    throw new InvalidParameterError(
      `Invalid comparator '${c.comparator}' not one of '[${STRING_COMPARATORS.map((x) => `'${x}'`).join(', ')}]' for ${type} '${c.key}'.`,
    );
  }
  if (typeof c.value !== 'string') {
    throw new InvalidParameterError(
      `Expected a quoted string value for ${type === 'parameter' ? 'param' : 'tag'} '${c.key}' (e.g. 'my-value'). Got value ${describeValue(c.value)}`,
    );
  }
  return { type, key: c.key, comparator: c.comparator, value: c.value };
}

// ── order_by ─────────────────────────────────────────────────────────────────

export interface OrderClause {
  type: EntityType;
  key: string;
  ascending: boolean;
}

/** Keys each search may be ordered by: alias → canonical column. */
const ORDER_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  runs: {
    start_time: 'start_time',
    created: 'start_time',
    Created: 'start_time',
    end_time: 'end_time',
    run_name: 'run_name',
    'run name': 'run_name',
    'Run name': 'run_name',
    'Run Name': 'run_name',
    run_id: 'run_id',
    status: 'status',
    user_id: 'user_id',
    artifact_uri: 'artifact_uri',
    experiment_id: 'experiment_id',
  },
  experiments: {
    name: 'name',
    experiment_id: 'experiment_id',
    creation_time: 'creation_time',
    last_update_time: 'last_update_time',
  },
  'registered models': {
    name: 'name',
    creation_timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
    timestamp: 'last_updated_timestamp',
  },
  'model versions': {
    name: 'name',
    version_number: 'version_number',
    version: 'version_number',
    creation_timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
    timestamp: 'last_updated_timestamp',
    run_id: 'run_id',
    current_stage: 'current_stage',
  },
  'logged models': {
    name: 'name',
    model_id: 'model_id',
    creation_timestamp: 'creation_timestamp',
    creation_time: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
};

/** Parse `order_by` clauses (`metrics.rmse DESC`, `` tags.`a b` ``, `name ASC`) for a grammar. */
export function parseOrderBy(orderBy: readonly string[] | undefined, grammar: Grammar): OrderClause[] {
  const keys = ORDER_KEYS[grammar.what] ?? {};
  return (orderBy ?? [])
    .filter((o) => o.trim() !== '')
    .map((clause) => {
      const tokens = tokenize(clause);
      const parser = new Parser(clause, tokens);
      const id = parser.identifier();
      let ascending = true;
      const dir = parser.next();
      if (dir) {
        const d = dir.text.toUpperCase();
        if (
          (dir.kind !== 'ident' && dir.kind !== 'word') ||
          (d !== 'ASC' && d !== 'DESC') ||
          !parser.done()
        ) {
          throw new InvalidParameterError(
            `Invalid order_by clause '${clause}'. Write '<key> ASC' or '<key> DESC', e.g. 'metrics.rmse DESC'.`,
          );
        }
        ascending = d === 'ASC';
      }
      let type = id.type;
      if (type === undefined) {
        if (!grammar.bareIsAttribute && !Object.hasOwn(keys, id.key)) {
          throw new InvalidParameterError(
            `Invalid order_by clause '${clause}'. Prefix the key with metrics., params., tags. or attributes.`,
          );
        }
        type = 'attribute';
      }
      if (type === 'attribute') {
        const canonical = Object.hasOwn(keys, id.key) ? keys[id.key] : undefined;
        if (!canonical) {
          throw new InvalidParameterError(
            `Invalid order_by clause '${clause}': cannot order ${grammar.what} by attribute '${id.key}'. Valid keys are ${[...new Set(Object.values(keys))].join(', ')}.`,
          );
        }
        return { type, key: canonical, ascending };
      }
      if (type === 'dataset' || !grammar.entities.has(type)) {
        throw new InvalidParameterError(
          `Invalid order_by clause '${clause}': cannot order ${grammar.what} by ${type}s.`,
        );
      }
      return { type, key: id.key, ascending };
    });
}
