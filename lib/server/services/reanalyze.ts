import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import type { FilePatch } from "@/lib/schemas/api";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { getQueue } from "@/lib/server/jobs";
import type { JobQueue } from "@/lib/server/jobs/types";
import { NotFoundError } from "@/lib/server/http/errors";

/**
 * Starts a new analysis run for an incident. Files already parsed are not parsed again (the job
 * only parses `pending` files), so a re-analysis after a clock-skew change is just correlation +
 * detectors.
 */
export async function reanalyze(incidentId: string, deps: { db?: Db; queue?: () => Promise<JobQueue> } = {}): Promise<{ runId: string }> {
  const db = deps.db ?? getPrisma();
  const incident = await db.incident.findUnique({ where: { id: incidentId }, select: { id: true } });
  if (!incident) throw new NotFoundError("incident");
  const run = await db.analysisRun.create({ data: { incidentId } });
  await db.incident.update({ where: { id: incidentId }, data: { status: "processing" } });
  const queue = await (deps.queue ?? (() => getQueue()))();
  await queue.enqueue(QUEUE_ANALYZE, { incidentId, runId: run.id }, { singletonKey: `analyze:${run.id}` });
  return { runId: run.id };
}

/** Sets (or clears) a file's clock-skew override and re-runs the analysis with it. */
export async function patchFile(incidentId: string, fileId: string, patch: FilePatch, deps: { db?: Db; queue?: () => Promise<JobQueue> } = {}): Promise<{ runId: string }> {
  const db = deps.db ?? getPrisma();
  const res = await db.evidenceFile.updateMany({ where: { id: fileId, incidentId }, data: { clockSkewMs: patch.clockSkewMs } });
  if (res.count !== 1) throw new NotFoundError("file");
  return reanalyze(incidentId, deps);
}
