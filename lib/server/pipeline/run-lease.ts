import os from "node:os";
import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/server/db/client";

export const RUN_LEASE_MS = 30_000;
const HEARTBEAT_MS = RUN_LEASE_MS / 3;

/**
 * At most one worker processes a run at a time, whatever the queue does (at-least-once delivery,
 * pg-boss expiry of a slow-but-alive job). The worker takes a lease on the AnalysisRun row and
 * renews it; a lease that stopped being renewed means its worker died (SIGKILL, OOM, lost host).
 *
 *   worker A: claim ──hb──hb──hb──✗ (killed)
 *   sweeper:                       … lease stale → fail job A → queue retries it
 *   worker B:                                                   claim ──hb──…── release
 */
export class RunLease {
  readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db, private readonly runId: string) {}

  /** True when this worker now holds the run; false when another live worker does. */
  async claim(jobId: string): Promise<boolean> {
    const now = new Date();
    const res = await this.db.analysisRun.updateMany({
      where: { id: this.runId, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: this.owner }] },
      data: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + RUN_LEASE_MS), jobId },
    });
    if (res.count !== 1) return false;
    this.timer = setInterval(() => {
      void this.db.analysisRun
        .updateMany({ where: { id: this.runId, leaseOwner: this.owner }, data: { leaseUntil: new Date(Date.now() + RUN_LEASE_MS) } })
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    this.timer.unref?.();
    return true;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.db.analysisRun
      .updateMany({ where: { id: this.runId, leaseOwner: this.owner }, data: { leaseOwner: null, leaseUntil: null } })
      .catch(() => undefined);
  }
}

/** Runs still marked running whose worker stopped renewing the lease (with a grace period). */
export async function findLostRuns(db: Db, graceMs = 5_000): Promise<{ id: string; jobId: string | null }[]> {
  return db.analysisRun.findMany({
    where: { status: "running", leaseUntil: { lt: new Date(Date.now() - graceMs) } },
    select: { id: true, jobId: true },
  });
}
