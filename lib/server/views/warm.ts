import { LatencyQuery } from "@/lib/schemas/views-latency";
import { TracesQuery } from "@/lib/schemas/views-traces";
import type { Db } from "@/lib/server/db/client";
import { getLatency } from "./latency";
import { getOverview } from "./overview";
import { getTimelineFirstView, getTimelineMeta } from "./timeline";
import { warmingRun } from "./overview-correlation";
import { listTraces } from "./traces";

/**
 * Computes what the first visit of each view needs (overview figures, timeline counts, chart and
 * citations, latency histograms, trace lists) right after a run finishes, into the ViewCache table
 * (memoPerRun `persist`). Without it the first person to open the timeline of a 1M-record incident
 * waits for a full scan (~6 s); with it every view's first render reads one row. Best effort: a
 * failure here only means the first visit computes the value itself.
 */
export async function warmViewCache(db: Db, incidentId: string, runId?: string): Promise<{ ms: number; failed: string[] }> {
  const t0 = Date.now();
  const failed: string[] = [];
  // The run about to be marked finished (run-analysis.ts warms before that): cache under its id.
  const release = runId ? warmingRun(incidentId, runId) : () => undefined;
  const steps: [string, () => Promise<unknown>][] = [
    ["overview", () => getOverview(incidentId, db)],
    // The chart exactly as a first visit asks for it (zoomed to the window when the range is long).
    ["timeline", async () => getTimelineFirstView(incidentId, await getTimelineMeta(incidentId, db), new URLSearchParams(), db)],
    ["latency", () => getLatency(incidentId, LatencyQuery.parse({}), db)],
    ["traces", () => listTraces(incidentId, TracesQuery.parse({}).limit, db)],
  ];
  // One after another: on SQLite every query holds the one connection anyway.
  try {
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        failed.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    release();
  }
  return { ms: Date.now() - t0, failed };
}
