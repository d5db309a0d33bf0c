"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { CompareDto } from "@/lib/schemas/compare";
import { integer, latencyMs } from "@/components/format";
import { PercentileTable } from "@/components/ui/PercentileTable";
import { useSearchParamState } from "@/components/ui/useSearchParamState";
import { incidentColour, incidentLetter } from "./shared";

/**
 * Latency distributions overlaid: every incident's request durations on the same log-scale
 * buckets, each as a share of its own requests so shapes compare at any volume; the percentile
 * table is the text equivalent.
 */
export function CompareLatency({ data }: { data: CompareDto }) {
  const { set, pending } = useSearchParamState();
  const l = data.latency;
  const key = (i: number) => `i${i}`;
  const totals = l.percentiles.map((p) => p?.count ?? 0);
  const rows = l.buckets.map((b) => {
    const row: Record<string, number | string> = { label: latencyMs(b.loMs), lo: b.loMs, hi: b.hiMs };
    b.counts.forEach((n, i) => {
      row[key(i)] = totals[i] ? n / totals[i]! : 0;
      row[`n${i}`] = n;
    });
    return row;
  });
  const names = data.incidents.map((inc, i) => `${incidentLetter(i)} ${inc.title || "(untitled)"}`);
  const anyData = totals.some((t) => t > 0);
  return (
    <section aria-labelledby="xlatency-heading" className="space-y-3 rounded-lg border border-line bg-surface p-3" aria-busy={pending}>
      <div className="flex flex-wrap items-end gap-x-4 gap-y-2">
        <div>
          <h2 id="xlatency-heading" className="text-sm font-semibold">
            Latency distributions overlaid
          </h2>
          <p className="text-xs text-muted">
            Request durations during each incident&apos;s window (the whole range when it has none), as a share of that incident&apos;s requests; log-scale
            buckets, 5 per decade.
          </p>
        </div>
        <label className="ml-auto flex flex-col gap-0.5 text-xs">
          <span className="font-medium text-muted">Service</span>
          <select
            value={l.service ?? ""}
            onChange={(e) => set({ service: e.target.value || null })}
            className="h-8 min-w-56 rounded-md border border-line-strong bg-surface px-2 text-sm"
          >
            <option value="">Every request (all services and hops)</option>
            {l.services.map((s) => (
              <option key={s.service} value={s.service}>
                {s.service} — in {s.incidents} of {data.incidents.length} ({integer(s.count)})
              </option>
            ))}
          </select>
        </label>
      </div>
      {anyData ? (
        <div className="h-[240px] w-full" role="img" aria-label="Latency histograms of the compared incidents overlaid; the percentiles are in the table below.">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barGap={0} barCategoryGap={1}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--hs-border)" vertical={false} />
              <XAxis dataKey="label" stroke="var(--hs-muted)" fontSize={10} interval="preserveStartEnd" minTickGap={24} />
              <YAxis stroke="var(--hs-muted)" fontSize={10} width={40} tickFormatter={(v) => `${Math.round(Number(v) * 100)}%`} />
              <Tooltip
                isAnimationActive={false}
                contentStyle={{ background: "var(--hs-surface)", border: "1px solid var(--hs-border)", fontSize: 12, color: "var(--hs-fg)" }}
                labelFormatter={(_l, payload) => {
                  const p = payload?.[0]?.payload as { lo?: number; hi?: number } | undefined;
                  return p?.lo !== undefined ? `${latencyMs(p.lo)} – ${latencyMs(p.hi)}` : "";
                }}
                formatter={(v, name, item) => {
                  const i = names.indexOf(String(name));
                  const n = (item?.payload as Record<string, number> | undefined)?.[`n${i}`] ?? 0;
                  return [`${(Number(v) * 100).toFixed(1)}% (${integer(n)})`, String(name)];
                }}
              />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              {data.incidents.map((inc, i) =>
                totals[i] ? <Bar key={inc.id} dataKey={key(i)} name={names[i]} fill={incidentColour(i)} fillOpacity={0.7} isAnimationActive={false} /> : null,
              )}
            </BarChart>
          </ResponsiveContainer>
        </div>
      ) : (
        <p className="rounded-md border border-dashed border-line-strong px-3 py-4 text-sm text-muted">
          {l.service
            ? `None of these incidents has request durations for ${l.service}: choose another service or every request.`
            : "None of these incidents has request durations: upload access logs (Envoy, ztunnel, nginx) or traces to compare latency."}
        </p>
      )}
      <div className="overflow-x-auto">
        <PercentileTable
          caption="Latency percentiles per incident"
          rowHeader="Incident"
          countHeader="requests"
          noteHeader="Scope"
          rows={data.incidents.map((inc, i) => ({
            key: inc.id,
            label: names[i],
            colour: incidentColour(i),
            percentiles: l.percentiles[i] ?? null,
            note: l.scope[i] === "window" ? "window" : "whole range",
          }))}
        />
      </div>
    </section>
  );
}
