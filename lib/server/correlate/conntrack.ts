import type { CounterRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";

export interface CounterDelta {
  name: string;
  labels: Record<string, string>;
  fromTs: EpochMs | null;
  toTs: EpochMs | null;
  /** value(to) − value(from); null when the counter went down (reboot / netns recreated). */
  delta: number | null;
  /** delta per second when both timestamps are known and differ. */
  perSecond: number | null;
  reset: boolean;
}

/**
 * Per-series deltas between consecutive snapshots (pure). Series = name + labels; within a
 * series, records are ordered by ts (stable: records without ts keep their input order, which is
 * file order when they come from one parse).
 *
 *   snapshot t0: cpu=1 insert_failed=100   ─┐
 *   snapshot t1: cpu=1 insert_failed=160   ─┴→ delta 60 over t1−t0
 */
export function conntrackDeltas(counters: readonly CounterRecord[]): CounterDelta[] {
  const series = new Map<string, CounterRecord[]>();
  for (const c of counters) {
    const key = JSON.stringify([c.name, Object.entries(c.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
    let l = series.get(key);
    if (!l) series.set(key, (l = []));
    l.push(c);
  }
  const out: CounterDelta[] = [];
  for (const list of series.values()) {
    const ordered = list.every((c) => c.ts !== null) ? [...list].sort((a, b) => (a.ts as number) - (b.ts as number)) : list;
    for (let i = 1; i < ordered.length; i++) {
      const a = ordered[i - 1]!;
      const b = ordered[i]!;
      const reset = b.value < a.value;
      const delta = reset ? null : b.value - a.value;
      const seconds = a.ts !== null && b.ts !== null ? (b.ts - a.ts) / 1000 : null;
      out.push({ name: b.name, labels: b.labels, fromTs: a.ts, toTs: b.ts, delta, perSecond: delta !== null && seconds ? delta / seconds : null, reset });
    }
  }
  return out;
}
