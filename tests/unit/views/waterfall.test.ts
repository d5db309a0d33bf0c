import { describe, expect, it } from "vitest";
import { visibleRows, waterfallWindow } from "@/lib/waterfall";

/** The collapse logic the browser (small traces) and the server (windows of big traces) share. */
describe("waterfall collapse (lib/waterfall.ts)", () => {
  // a(1) ─ b(2) ─ c(3)
  //      │      └ d(4)
  //      └ e(5) ─ f(6)
  const row = (id: number, parent: number | null, depth: number) => ({ id, parent, depth });
  const rows = [row(1, null, 0), row(2, 1, 1), row(3, 2, 2), row(4, 2, 2), row(5, 1, 1), row(6, 5, 2)];

  describe("visibleRows", () => {
    it("keeps a collapsed row and hides its subtree, nothing after it", () => {
      const v = visibleRows(rows, new Set([2]));
      expect(v.rows.map((r) => r.id)).toEqual([1, 2, 5, 6]);
      expect([...v.indexOf]).toEqual([[1, 0], [2, 1], [5, 2], [6, 3]]);
    });

    it("hides everything under a collapsed root, and a collapse inside a hidden subtree changes nothing", () => {
      expect(visibleRows(rows, new Set([1])).rows.map((r) => r.id)).toEqual([1]);
      expect(visibleRows(rows, new Set([1, 2, 5])).rows.map((r) => r.id)).toEqual([1]);
    });

    it("collapses sibling subtrees independently; a leaf collapsed hides nothing", () => {
      expect(visibleRows(rows, new Set([2, 5])).rows.map((r) => r.id)).toEqual([1, 2, 5]);
      expect(visibleRows(rows, new Set([3, 6])).rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it("with nothing collapsed returns the same rows (memoised callers keep their identity)", () => {
      const v = visibleRows(rows, new Set());
      expect(v.rows).toBe(rows);
      expect(v.indexOf.get(6)).toBe(5);
    });

    it("ignores ids that are not in the trace", () => {
      expect(visibleRows(rows, new Set([99])).rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    });
  });

  describe("waterfallWindow", () => {
    it("windows the visible rows and gives each its parent's visible index", () => {
      const w = waterfallWindow(rows, new Set(), 2, 3);
      expect(w.total).toBe(6);
      expect(w.offset).toBe(2);
      expect(w.rows.map((r) => [r.id, r.index, r.parentIndex])).toEqual([[3, 2, 1], [4, 3, 1], [5, 4, 0]]);
    });

    it("hides collapsed subtrees and re-indexes what follows", () => {
      const w = waterfallWindow(rows, new Set([2]), 0, 10);
      expect(w.total).toBe(4);
      expect(w.rows.map((r) => r.id)).toEqual([1, 2, 5, 6]);
      expect(w.rows.find((r) => r.id === 6)!.parentIndex).toBe(2);
      expect(w.rows.find((r) => r.id === 1)!.parentIndex).toBeNull();
    });

    it("centres the window on `around` and clamps at the end", () => {
      expect(waterfallWindow(rows, new Set(), 0, 2, 4).rows.map((r) => r.id)).toEqual([3, 4]);
      expect(waterfallWindow(rows, new Set(), 99, 4).offset).toBe(2);
      // a span hidden by a collapse cannot be centred: the requested offset applies
      expect(waterfallWindow(rows, new Set([2]), 0, 2, 4).offset).toBe(0);
    });

    it("a window bigger than the visible rows starts at 0 and holds them all", () => {
      const w = waterfallWindow(rows, new Set([5]), 3, 100);
      expect(w.offset).toBe(0);
      expect(w.rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    });

    it("shows the same rows, in the same order, as the browser's collapse of the whole trace", () => {
      for (const collapsed of [new Set<number>(), new Set([2]), new Set([5]), new Set([1]), new Set([2, 5])]) {
        const whole = visibleRows(rows, collapsed).rows.map((r) => r.id);
        // Windows of 2 (the last one clamped back): every visible index once, with the same row.
        const byIndex = new Map<number, number>();
        for (let offset = 0; offset < whole.length; offset += 2) for (const r of waterfallWindow(rows, collapsed, offset, 2).rows) byIndex.set(r.index, r.id);
        expect([...byIndex].sort((a, b) => a[0] - b[0]).map(([, id]) => id)).toEqual(whole);
      }
    });
  });
});
