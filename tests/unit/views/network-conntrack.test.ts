import { describe, expect, it } from "vitest";
import type { CounterRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { conntrackView } from "@/lib/server/views/network";

const c = (name: string, cpu: string, ts: number, value: number, line: number): { rec: CounterRecord; path: string; node: string } => ({
  rec: { kind: "counter", name: `conntrack_${name}`, labels: { cpu }, ts: ts as EpochMs, value, prov: { line } },
  path: "nodes/n1/conntrack-S.txt",
  node: "n1",
});

describe("conntrackView", () => {
  it("sums deltas over CPUs per interval, keeps resets as null and links the snapshot line", () => {
    const rows = [
      c("insert_failed", "0", 1000, 10, 2), c("insert_failed", "1", 1000, 5, 3),
      c("insert_failed", "0", 61_000, 40, 5), c("insert_failed", "1", 61_000, 25, 6),
      c("insert_failed", "0", 121_000, 3, 8), c("insert_failed", "1", 121_000, 30, 9),
    ];
    const [n] = conntrackView(rows, ["insert_failed"]);
    expect(n!.points.map((p) => p.values.insert_failed)).toEqual([50, null]);
    expect(n!.points[0]).toMatchObject({ fromTs: 1000, ts: 61_000, path: "nodes/n1/conntrack-S.txt" });
    expect([5, 6]).toContain(n!.points[0]!.line);
    expect(n!.cpus.find((x) => x.cpu === "1")!.totals.insert_failed).toBe(25);
    expect(n!.snapshots).toBe(3);
  });
  it("downsamples long series to at most 500 points without losing the total", () => {
    const rows = Array.from({ length: 2001 }, (_, i) => c("drop", "0", i * 1000, i * 2, i + 1));
    const [n] = conntrackView(rows, ["drop"]);
    expect(n!.points.length).toBeLessThanOrEqual(500);
    expect(n!.points.reduce((s, p) => s + (p.values.drop ?? 0), 0)).toBe(4000);
  });
});
