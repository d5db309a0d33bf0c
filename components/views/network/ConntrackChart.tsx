"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ConntrackNodeDto } from "@/lib/schemas/views-network";

const COLORS = ["#dc2626", "#d97706", "#4f46e5", "#0891b2", "#16a34a", "#9333ea", "#db2777", "#64748b"];

const hhmm = (ts: number) => new Date(ts).toISOString().slice(11, 19);

/** Deltas between consecutive snapshots, one line per counter (summed over CPUs). */
export function ConntrackChart({ n }: { n: ConntrackNodeDto }) {
  const rows = n.points.map((p, i) => ({ x: p.ts ?? i, ...Object.fromEntries(n.counters.map((c) => [c, p.values[c] ?? null])) }));
  const timed = n.points.every((p) => p.ts !== null);
  return (
    <div className="h-56 w-full" role="img" aria-label={`conntrack counter deltas on ${n.node}: ${n.counters.join(", ")}`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--hs-border)" strokeDasharray="3 3" />
          <XAxis dataKey="x" type={timed ? "number" : "category"} domain={timed ? ["dataMin", "dataMax"] : undefined} tickFormatter={(v: number) => (timed ? hhmm(v) : String(v))} stroke="var(--hs-muted)" fontSize={11} padding={{ left: 20, right: 20 }} />
          <YAxis stroke="var(--hs-muted)" fontSize={11} width={56} allowDecimals={false} />
          <Tooltip
            contentStyle={{ background: "var(--hs-surface)", border: "1px solid var(--hs-border)", fontSize: 12, color: "var(--hs-fg)" }}
            labelFormatter={(v) => (timed && typeof v === "number" ? `${new Date(v).toISOString().replace("T", " ").slice(0, 19)} UTC` : `snapshot ${v}`)}
            formatter={(v) => (v === null ? "reset" : v)}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {n.counters.map((c, i) => (
            <Line key={c} type="linear" dataKey={c} stroke={COLORS[i % COLORS.length]} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} connectNulls={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
