import type { AnalysisRunDto, IncidentStatus } from "@/lib/schemas/api";
import { absoluteTime, humanBytes, integer } from "@/components/format";
import { RelativeTime } from "@/components/ui/RelativeTime";
import { isRunActive } from "./RunPanel";

/** What the incident page and the share page both say about an incident (both DTOs carry these). */
export interface IncidentFactsData {
  status: IncidentStatus;
  createdAt: string;
  fileCount: number;
  totalBytes: number;
  /** The incident's window: the manifest's, else the detected onset → recovery (set by the analysis). */
  windowStart: string | null;
  windowEnd: string | null;
  timezone: string;
  summary: string;
}

export interface RunOutcome {
  /** A run is queued or running, or the incident is still being set up. */
  active: boolean;
  /** The analysis has ended (its hypotheses are final). */
  finished: boolean;
  /** How it ended; an incident without a run takes its own status. */
  outcome: "completed" | "partial" | "failed";
}

/** The analysis' state as the hypothesis list shows it, the same on the incident page and the share page. */
export function runOutcome(incident: { status: IncidentStatus }, run: Pick<AnalysisRunDto, "status"> | null): RunOutcome {
  const active = isRunActive(incident.status, run);
  const runStatus = run?.status;
  const finished = !active && (runStatus === "completed" || runStatus === "partial" || runStatus === "failed" || incident.status === "analysed" || incident.status === "partial" || incident.status === "failed");
  const outcome = runStatus === "failed" || (!run && incident.status === "failed") ? "failed" : runStatus === "partial" || incident.status === "partial" ? "partial" : "completed";
  return { active, finished, outcome };
}

/**
 * The incident's facts under its title: created, files, size, window, time zone (and its id where
 * the reader may use it), then the summary. One component for the incident page and the share page,
 * so both show the same window.
 */
export function IncidentFacts({ incident, id }: { incident: IncidentFactsData; id?: string }) {
  return (
    <>
      <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm text-muted">
        <div className="flex gap-1.5">
          <dt>Created</dt>
          <dd className="text-fg">
            <RelativeTime iso={incident.createdAt} className="num" />
          </dd>
        </div>
        <div className="flex gap-1.5">
          <dt>Files</dt>
          <dd className="num font-mono text-fg">{integer(incident.fileCount)}</dd>
        </div>
        <div className="flex gap-1.5">
          <dt>Size</dt>
          <dd className="num font-mono text-fg">{humanBytes(incident.totalBytes)}</dd>
        </div>
        {incident.windowStart || incident.windowEnd ? (
          <div className="flex gap-1.5">
            <dt>Window</dt>
            <dd className="num font-mono text-xs leading-5 text-fg">
              {absoluteTime(incident.windowStart)} → {absoluteTime(incident.windowEnd)}
            </dd>
          </div>
        ) : null}
        <div className="flex gap-1.5">
          <dt>Time zone</dt>
          <dd className="font-mono text-xs leading-5 text-fg">{incident.timezone}</dd>
        </div>
        {id ? (
          <div className="flex gap-1.5">
            <dt>ID</dt>
            <dd className="font-mono text-xs leading-5 text-fg">{id}</dd>
          </div>
        ) : null}
      </dl>
      {incident.summary ? <p className="max-w-4xl whitespace-pre-line text-sm">{incident.summary}</p> : null}
    </>
  );
}
