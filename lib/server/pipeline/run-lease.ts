import os from "node:os";
import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/server/db/client";

export const RUN_LEASE_MS = 30_000;
const HEARTBEAT_MS = RUN_LEASE_MS / 3;

/**
 * Owners of the leases this process holds right now. A lease row naming this process but not in
 * here belongs to a handler that already ended without clearing the row (its release failed, e.g.
 * while PostgreSQL restarted): the retry in this same process may take it over at once instead
 * of failing "held by another worker" until the lease expires.
 */
const heldHere = new Set<string>();

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
    const data = { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + RUN_LEASE_MS), jobId };
    let res = await this.db.analysisRun.updateMany({
      where: { id: this.runId, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: this.owner }] },
      data,
    });
    if (res.count !== 1) {
      // A lease held by a process of this host that no longer exists is free now, not in 30 s.
      const current = await this.db.analysisRun.findUnique({ where: { id: this.runId }, select: { leaseOwner: true } });
      if (current?.leaseOwner && ownerIsGone(current.leaseOwner)) {
        res = await this.db.analysisRun.updateMany({ where: { id: this.runId, leaseOwner: current.leaseOwner }, data });
      }
    }
    if (res.count !== 1) return false;
    heldHere.add(this.owner);
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
    heldHere.delete(this.owner);
    await this.db.analysisRun
      .updateMany({ where: { id: this.runId, leaseOwner: this.owner }, data: { leaseOwner: null, leaseUntil: null } })
      .catch(() => undefined);
  }
}

/**
 * Runs still marked running whose worker is gone: it stopped renewing the lease (with a grace
 * period), or it was a process of this host that no longer exists.
 */
export async function findLostRuns(db: Db, graceMs = 5_000): Promise<{ id: string; jobId: string | null }[]> {
  const running = await db.analysisRun.findMany({
    where: { status: "running", leaseOwner: { not: null } },
    select: { id: true, jobId: true, leaseOwner: true, leaseUntil: true },
  });
  const staleBefore = Date.now() - graceMs;
  return running
    .filter((r) => (r.leaseUntil && r.leaseUntil.getTime() < staleBefore) || ownerIsGone(r.leaseOwner!))
    .map((r) => ({ id: r.id, jobId: r.jobId }));
}

/**
 * Whether a live worker holds the run right now: a lease that is being renewed (with a grace
 * period) by a process that still exists and still holds it. A completed run can keep a stale
 * lease row when its worker died between finishing and releasing.
 */
export function runIsHeld(run: { leaseOwner: string | null; leaseUntil: Date | null }, graceMs = 5_000): boolean {
  if (!run.leaseOwner || !run.leaseUntil) return false;
  return run.leaseUntil.getTime() >= Date.now() - graceMs && !ownerIsGone(run.leaseOwner);
}

/** A run lease owner that is dead (process gone) or is this process but no longer holds the lease. */
function ownerIsGone(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  if (host === os.hostname() && Number(pidText) === process.pid) return !heldHere.has(owner);
  return ownerIsDeadLocally(owner);
}

/** Owners are host:pid:nonce; a pid of this host that does not exist means the worker died. */
export function ownerIsDeadLocally(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
