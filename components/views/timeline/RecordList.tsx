"use client";

import { useEffect, useLayoutEffect, useRef, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TimelineRowDto } from "@/lib/schemas/views-timeline";
import { shortTime } from "@/lib/timeline-url";

export const ROW_HEIGHT = 28;
const LOAD_MARGIN = 30;

const SEVERITY_DOT: Record<string, string> = {
  critical: "bg-red-600",
  error: "bg-red-500",
  warning: "bg-amber-500",
  notice: "bg-sky-500",
  info: "bg-faint",
  debug: "bg-line-strong",
};

/**
 * The merged timeline, virtualised: only the rows in view (plus a small overscan) are in the DOM,
 * whatever the number loaded. Scrolling near either end asks the parent for the next page; rows
 * prepended above keep the view still (scrollTop is shifted by their height).
 * Keyboard: ↑/↓ select, PgUp/PgDn jump a screen, Home/End the loaded ends.
 */
export function RecordList({
  rows,
  selected,
  focusId,
  prepended,
  onSelect,
  onNeedBefore,
  onNeedAfter,
  hasBefore,
  hasAfter,
  loading,
}: {
  rows: TimelineRowDto[];
  selected: number | null;
  /** Record to scroll to (evidence link), once per change */
  focusId: number | null;
  /** Rows added at the top by the last load (to keep the view still) */
  prepended: { count: number; seq: number };
  onSelect: (id: number) => void;
  onNeedBefore: () => void;
  onNeedAfter: () => void;
  hasBefore: boolean;
  hasAfter: boolean;
  loading: boolean;
}) {
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtualizer.getVirtualItems();

  useLayoutEffect(() => {
    if (prepended.count > 0 && parentRef.current) parentRef.current.scrollTop += prepended.count * ROW_HEIGHT;
  }, [prepended]);

  const scrolledFor = useRef<number | null>(null);
  useEffect(() => {
    if (focusId === null || scrolledFor.current === focusId) return;
    const idx = rows.findIndex((r) => r.id === focusId);
    if (idx >= 0) {
      scrolledFor.current = focusId;
      virtualizer.scrollToIndex(idx, { align: "center" });
    }
  }, [focusId, rows, virtualizer]);

  const firstIdx = items[0]?.index;
  const lastIdx = items[items.length - 1]?.index;
  useEffect(() => {
    if (loading || firstIdx === undefined || lastIdx === undefined) return;
    if (hasBefore && firstIdx < LOAD_MARGIN) onNeedBefore();
    else if (hasAfter && lastIdx > rows.length - LOAD_MARGIN) onNeedAfter();
  }, [firstIdx, lastIdx, loading, hasBefore, hasAfter, rows.length, onNeedBefore, onNeedAfter]);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return;
    const cur = selected === null ? -1 : rows.findIndex((r) => r.id === selected);
    const page = Math.max(1, Math.floor((parentRef.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: rows.length - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const next = Math.min(rows.length - 1, Math.max(0, cur < 0 && e.key === "ArrowUp" ? 0 : moves[e.key]!));
    onSelect(rows[next]!.id);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };

  return (
    <div
      ref={parentRef}
      role="listbox"
      aria-label="Timeline records"
      aria-activedescendant={selected !== null && rows.some((r) => r.id === selected) ? `rec-${selected}` : undefined}
      tabIndex={0}
      onKeyDown={onKey}
      className="h-[60vh] min-h-[320px] overflow-auto rounded-md border border-line bg-surface font-mono text-xs"
      data-testid="timeline-list"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((v) => {
          const r = rows[v.index]!;
          const isSel = r.id === selected;
          const human = r.source === "timeline";
          return (
            <div
              key={r.id}
              id={`rec-${r.id}`}
              role="option"
              aria-selected={isSel}
              data-record-id={r.id}
              onClick={() => onSelect(r.id)}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
              className={`flex cursor-pointer items-center gap-2 border-b border-line/50 px-2 whitespace-nowrap ${
                isSel ? "bg-accent-soft outline outline-1 -outline-offset-1 outline-accent" : human ? "bg-amber-50 dark:bg-amber-400/10" : "hover:bg-subtle"
              } ${r.cited ? "border-l-4 border-l-accent" : "border-l-4 border-l-transparent"}`}
            >
              <span className="num w-[9.5rem] shrink-0 text-muted">{shortTime(r.ts)}</span>
              <span className={`h-2 w-2 shrink-0 rounded-full ${SEVERITY_DOT[r.severity ?? "info"] ?? "bg-faint"}`} title={r.severity ?? "no severity"} />
              <span className="w-20 shrink-0 truncate text-muted" title={r.source ?? r.kind}>
                {r.source ?? r.kind}
              </span>
              {r.cited ? <span className="shrink-0 rounded bg-accent px-1 text-[10px] font-semibold text-accent-fg">evidence</span> : null}
              {human ? <span className="shrink-0 rounded bg-amber-200 px-1 text-[10px] font-semibold text-amber-900 dark:bg-amber-400/30 dark:text-amber-100">human</span> : null}
              <span className="min-w-0 flex-1 truncate text-fg" title={r.text}>
                {r.text}
              </span>
              <span className="hidden w-48 shrink-0 truncate text-right text-faint lg:inline" title={`${r.path}${r.line ? `:${r.line}` : ""}`}>
                {r.path.split("/").pop()}
                {r.line ? `:${r.line}` : ""}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
