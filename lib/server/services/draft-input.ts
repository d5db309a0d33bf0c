import { RunProblem } from "@/lib/schemas/api";
import { Hypothesis } from "@/lib/schemas/hypothesis";
import { CorrelationSummary } from "@/lib/server/correlate/schema";
import type { Db } from "@/lib/server/db/client";
import { DETECTORS } from "@/lib/server/detectors";
import { z } from "zod";
import type { DraftInput, TimelineEntry } from "@/lib/server/draft/generate";

/** Human timelines are short; this bounds a hostile one. */
const MAX_TIMELINE_ENTRIES = 500;

export interface LoadedAnalysis {
  input: DraftInput;
  /** The run the draft comes from; null when the incident has no finished run yet. */
  runId: string | null;
  generatedAt: string | null;
}

/**
 * Reads what the draft generator needs from the database: incident, latest finished run with its
 * correlation (window, impact, coverage) and hypotheses, the human timeline entries and files.
 */
export async function loadDraftInput(db: Db, incidentId: string): Promise<LoadedAnalysis | null> {
  const incident = await db.incident.findUnique({ where: { id: incidentId } });
  if (!incident) return null;
  const run = await db.analysisRun.findFirst({
    where: { incidentId, status: { in: ["completed", "partial"] } },
    orderBy: { createdAt: "desc" },
  });
  const hypotheses = run
    ? (await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" } })).flatMap((h) => {
        const p = Hypothesis.safeParse(h.data);
        return p.success ? [p.data] : [];
      })
    : [];
  const correlation = run?.correlation ? CorrelationSummary.safeParse(run.correlation).data ?? null : null;
  const files = await db.evidenceFile.findMany({ where: { incidentId }, orderBy: { path: "asc" }, select: { id: true, path: true, format: true, status: true } });
  const pathOf = new Map(files.map((f) => [f.id, f.path]));

  const events = await db.evidence.findMany({
    where: { incidentId, kind: "event", source: "timeline" },
    orderBy: [{ ts: { sort: "asc", nulls: "last" } }, { fileId: "asc" }, { seq: "asc" }],
    take: MAX_TIMELINE_ENTRIES,
    select: { ts: true, text: true, fileId: true, line: true, data: true },
  });
  const timeline: TimelineEntry[] = events.map((e) => ({
    ts: e.ts === null ? null : new Date(e.ts).toISOString(),
    text: e.text,
    reason: reasonOf(e.data),
    file: pathOf.get(e.fileId) ?? "",
    line: e.line,
  }));

  const finishedAt = run?.finishedAt?.toISOString() ?? null;
  return {
    runId: run?.id ?? null,
    generatedAt: finishedAt,
    input: {
      incident: {
        id: incident.id,
        title: incident.title,
        summary: incident.summary,
        timezone: incident.timezone,
        windowStart: incident.windowStart?.toISOString() ?? null,
        windowEnd: incident.windowEnd?.toISOString() ?? null,
      },
      run: run ? { id: run.id, status: run.status, finishedAt, problems: z.array(RunProblem).catch([]).parse(run.problems) } : null,
      correlation,
      hypotheses,
      timeline,
      files: files.map((f) => ({ path: f.path, format: f.format, status: f.status })),
      detectors: DETECTORS.map((d) => ({ id: d.id, title: d.title, requires: d.requires })),
    },
  };
}

function reasonOf(data: string): string | null {
  try {
    const r = (JSON.parse(data) as { reason?: unknown }).reason;
    return typeof r === "string" ? r : null;
  } catch {
    return null;
  }
}
