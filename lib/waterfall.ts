// The waterfall's collapse logic, shared by the browser (traces of up to WATERFALL_INLINE_MAX spans
// arrive whole and collapse there) and the server (bigger traces are collapsed and windowed there):
// pure, no imports at all, so both hide exactly the same rows.

/** What collapsing needs of a row: its evidence id, tree depth and parent's evidence id. */
export interface TreeRow {
  id: number;
  depth: number;
  parent: number | null;
}

export interface VisibleRows<R> {
  /** The rows left visible, in their depth-first order. */
  rows: readonly R[];
  /** Visible index of a row by evidence id (hidden rows are absent). */
  indexOf: ReadonlyMap<number, number>;
}

/**
 * The rows left visible when the given spans are collapsed: a collapsed row stays, its subtree
 * (the rows after it that are deeper than it) goes.
 *
 *   rows (depth-first)   a  b  c  d  e  f     collapsed = {b}  (b's subtree: c, d)
 *   depth                0  1  2  2  1  2
 *   visible              a  b  e  f           index 0..3
 *
 * Nothing collapsed: the same array back (callers memoise on it).
 */
export function visibleRows<R extends TreeRow>(rows: readonly R[], collapsed: ReadonlySet<number>): VisibleRows<R> {
  const indexOf = new Map<number, number>();
  if (!collapsed.size) {
    rows.forEach((r, i) => indexOf.set(r.id, i));
    return { rows, indexOf };
  }
  const visible: R[] = [];
  let hideBelow = Number.POSITIVE_INFINITY;
  for (const r of rows) {
    if (r.depth > hideBelow) continue;
    hideBelow = Number.POSITIVE_INFINITY;
    indexOf.set(r.id, visible.length);
    visible.push(r);
    if (collapsed.has(r.id)) hideBelow = r.depth;
  }
  return { rows: visible, indexOf };
}

/**
 * The visible rows (see visibleRows), windowed: visible[offset, offset + limit), each with its own
 * visible index and its parent's. `around` (an evidence id) picks the window that centres that span
 * (when visible); the window is clamped so it never runs past the end.
 */
export function waterfallWindow<R extends TreeRow>(rows: readonly R[], collapsed: ReadonlySet<number>, offset: number, limit: number, around?: number): { total: number; offset: number; rows: (R & { index: number; parentIndex: number | null })[] } {
  const { rows: visible, indexOf } = visibleRows(rows, collapsed);
  let from = offset;
  if (around !== undefined && indexOf.has(around)) from = Math.max(0, indexOf.get(around)! - Math.floor(limit / 2));
  from = Math.min(from, Math.max(0, visible.length - limit));
  const out = visible.slice(from, from + limit).map((r, i) => ({
    ...r,
    index: from + i,
    parentIndex: r.parent !== null ? (indexOf.get(r.parent) ?? null) : null,
  }));
  return { total: visible.length, offset: from, rows: out };
}
