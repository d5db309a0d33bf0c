"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useRef, useState } from "react";
import type { TraceDetailDto } from "@/lib/schemas/views-traces";
import { durationMs } from "@/components/format";
import { EvidenceLink } from "@/components/ui/EvidenceLink";
import { useWaterfallRows } from "./useWaterfallRows";

const ROW = 28;

/**
 * Virtualised waterfall: the DOM holds only the rows in view (+ overscan), so a 50k-span trace
 * renders ~40 rows; a big trace also arrives in windows (useWaterfallRows), so the page carries
 * 300 rows, not 50k. Keyboard: ↑/↓ move, ←/→ collapse/expand, Home/End jump; the selected span is
 * kept in the URL (?span=) with history.replaceState (no server round trip).
 */
export function Waterfall({ incidentId, detail }: { incidentId: string; detail: TraceDetailDto }) {
  const firstRow = detail.spans[0] ?? detail.window?.rows[0];
  const total = Math.max(1, detail.summary.durationMs ?? 1, detail.extentMs);
  const [collapsed, setCollapsed] = useState<Set<number>>(() => new Set());
  const [active, setActive] = useState<number>(() => {
    if (typeof window === "undefined") return firstRow?.id ?? 0;
    const fromUrl = Number(new URLSearchParams(window.location.search).get("span"));
    const known = detail.spans.some((s) => s.id === fromUrl) || (detail.window?.rows.some((s) => s.id === fromUrl) ?? false);
    return known ? fromUrl : (firstRow?.id ?? 0);
  });
  const rows = useWaterfallRows(incidentId, detail, collapsed, active);
  const parentRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: rows.count, getScrollElement: () => parentRef.current, estimateSize: () => ROW, overscan: 12 });
  const activeIndex = rows.indexOf(active) ?? 0;
  const items = v.getVirtualItems();
  const firstItem = items[0]?.index ?? 0;
  const lastItem = items.at(-1)?.index ?? 0;
  useEffect(() => rows.ensure(firstItem, lastItem), [rows, firstItem, lastItem]);
  const select = useCallback((id: number) => {
    setActive(id);
    const url = new URL(window.location.href);
    url.searchParams.set("span", String(id));
    window.history.replaceState(window.history.state, "", url);
  }, []);
  const [selectIndex, setSelectIndex] = useState<number | null>(null);
  // Keyboard moves by index; in a big trace the target row may still be loading: select it on arrival.
  const targetRow = selectIndex !== null ? rows.rowAt(selectIndex) : undefined;
  useEffect(() => {
    if (selectIndex === null) return;
    if (targetRow) {
      select(targetRow.id);
      setSelectIndex(null);
    } else rows.ensure(selectIndex, selectIndex);
  }, [selectIndex, targetRow, rows, select]);
  useEffect(() => {
    v.scrollToIndex(selectIndex ?? activeIndex, { align: "auto" });
  }, [activeIndex, selectIndex, v]);
  const toggle = (id: number, open?: boolean) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (open ?? n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const onKey = (e: React.KeyboardEvent) => {
    const cur = rows.rowAt(activeIndex);
    if (!cur) return;
    const last = rows.count - 1;
    let next: number | null = null;
    if (e.key === "ArrowDown") next = Math.min(last, activeIndex + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, activeIndex - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = last;
    else if (e.key === "PageDown") next = Math.min(last, activeIndex + 15);
    else if (e.key === "PageUp") next = Math.max(0, activeIndex - 15);
    else if (e.key === "ArrowLeft") {
      if (cur.childCount && !collapsed.has(cur.id)) toggle(cur.id, false);
      else if (cur.parent !== null) next = rows.parentIndexOf(cur) ?? null;
    } else if (e.key === "ArrowRight" && cur.childCount) toggle(cur.id, true);
    else return;
    e.preventDefault();
    if (next === null) return;
    const loaded = rows.rowAt(next);
    if (loaded) select(loaded.id);
    else setSelectIndex(next);
  };
  const sel = rows.rowAt(activeIndex)?.id === active ? rows.rowAt(activeIndex)! : null;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div className="overflow-hidden rounded-lg border border-line bg-surface">
      <div className="grid grid-cols-[minmax(16rem,38%)_1fr] border-b border-line bg-subtle text-[11px] text-muted">
        <div className="px-2 py-1 font-medium uppercase">Span</div>
        <div className="relative h-6" aria-hidden>
          {ticks.map((t) => (
            <span key={t} className="num absolute top-1 font-mono whitespace-nowrap" style={{ left: `${t * 100}%`, transform: t === 1 ? "translateX(-100%)" : t ? "translateX(-50%)" : undefined, paddingLeft: t ? 0 : 4, paddingRight: t === 1 ? 4 : 0 }}>
              {durationMs(total * t)}
            </span>
          ))}
        </div>
      </div>
      <div
        ref={parentRef}
        role="tree"
        aria-label={`Waterfall of trace ${detail.summary.traceId}, ${detail.summary.spans} spans`}
        aria-activedescendant={`span-row-${active}`}
        tabIndex={0}
        onKeyDown={onKey}
        // Height from the whole trace (not the expanded rows), so collapsing never moves the page below.
        style={{ height: `min(60vh, ${Math.max(4, Math.min(detail.summary.spans, 20)) * ROW + 2}px)` }}
        className="relative overflow-auto focus-visible:outline-offset-[-2px]"
      >
        <div style={{ height: v.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const s = rows.rowAt(item.index);
            if (!s)
              return (
                <div key={`loading-${item.index}`} role="treeitem" aria-busy="true" aria-selected={false} className="absolute left-0 w-full border-b border-line/60 px-2 text-xs leading-7 text-faint" style={{ top: item.start, height: ROW }}>
                  loading…
                </div>
              );
            const left = (s.offset / total) * 100;
            const width = Math.max(0.2, ((s.durationMs ?? 0) / total) * 100);
            const isActive = s.id === active;
            const parentOffset = s.gapMs !== null ? s.offset - s.gapMs : null;
            return (
              <div
                key={s.id}
                id={`span-row-${s.id}`}
                role="treeitem"
                aria-level={s.depth + 1}
                aria-selected={isActive}
                aria-expanded={s.childCount ? !collapsed.has(s.id) : undefined}
                onClick={() => select(s.id)}
                className={`absolute left-0 grid w-full cursor-default grid-cols-[minmax(16rem,38%)_1fr] border-b border-line/60 text-xs ${isActive ? "bg-accent-soft" : "hover:bg-subtle"}`}
                style={{ top: item.start, height: ROW }}
              >
                <div className="flex min-w-0 items-center gap-1 pr-2" style={{ paddingLeft: 4 + Math.min(s.depth, 30) * 12 }}>
                  {s.childCount ? (
                    <button type="button" tabIndex={-1} aria-label={collapsed.has(s.id) ? "Expand" : "Collapse"} onClick={(e) => (e.stopPropagation(), toggle(s.id))} className="w-4 shrink-0 text-muted hover:text-fg">
                      {collapsed.has(s.id) ? "▸" : "▾"}
                    </button>
                  ) : (
                    <span className="w-4 shrink-0" />
                  )}
                  <span className="truncate" title={`${s.service} ${s.name}`}>
                    <span className="font-medium">{s.service}</span> <span className="text-muted">{s.name}</span>
                  </span>
                  {s.attempts ? <span className={`num shrink-0 rounded px-1 text-[10px] font-medium ${s.attempt! > 1 ? "bg-amber-100 text-amber-900 dark:bg-amber-400/20 dark:text-amber-200" : "bg-subtle text-muted"}`}>{s.attempt! > 1 ? "retry " : "try "}{s.attempt}/{s.attempts}</span> : null}
                  {s.error ? <span className="shrink-0 rounded bg-red-100 px-1 text-[10px] font-medium text-red-900 dark:bg-red-400/20 dark:text-red-200">{s.status && /reset|refus|timeout|broken/i.test(s.status) ? "reset" : "error"}</span> : null}
                  {s.gapMs !== null ? <span className="num shrink-0 rounded bg-sky-100 px-1 text-[10px] font-medium text-sky-900 dark:bg-sky-400/20 dark:text-sky-200">gap {durationMs(s.gapMs)}</span> : null}
                </div>
                <div className="relative" aria-hidden>
                  {parentOffset !== null ? (
                    <div className="absolute top-[12px] h-[3px] bg-[repeating-linear-gradient(90deg,rgb(14_165_233/0.8)_0_4px,transparent_4px_7px)]" style={{ left: `${(parentOffset / total) * 100}%`, width: `${(s.gapMs! / total) * 100}%` }} />
                  ) : null}
                  <div className={`absolute top-[7px] h-[14px] rounded-sm ${s.error ? "bg-red-500" : s.attempt && s.attempt > 1 ? "bg-amber-500" : s.kind === "client" ? "bg-indigo-400" : "bg-accent"}`} style={{ left: `${left}%`, width: `${width}%` }} />
                  {/* Duration label: after the bar, else inside a wide bar's right end, else before a short bar at the far right. */}
                  <span
                    className={`num absolute top-[6px] font-mono text-[10px] whitespace-nowrap ${left + width > 85 && width > 12 ? "text-white" : "text-muted"}`}
                    style={left + width <= 85 ? { left: `calc(${left + width}% + 4px)` } : width > 12 ? { right: `calc(${100 - left - width}% + 4px)` } : { right: `calc(${100 - left}% + 4px)` }}
                  >
                    {durationMs(s.durationMs)}
                  </span>
                </div>
              </div>
            );
          })}
        </div>
      </div>
      <div className="min-h-16 border-t border-line px-3 py-2 text-xs" aria-live="polite">
        {sel ? (
          <div className="flex flex-wrap gap-x-4 gap-y-1">
            <span>
              <span className="font-medium">{sel.service}</span> {sel.name} <span className="text-muted">({sel.kind})</span>
            </span>
            <span className="num">start +{durationMs(sel.offset)}</span>
            <span className="num">
              duration{" "}
              <EvidenceLink incidentId={incidentId} record={sel.id}>
                {durationMs(sel.durationMs)}
              </EvidenceLink>
            </span>
            {sel.peer ? <span>peer <span className="font-mono">{sel.peer}</span></span> : null}
            {sel.status ? <span>status <span className="font-mono">{sel.status}</span></span> : null}
            {sel.gapMs !== null ? <span className="num text-sky-800 dark:text-sky-200">started {durationMs(sel.gapMs)} after its parent (connect/SYN-retry wait?)</span> : null}
            <span className="font-mono text-muted">
              <EvidenceLink incidentId={incidentId} record={sel.id}>
                {sel.path.split("/").at(-1)}
                {sel.line != null ? `:${sel.line}` : ""}
              </EvidenceLink>
            </span>
          </div>
        ) : null}
      </div>
    </div>
  );
}
