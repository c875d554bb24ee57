/**
 * A `Comparison` for people and spreadsheets: a terminal text table (fits 100 columns),
 * CSV (one long table: section, key, then one column per run) and Markdown. Pure.
 */
import { stringify } from 'csv-stringify/sync';
import type { Comparison, RunPair } from './compare.js';
import {
  clip,
  clipMiddle,
  fmtNumber,
  fmtP,
  renderSideBySide,
  renderTable,
  TABLE_WIDTH,
  type TextColumn,
} from './table.js';

export type ComparisonFormat = 'table' | 'csv' | 'markdown' | 'json';

/** Terminal tables show every fold date up to this many; more are summarised. */
export const MAX_FOLD_ROWS = 40;

const shortId = (id: string) => id.slice(0, 8);

function runColumns(c: Comparison): TextColumn[] {
  return c.runs.map((r, i) => ({
    head: [
      `#${i + 1} ${clipMiddle(r.label, 18 - `#${i + 1} `.length)}`,
      `${shortId(r.run_id)}${r.run_id === c.baseline_run_id ? ' (base)' : ''}`,
    ],
    right: true,
    max: 18,
  }));
}

function pairRows(c: Comparison): string[][] {
  const num = (id: string) => `#${c.runs.findIndex((r) => r.run_id === id) + 1}`;
  return c.pairs.map((p: RunPair) => [
    num(p.a),
    num(p.b),
    String(p.n),
    fmtNumber(p.mean_difference, 4),
    p.ci95 ? `[${fmtNumber(p.ci95[0], 3)}, ${fmtNumber(p.ci95[1], 3)}]` : '—',
    fmtP(p.t_test?.p_value),
    fmtP(p.wilcoxon?.p_value),
    `${p.wins_a}/${p.wins_b}/${p.ties}`,
    p.better ? `${num(p.better)}${p.significant ? ' *' : ''}` : '—',
  ]);
}

function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

