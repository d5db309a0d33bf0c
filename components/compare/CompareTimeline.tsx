"use client";

import Link from "next/link";
import { Bar, CartesianGrid, ComposedChart, Line, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { CompareDto, CompareEvent } from "@/lib/schemas/compare";
import { integer } from "@/components/format";
import { useSearchParamState } from "@/components/ui/useSearchParamState";
import { incidentColour, incidentLetter, relTick, relTime } from "./shared";

const ERROR_COLOUR = "#ef4444";
const EVENT_LABEL: Record<CompareEvent["kind"], string> = {
  onset: "onset",
  peak: "peak",
  recovery: "recovery",
  alert: "alert",
  timeline: "timeline",
  evidence: "evidence",
};

function ticks(fromRel: number, toRel: number): number[] {
  const span = toRel - fromRel;
  const steps = [60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];
  const step = steps.find((s) => span / s <= 10) ?? Math.ceil(span / 10 / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(fromRel / step) * step; t <= toRel; t += step) out.push(t);
  return out;
}

/** One incident's event and error rate on the shared relative axis, its window shaded, its key events marked. */
function AlignedChart({ data, index, title }: { data: CompareDto; index: number; title: string }) {
  const inc = data.incidents[index]!;
  const series = data.timeline.series.find((s) => s.incidentId === inc.id);
  const { fromRel, toRel } = data.timeline;
  const events = data.timeline.events.filter((e) => e.incidentId === inc.id && (e.kind === "timeline" || e.kind === "alert"));
  const colour = incidentColour(index);
  const points = series?.points.filter((p) => p.rel >= fromRel - data.timeline.bucketMs && p.rel <= toRel) ?? [];
  const letter = incidentLetter(index);
  if (inc.t0 === null || !series) {
    return <p className="px-3 py-6 text-sm text-muted">{letter}: no timestamped records — nothing to align.</p>;
  }
  return (
    <div
      className="h-[150px] w-full"
      role="img"
      aria-label={`${letter} ${title}: ${integer(series.total)} records from ${relTime(fromRel)} to ${relTime(toRel)} around ${inc.alignedAt === "onset" ? "the onset" : "the first record"}; events are listed in the table below.`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} barCategoryGap={0}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--hs-border)" vertical={false} />
          <XAxis dataKey="rel" type="number" domain={[fromRel, toRel]} ticks={ticks(fromRel, toRel)} tickFormatter={(v) => relTick(Number(v))} stroke="var(--hs-muted)" fontSize={11} allowDataOverflow />
          <YAxis stroke="var(--hs-muted)" fontSize={11} width={40} allowDecimals={false} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: "var(--hs-surface)", border: "1px solid var(--hs-border)", fontSize: 12, color: "var(--hs-fg)" }}
            labelFormatter={(v) => `${relTime(Number(v))} from ${inc.alignedAt === "onset" ? "onset" : "first record"}`}
            formatter={(v, name) => [integer(Number(v)), name === "total" ? "records" : "errors"]}
          />
          {inc.recoveryRel !== null ? <ReferenceArea x1={0} x2={Math.min(inc.recoveryRel, toRel)} fill={ERROR_COLOUR} fillOpacity={0.08} ifOverflow="hidden" /> : null}
          <Bar dataKey="total" fill={colour} fillOpacity={0.75} isAnimationActive={false} barSize={Math.max(1, Math.floor(600 / Math.max(1, points.length)))} />
          <Line dataKey="errors" type="monotone" stroke={ERROR_COLOUR} strokeWidth={1.5} dot={false} isAnimationActive={false} />
          <ReferenceLine x={0} stroke="var(--hs-fg)" strokeDasharray="3 3" label={{ value: "t = 0", position: "insideTopLeft", fontSize: 10, fill: "var(--hs-muted)" }} />
          {events.map((e, i) => (
            <ReferenceLine key={i} x={e.rel} stroke={e.kind === "alert" ? "#f59e0b" : "var(--hs-muted)"} strokeOpacity={0.7} strokeDasharray="1 3" ifOverflow="hidden" />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/**
 * Timelines aligned at onset: one chart per incident on the same relative axis (records per
 * interval, errors as a red line, the window shaded, human timeline entries as dotted lines), and
 * every key event of every incident in one table ordered by time from onset.
 */
const SPANS = [2, 10, 30, 120, 720] as const;
const spanLabel = (m: number) => (m < 60 ? `${m} min` : `${m / 60} h`);

export function CompareTimeline({ data }: { data: CompareDto }) {
  const { params, set, pending } = useSearchParamState();
  const span = params.get("span") ?? "";
  const indexOf = new Map(data.incidents.map((inc, i) => [inc.id, i]));
  const bucket = data.timeline.bucketMs >= 60_000 ? `${data.timeline.bucketMs / 60_000} min` : `${data.timeline.bucketMs / 1000} s`;
  return (
    <section aria-labelledby="aligned-heading" className="space-y-3 rounded-lg border border-line bg-surface p-3" aria-busy={pending}>
      <div className="flex flex-wrap items-end gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <h2 id="aligned-heading" className="text-sm font-semibold">
            Timelines aligned at onset
          </h2>
          <p className="text-xs text-muted">
            t = 0 is each incident&apos;s detected onset ({relTime(data.timeline.fromRel)} to {relTime(data.timeline.toRel)}, {bucket} per bar). Shaded: the
            incident window. Red line: errors. Dotted lines: human timeline entries.
          </p>
        </div>
        <label className="flex flex-col gap-0.5 text-xs">
          <span className="font-medium text-muted">Time after onset</span>
          <select value={span} onChange={(e) => set({ span: e.target.value || null })} className="h-8 rounded-md border border-line-strong bg-surface px-2 text-sm">
            <option value="">Fit the longest window</option>
            {SPANS.map((m) => (
              <option key={m} value={m}>
                {spanLabel(m)}
              </option>
            ))}
            {span && !SPANS.includes(Number(span) as (typeof SPANS)[number]) ? <option value={span}>{span} min</option> : null}
          </select>
        </label>
      </div>
      <div className="space-y-2">
        {data.incidents.map((inc, i) => (
          <div key={inc.id} className="rounded-md border border-line">
            <div className="flex flex-wrap items-baseline gap-x-2 border-b border-line px-3 py-1.5 text-sm">
              <span aria-hidden="true" className="inline-flex size-5 items-center justify-center rounded text-[11px] font-bold text-white" style={{ background: incidentColour(i) }}>
                {incidentLetter(i)}
              </span>
              <Link href={`/incidents/${encodeURIComponent(inc.id)}/timeline`} className="font-medium hover:text-accent hover:underline">
                {inc.title || "(untitled)"}
              </Link>
              {inc.alignedAt !== "onset" ? (
                <span className="rounded bg-amber-100 px-1.5 text-[11px] font-medium text-amber-900 dark:bg-amber-400/20 dark:text-amber-200">
                  {inc.alignedAt === "first-record" ? "no onset detected: aligned at the first record" : "not aligned"}
                </span>
              ) : null}
            </div>
            <AlignedChart data={data} index={i} title={inc.title} />
          </div>
        ))}
      </div>
      <div className="overflow-x-auto">
        <table className="w-full min-w-[640px] border-collapse text-sm">
          <caption className="sr-only">Key events of the compared incidents by time from onset</caption>
          <thead className="border-b border-line text-left text-xs text-muted">
            <tr>
              <th scope="col" className="w-28 px-2 py-1.5 text-right font-medium">From onset</th>
              <th scope="col" className="w-16 px-2 py-1.5 font-medium">Incident</th>
              <th scope="col" className="w-24 px-2 py-1.5 font-medium">Kind</th>
              <th scope="col" className="px-2 py-1.5 font-medium">Event</th>
            </tr>
          </thead>
          <tbody>
            {data.timeline.events.length === 0 ? (
              <tr>
                <td colSpan={4} className="px-2 py-4 text-center text-muted">
                  No key events in this range: the incidents have no detected window, human timeline or timestamped evidence here.
                </td>
              </tr>
            ) : null}
            {data.timeline.events.map((e, k) => {
              const i = indexOf.get(e.incidentId) ?? 0;
              return (
                <tr key={k} className="border-b border-line last:border-b-0 align-top">
                  <td className="num px-2 py-1 text-right font-mono text-xs whitespace-nowrap">{relTime(e.rel)}</td>
                  <td className="px-2 py-1">
                    <span className="inline-flex size-5 items-center justify-center rounded text-[11px] font-bold text-white" style={{ background: incidentColour(i) }} title={data.incidents[i]?.title}>
                      {incidentLetter(i)}
                    </span>
                  </td>
                  <td className="px-2 py-1 text-xs text-muted">{EVENT_LABEL[e.kind]}</td>
                  <td className="px-2 py-1">
                    <Link href={e.href} prefetch={false} className="hover:text-accent hover:underline">
                      {e.label}
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
