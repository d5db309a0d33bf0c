"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import type { CompareDto, CompareIncident } from "@/lib/schemas/compare";
import { absoluteTime, durationMs, integer, latencyMs, percent } from "@/components/format";
import { CompareLatency } from "./CompareLatency";
import { CompareRules } from "./CompareRules";
import { CompareTimeline } from "./CompareTimeline";
import { incidentColour, incidentLetter } from "./shared";

function shortName(service: string): string {
  const dns = /^([a-z0-9-]+)\.[a-z0-9-]+\.svc(\.|$)/i.exec(service);
  return dns ? dns[1]! : service;
}

function rate(v: number | null): string {
  return v == null ? "—" : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

function IncidentHeader({ inc, i }: { inc: CompareIncident; i: number }) {
  return (
    <th scope="col" className="min-w-[12rem] px-3 py-2 text-left align-bottom font-medium">
      <span className="flex items-start gap-1.5">
        <span aria-hidden="true" className="mt-0.5 inline-flex size-5 shrink-0 items-center justify-center rounded text-[11px] font-bold text-white" style={{ background: incidentColour(i) }}>
          {incidentLetter(i)}
        </span>
        <Link href={`/incidents/${encodeURIComponent(inc.id)}`} className="line-clamp-2 text-fg hover:text-accent hover:underline" title={inc.title}>
          <span className="sr-only">{incidentLetter(i)}: </span>
          {inc.title || "(untitled)"}
        </Link>
      </span>
    </th>
  );
}

/** Key figures side by side: the Overview's impact numbers for each incident, one column each. */
function KeyFigures({ data }: { data: CompareDto }) {
  const common = new Set(data.commonServices);
  const rows: Array<[string, (inc: CompareIncident) => ReactNode]> = [
    ["Date", (inc) => <span className="num font-mono text-xs">{absoluteTime(inc.occurredAt)}</span>],
    ["Duration (onset → recovery)", (inc) => (inc.figures.durationMs != null ? durationMs(inc.figures.durationMs) : <span className="text-faint">no window</span>)],
    [
      "Peak error rate",
      (inc) => (
        <>
          {rate(inc.figures.peakErrorRate)}
          {inc.figures.baselineErrorRate != null ? <span className="ml-1 text-xs text-muted">(baseline {rate(inc.figures.baselineErrorRate)})</span> : null}
        </>
      ),
    ],
    [
      "Requests failed",
      (inc) => (
        <>
          {integer(inc.figures.failed)} <span className="text-xs text-muted">of {integer(inc.figures.requests)}{inc.figures.requests ? ` (${percent(inc.figures.failed / inc.figures.requests)})` : ""}</span>
        </>
      ),
    ],
    ["p99 before → during", (inc) => `${latencyMs(inc.figures.p99BeforeMs)} → ${latencyMs(inc.figures.p99DuringMs)}`],
    [
      "p99 shift",
      (inc) =>
        inc.figures.p99ShiftMs == null ? (
          "—"
        ) : (
          <>
            {inc.figures.p99ShiftMs >= 0 ? "+" : "−"}
            {latencyMs(Math.abs(inc.figures.p99ShiftMs))}
            {inc.figures.p99Ratio != null ? <span className="ml-1 text-xs text-muted">(×{inc.figures.p99Ratio.toFixed(inc.figures.p99Ratio < 10 ? 1 : 0)})</span> : null}
          </>
        ),
    ],
    [
      "Affected services",
      (inc) =>
        inc.figures.affectedServices.length === 0 ? (
          <span className="text-faint">none</span>
        ) : (
          <ul className="flex flex-wrap gap-1">
            {inc.figures.affectedServices.map((s) => (
              <li
                key={s}
                title={common.has(shortName(s)) ? `${s} — affected in every compared incident` : s}
                className={`rounded px-1.5 font-mono text-[11px] ${common.has(shortName(s)) ? "bg-accent-soft font-semibold text-accent" : "bg-subtle"}`}
              >
                {shortName(s)}
                {common.has(shortName(s)) ? <span className="sr-only"> (in every incident)</span> : null}
              </li>
            ))}
          </ul>
        ),
    ],
    ["Records", (inc) => integer(inc.figures.records)],
  ];
  return (
    <section aria-labelledby="figures-heading" className="rounded-lg border border-line bg-surface">
      <h2 id="figures-heading" className="border-b border-line px-3 py-2 text-sm font-semibold">
        Key figures
      </h2>
      <div className="overflow-x-auto">
        <table className="w-full border-collapse text-sm">
          <caption className="sr-only">Key figures of the compared incidents, one column per incident</caption>
          <thead className="border-b border-line bg-subtle/60 text-xs text-muted">
            <tr>
              <th scope="col" className="w-48 px-3 py-2 text-left font-medium">
                Figure
              </th>
              {data.incidents.map((inc, i) => (
                <IncidentHeader key={inc.id} inc={inc} i={i} />
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, cell]) => (
              <tr key={label} className="border-b border-line last:border-b-0 align-top">
                <th scope="row" className="px-3 py-1.5 text-left text-xs font-medium text-muted">
                  {label}
                </th>
                {data.incidents.map((inc) => (
                  <td key={inc.id} className="num px-3 py-1.5">
                    {inc.analysed || label === "Date" ? cell(inc) : <span className="text-faint">not analysed yet</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Detectors and their hypotheses per incident; those found in every incident come first, marked. */
function Hypotheses({ data }: { data: CompareDto }) {
  const n = data.incidents.length;
  return (
    <section aria-labelledby="xhyp-heading" className="rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 border-b border-line px-3 py-2">
        <h2 id="xhyp-heading" className="text-sm font-semibold">
          Hypotheses and detectors
        </h2>
        <p className="text-xs text-muted">
          {data.commonDetectors.length
            ? `In common: ${data.commonDetectors.join(", ")}.`
            : data.hypotheses.some((r) => r.sharedBy > 1)
              ? "No detector fired in every incident; rows shared by some are listed first."
              : "No detector fired in more than one of these incidents."}
        </p>
      </div>
      {data.hypotheses.length === 0 ? (
        <p className="px-3 py-4 text-sm text-muted">None of these incidents has a hypothesis yet (no analysis finished, or no detector fired).</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full border-collapse text-sm">
            <caption className="sr-only">Hypotheses of each compared incident by detector; rank and confidence per incident</caption>
            <thead className="border-b border-line bg-subtle/60 text-xs text-muted">
              <tr>
                <th scope="col" className="w-64 px-3 py-2 text-left font-medium">
                  Detector
                </th>
                {data.incidents.map((inc, i) => (
                  <IncidentHeader key={inc.id} inc={inc} i={i} />
                ))}
              </tr>
            </thead>
            <tbody>
              {data.hypotheses.map((r) => {
                const all = r.sharedBy === n;
                return (
                  <tr key={r.detector} className={`border-b border-line last:border-b-0 align-top ${all ? "bg-accent-soft/60" : ""}`}>
                    <th scope="row" className="px-3 py-1.5 text-left font-normal">
                      <span className="font-mono text-xs font-semibold">{r.detector}</span>
                      {all ? (
                        <span className="ml-1.5 rounded bg-accent px-1.5 text-[10px] font-semibold text-accent-fg">in all {n}</span>
                      ) : r.sharedBy > 1 ? (
                        <span className="ml-1.5 rounded bg-subtle px-1.5 text-[10px] font-medium text-muted">
                          in {r.sharedBy} of {n}
                        </span>
                      ) : null}
                      <div className="text-xs text-muted">{r.detectorTitle}</div>
                    </th>
                    {r.cells.map((c, i) =>
                      c ? (
                        <td key={i} className="px-3 py-1.5">
                          <span className="num mr-1.5 inline-block rounded bg-subtle px-1 font-mono text-xs" title={`Rank ${c.rank}, confidence ${percent(c.confidence)}`}>
                            #{c.rank} · {percent(c.confidence)}
                          </span>
                          <span className="text-xs">{c.title}</span>
                        </td>
                      ) : (
                        <td key={i} className="px-3 py-1.5 text-faint">
                          —<span className="sr-only"> not found</span>
                        </td>
                      ),
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function CompareView({ data }: { data: CompareDto }) {
  return (
    <div className="space-y-4">
      <KeyFigures data={data} />
      <CompareTimeline data={data} />
      <Hypotheses data={data} />
      <CompareRules data={data} />
      <CompareLatency data={data} />
    </div>
  );
}
