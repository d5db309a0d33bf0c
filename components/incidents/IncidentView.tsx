"use client";

import { useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { IncidentDetailDto } from "@/lib/schemas/api";
import type { OverviewDto } from "@/lib/schemas/views-overview";
import { ImpactPanel } from "@/components/views/overview/ImpactPanel";
import { RunPanel, isRunActive } from "./RunPanel";
import { HypothesisList } from "./HypothesisList";
import { IncidentFacts, runOutcome } from "./IncidentFacts";
import { FilesTable } from "./FilesTable";
import { BundleList } from "./BundleList";
import { SimilarIncidents } from "./SimilarIncidents";

const POLL_MS = 1000;
const MAX_BACKOFF_MS = 15_000;

/**
 * Polls GET /api/incidents/[id] every second while the incident is new/processing or its run is
 * queued/running; stops as soon as the run ends. Requests never overlap (setTimeout chain), a failing
 * request backs off exponentially, and polling pauses while the tab is hidden.
 */
function useLiveIncident(initial: IncidentDetailDto) {
  const [incident, setIncident] = useState(initial);
  const [pollError, setPollError] = useState<string | null>(null);
  const active = isRunActive(incident.status, incident.run);
  const failures = useRef(0);

  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    let timer: number | undefined;
    const controller = new AbortController();

    const schedule = (ms: number) => {
      if (!cancelled) timer = window.setTimeout(tick, ms);
    };
    const tick = async () => {
      if (document.hidden) return schedule(POLL_MS);
      try {
        const res = await fetch(`/api/incidents/${encodeURIComponent(initial.id)}`, {
          cache: "no-store",
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const parsed = IncidentDetailDto.safeParse(await res.json());
        if (!parsed.success) throw new Error("unexpected response");
        failures.current = 0;
        if (!cancelled) {
          setPollError(null);
          setIncident(parsed.data);
        }
        // The effect re-runs (and stops) when the new data is no longer active.
        schedule(POLL_MS);
      } catch (err) {
        if (cancelled || (err instanceof DOMException && err.name === "AbortError")) return;
        failures.current++;
        const wait = Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** failures.current);
        setPollError(`Live updates failing (${err instanceof Error ? err.message : "error"}); retrying in ${Math.round(wait / 1000)} s`);
        schedule(wait);
      }
    };
    schedule(POLL_MS);
    return () => {
      cancelled = true;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [active, initial.id]);

  return { incident, pollError: active ? pollError : null };
}

export function IncidentView({ initial, overview }: { initial: IncidentDetailDto; overview: OverviewDto | null }) {
  const { incident, pollError } = useLiveIncident(initial);
  const active = isRunActive(incident.status, incident.run);
  const router = useRouter();
  const wasActive = useRef(active);
  // When a run ends, re-render the server parts (header status, impact figures) from fresh data.
  useEffect(() => {
    if (wasActive.current && !active) router.refresh();
    wasActive.current = active;
  }, [active, router]);
  const runStatus = incident.run?.status;
  const { finished, outcome } = runOutcome(incident, incident.run);

  return (
    <div className="space-y-5">
      <section aria-label="Incident details" className="space-y-2">
        <IncidentFacts incident={incident} id={incident.id} />
      </section>

      <RunPanel run={incident.run} incidentStatus={incident.status} pollError={pollError} />
      {overview && !active ? <ImpactPanel incidentId={incident.id} overview={overview} /> : null}
      <HypothesisList incidentId={incident.id} hypotheses={incident.hypotheses} finished={finished} outcome={outcome} assessment={incident.run?.assessment ?? null} coverage={incident.run?.coverage ?? []} />
      <SimilarIncidents incidentId={incident.id} ready={finished} runKey={`${incident.run?.id ?? ""}:${runStatus ?? ""}`} />
      <FilesTable incidentId={incident.id} files={incident.files} />
      <BundleList bundles={incident.bundles} />
    </div>
  );
}
