"use client";

import { useEffect, useState } from "react";
import { TimelineRecordDto } from "@/lib/schemas/views-timeline";
import { shortTime } from "@/lib/timeline-url";

/** The selected record in full: provenance, indexed fields, the normalised JSON, hypotheses citing it. */
export function RecordDetail({ incidentId, id }: { incidentId: string; id: number | null }) {
  const [state, setState] = useState<{ id: number; data: TimelineRecordDto | null; error: string | null } | null>(null);
  useEffect(() => {
    if (id === null) return;
    const controller = new AbortController();
    fetch(`/api/incidents/${encodeURIComponent(incidentId)}/timeline/record/${id}`, { signal: controller.signal, cache: "no-store" })
      .then(async (res) => {
        if (!res.ok) throw new Error(res.status === 404 ? "This record no longer exists (the incident was re-analysed?)." : `HTTP ${res.status}`);
        setState({ id, data: TimelineRecordDto.parse(await res.json()), error: null });
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setState({ id, data: null, error: err instanceof Error ? err.message : "error" });
      });
    return () => controller.abort();
  }, [incidentId, id]);

  if (id === null) {
    return <p className="p-3 text-sm text-muted">Select a record (click, or ↑/↓ in the list) to see it in full. Its id goes in the URL, so the link shows it to a colleague.</p>;
  }
  if (!state || state.id !== id) return <p className="p-3 text-sm text-muted" role="status">Loading record {id}…</p>;
  if (state.error || !state.data) return <p className="p-3 text-sm text-red-700 dark:text-red-300" role="alert">{state.error}</p>;
  const { row, record, citedBy } = state.data;
  return (
    <div className="space-y-2 p-3 text-sm">
      <h2 className="font-semibold">Record {row.id}</h2>
      {citedBy.length > 0 ? (
        <div className="rounded border border-accent/40 bg-accent-soft px-2 py-1 text-xs">
          Evidence for: {citedBy.join("; ")}
        </div>
      ) : null}
      <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
        <dt className="text-muted">Time</dt>
        <dd className="num font-mono">{shortTime(row.ts)} UTC</dd>
        <dt className="text-muted">File</dt>
        <dd className="font-mono break-all">
          {row.path}
          {row.line ? `:${row.line}` : ""}
        </dd>
        <dt className="text-muted">Kind</dt>
        <dd className="font-mono">{row.kind}</dd>
        {row.source ? (
          <>
            <dt className="text-muted">Source</dt>
            <dd className="font-mono">{row.source}</dd>
          </>
        ) : null}
        {row.service ? (
          <>
            <dt className="text-muted">Service</dt>
            <dd className="font-mono break-all">{row.service}</dd>
          </>
        ) : null}
        {row.node ? (
          <>
            <dt className="text-muted">Node</dt>
            <dd className="font-mono">{row.node}</dd>
          </>
        ) : null}
        {row.traceId ? (
          <>
            <dt className="text-muted">Trace</dt>
            <dd className="font-mono break-all">
              <a className="text-accent hover:underline" href={`/incidents/${encodeURIComponent(incidentId)}/traces?trace=${encodeURIComponent(row.traceId)}`}>
                {row.traceId}
              </a>
            </dd>
          </>
        ) : null}
      </dl>
      <p className="font-mono text-xs break-words">{row.text}</p>
      <details>
        <summary className="cursor-pointer text-xs text-muted hover:text-fg">Normalised record (JSON)</summary>
        <pre className="mt-1 max-h-80 overflow-auto rounded bg-subtle p-2 font-mono text-[11px] leading-snug">{JSON.stringify(record, null, 2)}</pre>
      </details>
    </div>
  );
}
