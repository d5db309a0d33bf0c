import { durationMs, elapsed, type DurationMs } from "@/lib/schemas/time";
import type { SkewEstimate } from "./schema";
import type { FileInfo, KeySighting } from "./store";

/**
 * Clock-skew estimation between files.
 *
 * The same request seen by two sources (x-request-id in an Envoy log and an nginx log, a trace id
 * in a trace export and an access log, a client ip:port→dest ip:port connection in ztunnel and
 * Envoy) gives one delta = tsB − tsA. Deltas include real hop latency, so we take the median per
 * file pair and only *apply* a correction when it exceeds MIN_APPLY_MS (hop latency in a cluster
 * is milliseconds; clock skew that matters is hundreds).
 *
 *   file A (reference) ──●──────────●────────●──────▶
 *   file B (+1.2 s)      ─────────●──────────●────────●──▶   median(B−A) ≈ +1200 ms → shift B by −1200
 *
 * Per-file skew is relative to a reference (the file with the most shared keys), propagated
 * breadth-first over pairs with ≥ MIN_SAMPLES matches. Overrides (fileId → skewMs) win.
 */
export const MIN_SAMPLES = 3;
export const MIN_APPLY_MS = 100;
const MAX_DELTAS_PER_PAIR = 5000;

type Basis = "request-id" | "trace-id" | "connection";
interface Pair {
  a: string;
  b: string;
  deltas: DurationMs[];
  basis: Map<Basis, number>;
}

function median(xs: DurationMs[]): DurationMs {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : durationMs((s[m - 1]! + s[m]!) / 2);
}

export function estimateSkew(
  keys: Map<string, KeySighting[]>,
  files: FileInfo[],
  overrides: Record<string, number> = {},
): SkewEstimate[] {
  const pairs = new Map<string, Pair>();
  for (const [key, sightings] of keys) {
    if (sightings.length < 2) continue;
    const basis: Basis = key.startsWith("rid:") ? "request-id" : key.startsWith("trace:") ? "trace-id" : "connection";
    for (let i = 0; i < sightings.length; i++)
      for (let j = i + 1; j < sightings.length; j++) {
        let x = sightings[i]!;
        let y = sightings[j]!;
        if (x.fileId > y.fileId) [x, y] = [y, x];
        const id = `${x.fileId}\u0000${y.fileId}`;
        let p = pairs.get(id);
        if (!p) pairs.set(id, (p = { a: x.fileId, b: y.fileId, deltas: [], basis: new Map() }));
        if (p.deltas.length < MAX_DELTAS_PER_PAIR) p.deltas.push(elapsed(x.ts, y.ts));
        p.basis.set(basis, (p.basis.get(basis) ?? 0) + 1);
      }
  }
  const usable = [...pairs.values()].filter((p) => p.deltas.length >= MIN_SAMPLES);
  // Adjacency: skew(b) = skew(a) + median(b − a)
  const adj = new Map<string, { to: string; delta: DurationMs; n: number; basis: Basis }[]>();
  const degree = new Map<string, number>();
  for (const p of usable) {
    const d = median(p.deltas);
    const basis = [...p.basis.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0];
    (adj.get(p.a) ?? adj.set(p.a, []).get(p.a)!).push({ to: p.b, delta: d, n: p.deltas.length, basis });
    (adj.get(p.b) ?? adj.set(p.b, []).get(p.b)!).push({ to: p.a, delta: durationMs(-d), n: p.deltas.length, basis });
    degree.set(p.a, (degree.get(p.a) ?? 0) + p.deltas.length);
    degree.set(p.b, (degree.get(p.b) ?? 0) + p.deltas.length);
  }
  const est = new Map<string, { skew: DurationMs; n: number; basis: Basis | "reference"; rel: string | null }>();
  const roots = [...degree.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map((e) => e[0]);
  for (const root of roots) {
    if (est.has(root)) continue;
    est.set(root, { skew: durationMs(0), n: degree.get(root) ?? 0, basis: "reference", rel: null });
    const queue = [root];
    while (queue.length) {
      const cur = queue.shift()!;
      const base = est.get(cur)!.skew;
      for (const e of (adj.get(cur) ?? []).sort((x, y) => y.n - x.n || (x.to < y.to ? -1 : 1))) {
        if (est.has(e.to)) continue;
        est.set(e.to, { skew: durationMs(base + e.delta), n: e.n, basis: e.basis, rel: root });
        queue.push(e.to);
      }
    }
  }
  const pathOf = new Map(files.map((f) => [f.fileId, f.path]));
  const out: SkewEstimate[] = [];
  for (const f of [...files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))) {
    const o = overrides[f.fileId];
    if (o !== undefined && Number.isFinite(o)) {
      out.push({ fileId: f.fileId, path: f.path, skewMs: durationMs(o), appliedMs: durationMs(o), basis: "override", samples: 0, relativeTo: null, note: "set by the user" });
      continue;
    }
    const e = est.get(f.fileId);
    if (!e) continue;
    const rounded = durationMs(Math.round(e.skew));
    const applied = Math.abs(rounded) >= MIN_APPLY_MS ? rounded : durationMs(0);
    out.push({
      fileId: f.fileId,
      path: f.path,
      skewMs: rounded,
      appliedMs: applied,
      basis: e.basis,
      samples: e.n,
      relativeTo: e.rel ? (pathOf.get(e.rel) ?? e.rel) : null,
      note: e.basis === "reference" ? "reference clock" : applied === 0 ? `within ±${MIN_APPLY_MS} ms: treated as hop latency, not corrected` : undefined,
    });
  }
  return out;
}
