"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import type { TraceDetailDto, TracesViewDto, TraceSummaryDto } from "@/lib/schemas/views-traces";
import { absoluteTime, durationMs, integer } from "@/components/format";
import { EmptyState } from "@/components/ui/EmptyState";
import { EvidenceLink } from "@/components/ui/EvidenceLink";
import { Waterfall } from "./Waterfall";

function useHref() {
  const pathname = usePathname();
  const search = useSearchParams();
  return (next: Record<string, string | null>) => {
    const p = new URLSearchParams(search?.toString() ?? "");
    for (const [k, v] of Object.entries(next)) (v === null ? p.delete(k) : p.set(k, v));
    p.delete("span");
    const qs = p.toString();
    return qs ? `${pathname}?${qs}` : (pathname ?? "");
  };
}

function TraceTable({ title, rows, incidentId, selected, compare, empty }: { title: string; rows: TraceSummaryDto[]; incidentId: string; selected: string | null; compare: string | null; empty: string }) {
  const href = useHref();
  const id = `traces-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section aria-labelledby={id} className="min-w-0 overflow-hidden rounded-lg border border-line bg-surface">
      <h2 id={id} className="border-b border-line px-3 py-2 text-sm font-semibold">
        {title}
      </h2>
      {rows.length ? (
        <div className="max-h-72 overflow-y-auto">
          <table className="w-full table-fixed text-left text-xs">
            <thead className="sticky top-0 bg-subtle text-[11px] text-muted uppercase">
              <tr>
                <th scope="col" className="px-2 py-1 font-medium">Route (root span)</th>
                <th scope="col" className="w-20 px-2 py-1 text-right font-medium">Duration</th>
                <th scope="col" className="w-14 px-2 py-1 text-right font-medium">Spans</th>
                <th scope="col" className="w-14 px-2 py-1 text-right font-medium">Errors</th>
                <th scope="col" className="w-20 px-2 py-1 font-medium"><span className="sr-only">Baseline</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.traceId} className={`border-t border-line ${selected === r.traceId ? "bg-accent-soft" : ""}`}>
                  <td className="truncate px-2 py-1">
                    <Link href={href({ trace: r.traceId, compare: null })} scroll={false} aria-current={selected === r.traceId ? "true" : undefined} className="font-medium hover:text-accent hover:underline" title={`${r.route} — trace ${r.traceId}`}>
                      {r.route}
                    </Link>
                    <div className="truncate font-mono text-[10px] text-faint">{r.traceId}</div>
                  </td>
                  <td className="num px-2 py-1 text-right font-mono">
                    <EvidenceLink incidentId={incidentId} record={r.rootId}>{durationMs(r.durationMs)}</EvidenceLink>
                  </td>
                  <td className="num px-2 py-1 text-right font-mono" title={r.partial ? "More spans of this trace are in the file; opening it reads them" : undefined}>
                    {integer(r.spans)}
                    {r.partial ? "+" : ""}
                  </td>
                  <td className={`num px-2 py-1 text-right font-mono ${r.errors ? "text-red-700 dark:text-red-300" : "text-faint"}`}>{r.errors}</td>
                  <td className="px-2 py-1 text-right">
                    {selected && selected !== r.traceId ? (
                      <Link href={href({ compare: r.traceId })} scroll={false} className={`rounded border px-1 py-0.5 text-[10px] ${compare === r.traceId ? "border-accent bg-accent-soft" : "border-line text-muted hover:text-fg"}`} aria-label={`Compare against trace ${r.traceId}`}>
                        baseline
                      </Link>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="px-3 py-4 text-xs text-muted">{empty}</p>
      )}
    </section>
  );
}

function Comparison({ d, incidentId }: { d: TraceDetailDto; incidentId: string }) {
  const c = d.comparison;
  if (!c)
    return (
      <p className="text-sm text-muted">
        No other trace with the root span <span className="font-mono">{d.summary.route}</span> to compare with — pick a baseline in the lists above.
      </p>
    );
  const max = Math.max(1, ...c.rows.map((r) => Math.abs(r.diffMs)));
  return (
    <div className="overflow-hidden rounded-lg border border-line bg-surface">
      <p className="border-b border-line px-3 py-2 text-xs text-muted">
        This trace <span className="num font-mono text-fg">{durationMs(d.summary.durationMs)}</span> vs {c.candidates ? "the median" : "the chosen"} trace of the same route{" "}
        <span className="font-mono text-fg">{c.typical.traceId}</span> <span className="num font-mono text-fg">{durationMs(c.typical.durationMs)}</span>
        {c.candidates ? <span className="num"> (median of {integer(c.candidates + 1)})</span> : null}. Spans aligned by their name path; ×n = several spans on that path (retries).
      </p>
      <div className="max-h-96 overflow-auto">
        <table className="w-full min-w-[720px] table-fixed text-left text-xs">
          <caption className="sr-only">Per-span latency difference, slow trace minus typical trace</caption>
          <thead className="sticky top-0 bg-subtle text-[11px] text-muted uppercase">
            <tr>
              <th scope="col" className="px-2 py-1 font-medium">Span path</th>
              <th scope="col" className="w-24 px-2 py-1 text-right font-medium">This trace</th>
              <th scope="col" className="w-24 px-2 py-1 text-right font-medium">Typical</th>
              <th scope="col" className="w-24 px-2 py-1 text-right font-medium">Difference</th>
              <th scope="col" className="w-40 px-2 py-1 font-medium"><span className="sr-only">Difference bar</span></th>
            </tr>
          </thead>
          <tbody>
            {c.rows.map((r) => {
              const label = r.path.split(" > ").at(-1)!;
              return (
                <tr key={r.path} className="border-t border-line">
                  <td className="truncate px-2 py-1 font-mono" title={r.path} style={{ paddingLeft: `${8 + Math.min(r.depth, 20) * 12}px` }}>
                    {label}
                  </td>
                  <td className="num px-2 py-1 text-right font-mono">
                    {r.slowCount ? <EvidenceLink incidentId={incidentId} record={r.slowId}>{durationMs(r.slowMs)}{r.slowCount > 1 ? ` ×${r.slowCount}` : ""}</EvidenceLink> : <span className="text-faint">absent</span>}
                  </td>
                  <td className="num px-2 py-1 text-right font-mono">
                    {r.typicalCount ? <EvidenceLink incidentId={incidentId} record={r.typicalId}>{durationMs(r.typicalMs)}{r.typicalCount > 1 ? ` ×${r.typicalCount}` : ""}</EvidenceLink> : <span className="text-faint">absent</span>}
                  </td>
                  <td className={`num px-2 py-1 text-right font-mono ${r.diffMs > 0 ? "text-red-700 dark:text-red-300" : "text-emerald-700 dark:text-emerald-300"}`}>
                    {r.diffMs > 0 ? "+" : r.diffMs < 0 ? "−" : ""}
                    {durationMs(Math.abs(r.diffMs))}
                  </td>
                  <td className="px-2 py-1" aria-hidden>
                    <div className="relative h-2 rounded bg-subtle">
                      <div className={`absolute top-0 h-2 rounded ${r.diffMs > 0 ? "left-1/2 bg-red-500/70" : "right-1/2 bg-emerald-500/70"}`} style={{ width: `${(Math.abs(r.diffMs) / max) * 50}%` }} />
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function TracesView({ incidentId, data, selected, compare }: { incidentId: string; data: TracesViewDto; selected: string | null; compare: string | null }) {
  if (!data.totalSpans)
    return (
      <EmptyState title="No traces in this bundle">
        Add AWS X-Ray (<code className="font-mono">aws xray batch-get-traces</code> output) or OpenTelemetry OTLP/JSON trace exports covering the incident window, then upload them to this incident.
      </EmptyState>
    );
  const d = data.detail;
  return (
    <div className="space-y-4">
      <p className="num text-sm text-muted">{integer(data.totalSpans)} spans in this incident; lists show the {data.slowest.length} slowest traces and traces with errors.</p>
      <div className="grid gap-4 lg:grid-cols-2">
        <TraceTable title="Slowest traces" rows={data.slowest} incidentId={incidentId} selected={selected} compare={compare} empty="No trace has a duration." />
        <TraceTable title="Failed traces" rows={data.failed} incidentId={incidentId} selected={selected} compare={compare} empty="No span failed (status error, fault or HTTP 5xx)." />
      </div>
      {d ? (
        <>
          <section aria-labelledby="waterfall-heading" className="space-y-2">
            <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
              <h2 id="waterfall-heading" className="text-base font-semibold">
                {d.summary.route}
              </h2>
              <span className="font-mono text-xs text-muted">{d.summary.traceId}</span>
              <span className="num text-xs text-muted">
                {d.summary.start != null ? absoluteTime(new Date(d.summary.start).toISOString()) : ""} · {durationMs(d.summary.durationMs)} · {integer(d.summary.spans)} spans
              </span>
              <span className="num flex gap-1.5 text-[11px]">
                <span className={`rounded px-1.5 font-medium ${d.errors ? "bg-red-100 text-red-900 dark:bg-red-400/20 dark:text-red-200" : "bg-subtle text-muted"}`}>{d.errors} errors/resets</span>
                <span className={`rounded px-1.5 font-medium ${d.retries ? "bg-amber-100 text-amber-900 dark:bg-amber-400/20 dark:text-amber-200" : "bg-subtle text-muted"}`}>{d.retries} retries</span>
                <span className={`rounded px-1.5 font-medium ${d.gaps ? "bg-sky-100 text-sky-900 dark:bg-sky-400/20 dark:text-sky-200" : "bg-subtle text-muted"}`}>{d.gaps} connect gaps</span>
              </span>
            </div>
            <Waterfall incidentId={incidentId} detail={d} />
          </section>
          <section aria-labelledby="compare-heading" className="space-y-2">
            <h2 id="compare-heading" className="text-base font-semibold">
              Where the time went: this trace vs a typical one
            </h2>
            <Comparison d={d} incidentId={incidentId} />
          </section>
        </>
      ) : (
        <EmptyState title="Pick a trace">Choose a trace in either list to see its waterfall (retries, resets and connect gaps) and how it compares with a typical trace of the same route.</EmptyState>
      )}
    </div>
  );
}
