/**
 * Plain-text tables that fit a width (default 100 columns): cells are truncated with `…`
 * to a column's maximum, and side-by-side tables with many value columns are split into
 * blocks that each repeat the key column. Pure string work, no terminal codes.
 */

export const TABLE_WIDTH = 100;

export interface TextColumn {
  /** Header lines (e.g. run name, then its short id). */
  head: string[];
  /** Right-align (numbers). */
  right?: boolean;
  /** Maximum width (cells longer are cut with …). */
  max?: number;
}

/** Cut a string to `width` characters with a trailing `…`. */
export function clip(s: string, width: number): string {
  if (s.length <= width) return s;
  if (width <= 1) return s.slice(0, width);
  return `${s.slice(0, width - 1)}…`;
}

/** One table: header lines, a rule, rows. Columns separated by two spaces. */
export function renderTable(columns: readonly TextColumn[], rows: readonly string[][]): string {
  const widths = columns.map((c, i) => {
    let w = Math.max(...c.head.map((h) => h.length), ...rows.map((r) => (r[i] ?? '').length), 1);
    if (c.max !== undefined) w = Math.min(w, c.max);
    return w;
  });
  const cell = (s: string, i: number) => {
    const t = clip(s, widths[i]!);
    return columns[i]!.right ? t.padStart(widths[i]!) : t.padEnd(widths[i]!);
  };
  const line = (cells: string[]) =>
    cells
      .map((c, i) => cell(c, i))
      .join('  ')
      .trimEnd();
  const headLines = Math.max(...columns.map((c) => c.head.length));
  const out: string[] = [];
  for (let h = 0; h < headLines; h++) out.push(line(columns.map((c) => c.head[h] ?? '')));
  out.push(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) out.push(line(columns.map((_, i) => r[i] ?? '')));
  return out.join('\n');
}

/**
 * A side-by-side table: one key column, then one column per item (run), split into blocks
 * of items so every line fits `width`. Each block repeats the key column.
 */
export function renderSideBySide(
  key: TextColumn,
  items: readonly TextColumn[],
  rows: ReadonlyArray<{ key: string; cells: string[] }>,
  width: number = TABLE_WIDTH,
): string {
  const keyWidth = Math.min(
    key.max ?? 30,
    Math.max(...key.head.map((h) => h.length), ...rows.map((r) => r.key.length), 1),
  );
  const itemWidth = (i: number) =>
    Math.min(
      items[i]!.max ?? 18,
      Math.max(...items[i]!.head.map((h) => h.length), ...rows.map((r) => (r.cells[i] ?? '').length), 1),
    );
  const blocks: number[][] = [];
  let current: number[] = [];
  let used = keyWidth;
  for (let i = 0; i < items.length; i++) {
    const w = itemWidth(i) + 2;
    if (current.length > 0 && used + w > width) {
      blocks.push(current);
      current = [];
      used = keyWidth;
    }
    current.push(i);
    used += w;
  }
  if (current.length > 0) blocks.push(current);
  return blocks
    .map((block) =>
      renderTable(
        [{ ...key, max: keyWidth }, ...block.map((i) => ({ ...items[i]!, max: itemWidth(i) }))],
        rows.map((r) => [r.key, ...block.map((i) => r.cells[i] ?? '')]),
      ),
    )
    .join('\n\n');
}

/** A number for a table: fixed decimals for fractional values, integers as they are. */
export function fmtNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) return v.toExponential(3);
  return v.toFixed(digits);
}

/** A p-value: 4 decimals, or `<0.0001`. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}
