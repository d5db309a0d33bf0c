"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { WaterfallWindowDto, type TraceDetailDto, type WaterfallSpanDto } from "@/lib/schemas/views-traces";
import { visibleRows, type VisibleRows } from "@/lib/waterfall";

/** Rows fetched per request while scrolling a big trace. */
const PAGE = 200;

const NOTHING_VISIBLE: VisibleRows<WaterfallSpanDto> = { rows: [], indexOf: new Map() };

export interface WaterfallRows {
  /** Visible rows in total (collapsed subtrees hidden). */
  count: number;
  /** The row at a visible index, or undefined while its window is loading. */
  rowAt(index: number): WaterfallSpanDto | undefined;
  /** Visible index of a span (evidence id), when known. */
  indexOf(id: number): number | undefined;
  /** Visible index of a row's parent, when known. */
  parentIndexOf(row: WaterfallSpanDto): number | undefined;
  /** Asks for the rows in [from, to] (no-op when loaded or loading). */
  ensure(from: number, to: number): void;
  /** A fetch failed: what to tell the user. */
  error: string | null;
}

/**
 * The waterfall's rows. A trace of up to WATERFALL_INLINE_MAX spans arrives whole and collapsing is
 * computed here; a bigger one arrives as one window (`detail.window`) and the rest is fetched by
 * visible index from /traces/:traceId/spans — collapsing asks the server for the new visible list,
 * so the browser never holds (or parses) 50k rows.
 */
export function useWaterfallRows(incidentId: string, detail: TraceDetailDto, collapsed: ReadonlySet<number>, activeId: number): WaterfallRows {
  const inline = detail.window === null;
  // Collapsing is lib/waterfall.ts's, the same the server applies to big traces.
  const { rows: visibleInline, indexOf: inlineIndex } = useMemo(() => (inline ? visibleRows(detail.spans, collapsed) : NOTHING_VISIBLE), [inline, detail.spans, collapsed]);

  // Windowed: rows by visible index for the current collapsed set.
  const collapsedKey = useMemo(() => [...collapsed].sort((a, b) => a - b).join(","), [collapsed]);
  const [win, setWin] = useState(() => fromWindow(detail.window, ""));
  const loading = useRef(new Set<number>());
  const [error, setError] = useState<string | null>(null);
  const activeRef = useRef(activeId);
  useEffect(() => {
    activeRef.current = activeId;
  }, [activeId]);

  const fetchWindow = useCallback(
    async (params: Record<string, string>, key: string) => {
      const qs = new URLSearchParams({ limit: String(PAGE), ...params, ...(key ? { collapsed: key } : {}) });
      try {
        const res = await fetch(`/api/incidents/${encodeURIComponent(incidentId)}/traces/${encodeURIComponent(detail.summary.traceId)}/spans?${qs}`);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const w = WaterfallWindowDto.parse(await res.json());
        setError(null);
        setWin((cur) => (cur.key === key ? merge(cur, w) : fromWindow(w, key)));
      } catch (err) {
        setError(`Could not load more spans (${err instanceof Error ? err.message : String(err)}). Scroll again to retry.`);
      }
    },
    [incidentId, detail.summary.traceId],
  );

  // Collapsing in a big trace: the server recomputes the visible rows; keep the active span in view.
  useEffect(() => {
    if (inline || win.key === collapsedKey) return;
    loading.current.clear();
    void fetchWindow({ around: String(activeRef.current) }, collapsedKey);
  }, [inline, collapsedKey, win.key, fetchWindow]);

  const ensure = useCallback(
    (from: number, to: number) => {
      if (inline || win.key !== collapsedKey) return;
      for (let i = Math.max(0, from); i <= Math.min(to, win.total - 1); i++) {
        if (win.rows.has(i)) continue;
        const page = Math.floor(i / PAGE);
        if (loading.current.has(page)) continue;
        loading.current.add(page);
        void fetchWindow({ offset: String(page * PAGE) }, collapsedKey).finally(() => loading.current.delete(page));
        i = (page + 1) * PAGE - 1;
      }
    },
    [inline, win, collapsedKey, fetchWindow],
  );

  if (inline) {
    return {
      count: visibleInline.length,
      rowAt: (i) => visibleInline[i],
      indexOf: (id) => inlineIndex.get(id),
      parentIndexOf: (row) => (row.parent !== null ? inlineIndex.get(row.parent) : undefined),
      ensure,
      error: null,
    };
  }
  return {
    count: win.total,
    rowAt: (i) => win.rows.get(i),
    indexOf: (id) => win.indexById.get(id),
    parentIndexOf: (row) => win.parentIndex.get(row.id) ?? undefined,
    ensure,
    error,
  };
}

interface WindowState {
  key: string;
  total: number;
  rows: Map<number, WaterfallSpanDto>;
  indexById: Map<number, number>;
  parentIndex: Map<number, number | null>;
}

function fromWindow(w: WaterfallWindowDto | null, key: string): WindowState {
  const s: WindowState = { key, total: w?.total ?? 0, rows: new Map(), indexById: new Map(), parentIndex: new Map() };
  return w ? merge(s, w) : s;
}

function merge(cur: WindowState, w: WaterfallWindowDto): WindowState {
  const next: WindowState = { ...cur, total: w.total, rows: new Map(cur.rows), indexById: new Map(cur.indexById), parentIndex: new Map(cur.parentIndex) };
  for (const { index, parentIndex, ...row } of w.rows) {
    next.rows.set(index, row);
    next.indexById.set(row.id, index);
    next.parentIndex.set(row.id, parentIndex);
  }
  return next;
}
