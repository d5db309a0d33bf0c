"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { LazyMount } from "@/components/ui/LazyMount";
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { LatencyDto, LatencyHistogramDto } from "@/lib/schemas/views-latency";
import { integer, latencyMs } from "@/components/format";
import { PercentileTable } from "@/components/ui/PercentileTable";

const PHASE_COLOURS = { before: "#14b8a6", during: "#ef4444", after: "#6366f1" } as const;
const PHASE_ORDER = ["before", "during", "after"] as const;

/** The phases of one histogram as a PercentileTable (shared with compare's latency table). */
function PhasePercentiles({ h }: { h: LatencyHistogramDto }) {
  return (
    <PercentileTable
      caption={`Percentiles of ${h.hop} ${h.metric}`}
      rowHeader="Phase"
      countHeader="n"
      rows={PHASE_ORDER.map((phase) => ({ key: phase, label: phase, colour: PHASE_COLOURS[phase], percentiles: h.phases[phase] }))}
    />
  );
}

/** Log-scale histogram: one bar group per bucket, phases overlaid as share of each phase's requests. */
function HistogramChart({ h }: { h: LatencyHistogramDto }) {
  const totals = { before: h.phases.before?.count ?? 0, during: h.phases.during?.count ?? 0, after: h.phases.after?.count ?? 0 };
  const data = h.buckets.map((b) => ({
    label: latencyMs(b.loMs),
    lo: b.loMs,
    before: totals.before ? b.before / totals.before : 0,
    during: totals.during ? b.during / totals.during : 0,
    after: totals.after ? b.after / totals.after : 0,
    raw: b,
  }));
  // Percentile markers (during) snap to the bucket containing them.
  const markerAt = (v: number | null | undefined) => (v == null ? null : data.find((d) => v >= d.raw.loMs && v < d.raw.hiMs)?.label ?? null);
  const d = h.phases.during ?? h.phases.before ?? h.phases.after;
  // Percentiles in the same bucket share one line and one label ("p90 · p99 · p99.9"): separate
  // labels at the same x were drawn on top of each other.
  const markers: Array<{ name: string; at: string }> = [];
  if (d) {
    for (const [name, v] of [["p50", d.p50], ["p90", d.p90], ["p99", d.p99], ["p99.9", d.p999]] as const) {
      const at = markerAt(v);
      if (!at) continue;
      const same = markers.find((m) => m.at === at);
      if (same) same.name = `${same.name} · ${name}`;
      else markers.push({ name, at });
    }
  }
  const phases = (["before", "during", "after"] as const).filter((p) => totals[p] > 0);
  return (
    <div className="h-[220px] w-full" role="img" aria-label={`Latency histogram for ${h.hop} (${h.metric}), log-scale buckets`}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 16, right: 8, bottom: 0, left: 0 }} barGap={0} barCategoryGap={1}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--hs-border)" vertical={false} />
          <XAxis dataKey="label" stroke="var(--hs-muted)" fontSize={10} interval="preserveStartEnd" minTickGap={24} />
          <YAxis stroke="var(--hs-muted)" fontSize={10} width={40} tickFormatter={(v) => `${Math.round(Number(v) * 100)}%`} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: "var(--hs-surface)", border: "1px solid var(--hs-border)", fontSize: 12, color: "var(--hs-fg)" }}
            labelFormatter={(_l, payload) => {
              const b = (payload?.[0]?.payload as { raw?: { loMs: number; hiMs: number } } | undefined)?.raw;
              return b ? `${latencyMs(b.loMs)} – ${latencyMs(b.hiMs)}` : "";
            }}
            formatter={(v, name, item) => {
              const raw = (item?.payload as { raw?: Record<string, number> } | undefined)?.raw;
              return [`${(Number(v) * 100).toFixed(1)}% (${integer(raw?.[String(name)] ?? 0)})`, String(name)];
            }}
          />
          {/* Time order (before, during, after), not Recharts' default alphabetical order. */}
          <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={(item) => PHASE_ORDER.indexOf(String(item.dataKey ?? item.value) as (typeof PHASE_ORDER)[number])} />
          {phases.map((p) => (
            <Bar key={p} dataKey={p} fill={PHASE_COLOURS[p]} fillOpacity={p === "during" ? 0.85 : 0.55} isAnimationActive={false} />
          ))}
          {markers.map((m) => (
            <ReferenceLine key={m.at} x={m.at} stroke="var(--hs-fg)" strokeDasharray="2 2" label={{ value: m.name, position: "top", fontSize: 10, fill: "var(--hs-muted)" }} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function LatencyView({ incidentId, data }: { incidentId: string; data: LatencyDto }) {
  const router = useRouter();
  const pathname = usePathname();
  const base = `/incidents/${encodeURIComponent(incidentId)}`;
  const duration = data.histograms.filter((h) => h.metric === "duration");
  const connectByHop = new Map(data.histograms.filter((h) => h.metric === "connect").map((h) => [h.hop, h]));
  const c = data.comparison;
  const windowRange: Record<string, string> =
    data.window.onset !== null && data.window.recovery !== null ? { from: String(data.window.onset), to: String(data.window.recovery + 1000) } : {};
  const evidenceHref = (attribute: string, value: string) => {
    const p: Record<string, string> = { kind: "request", ...windowRange, ...(data.service ? { service: data.service } : {}) };
    if (attribute === "node") p.node = value;
    else if (attribute !== "source") p.q = value;
    else p.source = value;
    return `${base}/timeline?${new URLSearchParams(p)}`;
  };

  if (data.services.length === 0) {
    return (
      <div className="rounded-lg border border-dashed border-line-strong bg-surface px-4 py-10 text-center text-sm text-muted">
        No latency data: this incident has no request logs or spans with durations. Upload access logs (Envoy, ztunnel, nginx) or traces to see latency
        distributions.
      </div>
    );
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-0.5 text-xs">
          <span className="text-muted">Service</span>
          <select
            value={data.service ?? ""}
            onChange={(e) => router.replace(`${pathname}?${new URLSearchParams({ service: e.target.value })}`, { scroll: false })}
            className="min-w-64 rounded border border-line-strong bg-bg px-2 py-1 text-sm"
          >
            {data.services.map((s) => (
              <option key={s.service} value={s.service}>
                {s.service} ({integer(s.count)})
              </option>
            ))}
          </select>
        </label>
        <p className="text-xs text-muted">
          {data.window.onset !== null
            ? "Before / during / after the incident window, each phase as a share of its own requests (so shapes compare at any volume)."
            : "No incident window was detected: everything is shown as one phase."}{" "}
          Buckets are log-scale (5 per decade).
        </p>
      </div>

      <div className="grid gap-4 xl:grid-cols-2">
        {duration.map((h, i) => {
          const connect = connectByHop.get(h.hop);
          return (
            <section key={h.hop} aria-label={`Latency ${h.hop}`} className="rounded-lg border border-line bg-surface p-3">
              <h2 className="mb-1 font-mono text-sm font-semibold break-all">
                {h.hop === "all" ? `${h.service} — all hops` : h.hop}
              </h2>
              {/* The first row draws at once; the others as they scroll into view. */}
              <LazyMount height={220} eager={i < 2}>
                <HistogramChart h={h} />
              </LazyMount>
              <div className="mt-2 overflow-x-auto">
                <PhasePercentiles h={h} />
              </div>
              {connect ? (
                <details className="mt-2">
                  <summary className="cursor-pointer text-xs text-muted select-none hover:text-fg">
                    Connect time vs total — connect p99 during {latencyMs(connect.phases.during?.p99 ?? connect.phases.before?.p99)} of total{" "}
                    {latencyMs(h.phases.during?.p99 ?? h.phases.before?.p99)}
                  </summary>
                  <HistogramChart h={connect} />
                  <PhasePercentiles h={connect} />
                </details>
              ) : null}
            </section>
          );
        })}
      </div>

      <section aria-labelledby="differs-heading" className="rounded-lg border border-line bg-surface p-3">
        <div className="mb-2 flex flex-wrap items-baseline gap-x-3">
          <h2 id="differs-heading" className="text-sm font-semibold">
            What differs: slow vs fast requests
          </h2>
          <span className="text-xs text-muted">
            {c.thresholdMs !== null ? (
              <>
                slowest 5% (≥ {latencyMs(c.thresholdMs)}, {integer(c.slow)} requests) vs the other {integer(c.fast)} — {c.scope}
                {c.truncated ? `, first ${integer(c.sampled)} sampled` : ""}
              </>
            ) : (
              `not enough requests with durations (${integer(c.sampled)}) — ${c.scope}`
            )}
          </span>
        </div>
        {c.attributes.length === 0 ? (
          <p className="text-sm text-muted">No attribute separates slow from fast requests here. Try another service, or check the whole time range in the Timeline.</p>
        ) : (
          <div className="grid gap-3 md:grid-cols-2 xl:grid-cols-3">
            {c.attributes.slice(0, 9).map((a) => (
              <div key={a.attribute} className="rounded-md border border-line bg-bg/60 p-2">
                <h3 className="mb-1 text-xs font-semibold">
                  {a.attribute} <span className="font-normal text-faint">max difference {Math.round(a.maxDiff * 100)} pts</span>
                </h3>
                <table className="w-full text-xs">
                  <thead className="text-muted">
                    <tr>
                      <th scope="col" className="text-left font-medium">Value</th>
                      <th scope="col" className="w-28 text-left font-medium">
                        <span className="text-red-600 dark:text-red-400">slow</span> / <span className="text-teal-600 dark:text-teal-400">fast</span>
                      </th>
                      <th scope="col" className="w-12 text-right font-medium">Δ</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.values.map((v) => (
                      <tr key={v.value}>
                        <td className="max-w-0 truncate py-0.5 pr-2 font-mono" title={v.value}>
                          <Link href={evidenceHref(a.attribute, v.value)} className="hover:text-accent hover:underline">
                            {v.value}
                          </Link>
                        </td>
                        <td className="py-0.5">
                          <div className="space-y-0.5" title={`slow ${integer(v.slow)} (${Math.round(v.slowShare * 100)}%), fast ${integer(v.fast)} (${Math.round(v.fastShare * 100)}%)`}>
                            <div className="h-1.5 rounded-sm bg-red-500" style={{ width: `${Math.max(1, v.slowShare * 100)}%` }} />
                            <div className="h-1.5 rounded-sm bg-teal-500" style={{ width: `${Math.max(1, v.fastShare * 100)}%` }} />
                          </div>
                        </td>
                        <td className={`num py-0.5 text-right font-mono ${v.diff > 0 ? "text-red-700 dark:text-red-300" : "text-muted"}`}>
                          {v.diff > 0 ? "+" : ""}
                          {Math.round(v.diff * 100)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
