import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import type { FilePatch } from "@/lib/schemas/api";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { getQueue } from "@/lib/server/jobs";
import type { JobQueue } from "@/lib/server/jobs/types";
import { InvalidInputError, NotFoundError } from "@/lib/server/errors";
import { SNAPSHOT_FORMATS } from "@/lib/server/pipeline/capture-time";
import { requireIncident } from "@/lib/server/auth/require-incident";

/**
 * Starts a new analysis run for an incident. Files already parsed are not parsed again (the job
 * only parses `pending` files), so a re-analysis after a clock-skew change is just correlation +
 * detectors.
 */
export async function reanalyze(incidentId: string, deps: { db?: Db; queue?: () => Promise<JobQueue> } = {}): Promise<{ runId: string }> {
  const db = deps.db ?? getPrisma();
  await requireIncident(incidentId, db);
  const run = await db.analysisRun.create({ data: { incidentId } });
  await db.incident.update({ where: { id: incidentId }, data: { status: "processing" } });
  const queue = await (deps.queue ?? (() => getQueue()))();
  await queue.enqueue(QUEUE_ANALYZE, { incidentId, runId: run.id }, { singletonKey: `analyze:${run.id}` });
  return { runId: run.id };
}

/**
 * Sets (or clears) a file's clock-skew override and/or its capture time, and re-runs the analysis.
 * A capture time is written into the file's records when it is parsed, so the file goes back to
 * `pending` and is parsed again (snapshot files are small); a skew is applied at correlation only.
 */
export async function patchFile(incidentId: string, fileId: string, patch: FilePatch, deps: { db?: Db; queue?: () => Promise<JobQueue> } = {}): Promise<{ runId: string }> {
  const db = deps.db ?? getPrisma();
  const file = await db.evidenceFile.findFirst({ where: { id: fileId, incidentId }, select: { id: true, format: true, status: true } });
  if (!file) throw new NotFoundError("file");
  if (patch.captureTime !== undefined && file.status !== "pending" && (file.format === null || !SNAPSHOT_FORMATS.has(file.format))) {
    throw new InvalidInputError("not_a_snapshot", `a capture time applies to snapshot files (${[...SNAPSHOT_FORMATS].join(", ")}); this file is ${file.format ?? "not recognised"} and its records carry their own times`);
  }
  await db.evidenceFile.update({
    where: { id: file.id },
    data: {
      ...(patch.clockSkewMs !== undefined ? { clockSkewMs: patch.clockSkewMs } : {}),
      ...(patch.captureTime !== undefined ? { captureOverride: patch.captureTime === null ? null : new Date(patch.captureTime), status: "pending" } : {}),
    },
  });
  return reanalyze(incidentId, deps);
}
