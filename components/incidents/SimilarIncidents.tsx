"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { SimilarIncidentsDto } from "@/lib/schemas/similar";
import { absoluteTime } from "@/components/format";

type State = { key: string; data: SimilarIncidentsDto | null; error: boolean };

/**
 * Similar past incidents on the Overview: up to five others that share detectors, services or
 * error signatures with this one, each with a one-line reason and a link to compare the two.
 * Loaded after the page (GET /api/incidents/:id/similar) so ranking never delays the overview;
 * loaded again when a new run finishes (`runKey`).
 */
export function SimilarIncidents({ incidentId, ready, runKey }: { incidentId: string; ready: boolean; runKey: string }) {
  const key = `${incidentId}|${runKey}`;
  const [state, setState] = useState<State | null>(null);
  useEffect(() => {
    if (!ready) return;
    const controller = new AbortController();
    fetch(`/api/incidents/${encodeURIComponent(incidentId)}/similar`, { cache: "no-store", headers: { Accept: "application/json" }, signal: controller.signal })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        setState({ key, data: SimilarIncidentsDto.parse(await res.json()), error: false });
      })
      .catch((err: unknown) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) setState({ key, data: null, error: true });
      });
    return () => controller.abort();
  }, [incidentId, ready, key]);
  if (!ready) return null;
  const current = state?.key === key ? state : null;
  return <SimilarList incidentId={incidentId} data={current?.data ?? null} error={current?.error ?? false} loading={current === null} />;
}

export function SimilarList({ incidentId, data, error, loading }: { incidentId: string; data: SimilarIncidentsDto | null; error: boolean; loading: boolean }) {
  return (
    <section aria-labelledby="similar-heading" className="rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 border-b border-line px-4 py-2.5">
        <h2 id="similar-heading" className="text-sm font-semibold">
          Similar past incidents
        </h2>
        <p className="text-xs text-muted">Ranked by shared detectors, error signatures (status and flags, error text, warning events) and services.</p>
      </div>
      {loading ? (
        <p className="px-4 py-3 text-sm text-muted" role="status">
          Looking for similar incidents…
        </p>
      ) : error || !data ? (
        <p className="px-4 py-3 text-sm text-muted">Similar incidents could not be loaded — reload the page to try again.</p>
      ) : !data.analysed ? (
        <p className="px-4 py-3 text-sm text-muted">Similar incidents are found once this incident&apos;s analysis has finished.</p>
      ) : data.items.length === 0 ? (
        <p className="px-4 py-3 text-sm text-muted">
          No other incident shares a detector, an error signature or two services with this one
          {data.considered ? ` (${data.considered} analysed incident${data.considered === 1 ? "" : "s"} compared)` : " — it is the only analysed incident so far"}.
        </p>
      ) : (
        <ol className="divide-y divide-line">
          {data.items.map((s) => (
            <li key={s.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 px-4 py-2">
              <Link href={`/incidents/${encodeURIComponent(s.id)}`} className="min-w-0 font-medium hover:text-accent hover:underline">
                {s.title || "(untitled)"}
              </Link>
              <span className="num font-mono text-xs text-muted">{absoluteTime(s.occurredAt).slice(0, 10)}</span>
              <p className="w-full text-sm text-muted sm:order-last">{s.reason}</p>
              <Link
                href={`/compare?ids=${encodeURIComponent(incidentId)},${encodeURIComponent(s.id)}`}
                className="ml-auto text-xs text-accent hover:underline"
                aria-label={`Compare with ${s.title || s.id}`}
              >
                Compare
              </Link>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