/** Prose cut into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => clip(l, width)).join('\n');
}

function runsSection(c: Comparison): string {
  return section(
    'Runs',
    renderTable(
      [
        { head: ['#'], right: true },
        { head: ['run'], max: 34 },
        { head: ['id'] },
        { head: ['experiment'], max: 26 },
        { head: ['folds'], right: true },
        { head: [`mean ${clip(c.fold_metric, 9)}`], right: true },
      ],
      c.runs.map((r, i) => [
        String(i + 1),
        r.label,
        shortId(r.run_id),
        r.experiment_name,
        String(r.n_folds),
        fmtNumber(r.fold_mean, 4),
      ]),
    ),
  );
}

function pairsSection(c: Comparison, width: number): string {
  return section(
    wrap(
      `Paired tests on ${c.fold_metric} by date (diff = A − B; ${c.higher_is_better ? 'higher' : 'lower'} is better; * Wilcoxon p < 0.05)`,
      width,
    ),
    renderTable(
      [
        { head: ['A'] },
        { head: ['B'] },
        { head: ['dates'], right: true },
        { head: ['mean diff'], right: true },
        { head: ['95% CI'], right: true },
        { head: ['t-test p'], right: true },
        { head: ['Wilcoxon p'], right: true },
        { head: ['wins A/B/tie'], right: true },
        { head: ['better'] },
      ],
      pairRows(c),
    ),
  );
}

const withDelta = (v: number | null, d: number | null | undefined) =>
  d === null || d === undefined ? fmtNumber(v) : `${fmtNumber(v)} (${d >= 0 ? '+' : ''}${fmtNumber(d, 3)})`;

/** The comparison as terminal text, every line at most `width` (default 100) columns. */
export function comparisonTable(c: Comparison, width: number = TABLE_WIDTH): string {
  const parts: string[] = [runsSection(c)];
  const cols = runColumns(c);
  const side = (title: string, rs: Array<{ key: string; cells: string[] }>) => {
    if (rs.length > 0)
      parts.push(section(wrap(title, width), renderSideBySide({ head: ['', ''], max: 28 }, cols, rs, width)));
  };
  side(
    'Params',
    c.params.map((p) => ({ key: p.key, cells: p.values.map((v) => v ?? '—') })),
  );
  side(
    'Metrics',
    c.metrics.map((m) => ({
      key: m.key,
      cells: m.values.map((v, i) => withDelta(v, m.delta_vs_baseline?.[i])),
    })),
  );
  side(
    'Tags',
    c.tags.map((t) => ({ key: t.key, cells: t.values.map((v) => v ?? '—') })),
  );
  if (c.folds.length > 0 && c.folds.length <= MAX_FOLD_ROWS) {
    side(
      `${c.fold_metric} by fold date (best marked *)`,
      c.folds.map((f) => ({
        key: f.date,
        cells: f.values.map((v, i) =>
          v === null ? '—' : `${fmtNumber(v, 4)}${f.best.includes(i) ? '*' : ' '}`,
        ),
      })),
    );
  } else if (c.folds.length > MAX_FOLD_ROWS) {
    parts.push(
      wrap(
        `${c.fold_metric} by fold date: ${c.folds.length} dates (${c.folds[0]!.date} … ${c.folds.at(-1)!.date}); see --format csv or --chart for every date.`,
        width,
      ),
    );
  }
  parts.push(
    wrap(
      `Dates won (best ${c.fold_metric} among the ${c.common_dates} dates every run has; ${c.tied_dates} tied): ${c.wins
        .map((w, i) => `#${i + 1} ${w.dates_won}`)
        .join(', ')}`,
      width,
    ),
  );
  if (c.pairs.length > 0) parts.push(pairsSection(c, width));
  if (c.warnings.length > 0) parts.push(c.warnings.map((w) => wrap(`warning: ${w}`, width)).join('\n'));
  return parts.join('\n\n');
}

/** One CSV: `section,key,<run label (id)>…` rows for params, metrics, tags, folds; then the pairs. */
export function comparisonCsv(c: Comparison): string {
  const header = ['section', 'key', ...c.runs.map((r) => `${r.label} (${r.run_id})`)];
  const body: Array<Array<string | number | null>> = [];
  for (const p of c.params) body.push(['param', p.key, ...p.values]);
  for (const m of c.metrics) {
    body.push(['metric', m.key, ...m.values]);
    if (m.delta_vs_baseline) body.push(['metric_delta_vs_baseline', m.key, ...m.delta_vs_baseline]);
  }
  for (const t of c.tags) body.push(['tag', t.key, ...t.values]);
  for (const f of c.folds) body.push([c.fold_metric, f.date, ...f.values]);
  body.push(['dates_won', c.fold_metric, ...c.wins.map((w) => w.dates_won)]);
  const main = stringify([header, ...body.map((r) => r.map((v) => (v === null ? '' : v)))]);
  const pairs = stringify([
    [
      'pair_a',
      'pair_b',
      'dates',
      'mean_difference',
      'ci95_low',
      'ci95_high',
      't_statistic',
      't_df',
      't_p_value',
      'wilcoxon_v',
      'wilcoxon_p_value',
      'wilcoxon_method',
      'wins_a',
      'wins_b',
      'ties',
      'better',
    ],
    ...c.pairs.map((p) => [
      p.a,
      p.b,
      p.n,
      p.mean_difference ?? '',
      p.ci95?.[0] ?? '',
      p.ci95?.[1] ?? '',
      p.t_test?.statistic ?? '',
      p.t_test?.df ?? '',
      p.t_test?.p_value ?? '',
      p.wilcoxon?.statistic ?? '',
      p.wilcoxon?.p_value ?? '',
      p.wilcoxon?.method ?? '',
      p.wins_a,
      p.wins_b,
      p.ties,
      p.better ?? '',
    ]),
  ]);
  return `${main}\n${pairs}`;
}

const mdCell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function mdTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

/** The comparison as Markdown tables (params, metrics, tags, folds, paired tests). */
export function comparisonMarkdown(c: Comparison): string {
  const head = ['', ...c.runs.map((r) => `${r.label} (\`${shortId(r.run_id)}\`)`)];
  const out: string[] = ['## Runs'];
  out.push(
    mdTable(
      ['#', 'run', 'id', 'experiment', 'folds', `mean ${c.fold_metric}`],
      c.runs.map((r, i) => [
        String(i + 1),
        r.label,
        `\`${r.run_id}\``,
        r.experiment_name,
        String(r.n_folds),
        fmtNumber(r.fold_mean),
      ]),
    ),
  );
  const block = (title: string, rs: string[][]) => {
    if (rs.length > 0) out.push(`## ${title}`, mdTable(head, rs));
  };
  block(
    'Params',
    c.params.map((p) => [p.key, ...p.values.map((v) => v ?? '—')]),
  );
  block(
    'Metrics',
    c.metrics.map((m) => [
      m.key,
      ...m.values.map((v, i) => {
        const d = m.delta_vs_baseline?.[i];
        return d === null || d === undefined
          ? fmtNumber(v)
          : `${fmtNumber(v)} (${d >= 0 ? '+' : ''}${fmtNumber(d, 3)})`;
      }),
    ]),
  );
  block(
    'Tags',
    c.tags.map((t) => [t.key, ...t.values.map((v) => v ?? '—')]),
  );
  block(
    `${c.fold_metric} by fold date`,
    c.folds.map((f) => [
      f.date,
      ...f.values.map((v, i) =>
        v === null ? '—' : f.best.includes(i) ? `**${fmtNumber(v)}**` : fmtNumber(v),
      ),
    ]),
  );
  out.push(
    `Dates won among the ${c.common_dates} dates every run has (${c.tied_dates} tied): ${c.wins.map((w) => `${w.label} ${w.dates_won}`).join(', ')}.`,
  );
  if (c.pairs.length > 0) {
    out.push(`## Paired tests on ${c.fold_metric} (difference = A − B)`);
    out.push(
      mdTable(
        ['A', 'B', 'dates', 'mean diff', '95% CI', 't-test p', 'Wilcoxon p', 'wins A/B/tie', 'better'],
        c.pairs.map((p) => [
          p.a_label,
          p.b_label,
          String(p.n),
          fmtNumber(p.mean_difference),
          p.ci95 ? `[${fmtNumber(p.ci95[0], 3)}, ${fmtNumber(p.ci95[1], 3)}]` : '—',
          fmtP(p.t_test?.p_value),
          fmtP(p.wilcoxon?.p_value),
          `${p.wins_a}/${p.wins_b}/${p.ties}`,
          p.better ? (c.runs.find((r) => r.run_id === p.better)?.label ?? p.better) : '—',
        ]),
      ),
    );
  }
  for (const w of c.warnings) out.push(`> warning: ${w}`);
  return `${out.join('\n\n')}\n`;
}

/** The comparison in one of the output formats. */
export function formatComparison(c: Comparison, format: ComparisonFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(c, null, 2);
    case 'csv':
      return comparisonCsv(c);
    case 'markdown':
      return comparisonMarkdown(c);
    case 'table':
      return comparisonTable(c);
  }
}
