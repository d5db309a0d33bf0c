import type { JobContext } from "@/lib/schemas/jobs";

/**
 * One queue interface, two implementations:
 *  - embedded (lib/server/jobs/embedded.ts): rows in the app database, polled by the web process
 *    (or the CLI); survives restarts because queued/leased jobs are rows.
 *  - pg-boss (lib/server/jobs/pgboss.ts): PostgreSQL only; any number of `npm run worker` processes.
 * Delivery is at-least-once in both: handlers must be idempotent (the analysis pipeline is: it
 * clears a file's records before re-writing them and replaces a run's hypotheses wholesale).
 */

// What a handler gets with a delivery is declared with the job payloads (the pipeline, below jobs, takes it).
export type { JobContext };

export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<void>;

/**
 * How many lost deliveries (the worker died or stopped mid-job) a job may have on top of its
 * attempts before losses count as failed attempts too: a job that kills its worker every time
 * still ends in a visible failed state instead of looping for ever.
 */
export const DEFAULT_MAX_LOSSES = 200;

export interface EnqueueOptions {
  /** At most one queued/active job per key. */
  singletonKey?: string;
  maxAttempts?: number;
}

export interface JobQueue {
  readonly kind: "embedded" | "pg-boss";
  start(): Promise<void>;
  enqueue(queue: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
  /** Starts consuming `queue` with up to `concurrency` handlers at once. */
  work(queue: string, handler: JobHandler, opts?: { concurrency?: number }): Promise<void>;
  /** Stops taking work; waits up to graceMs for running handlers, then releases their jobs. */
  stop(graceMs?: number): Promise<void>;
}

/** Exponential backoff with a cap: 2 s, 4 s, 8 s … 60 s. */
export function backoffMs(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(1, attempt));
}
