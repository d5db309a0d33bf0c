import { z } from "zod";

/** Queue names (pg-boss queue names and the embedded Job.queue column). */
export const QUEUE_ANALYZE = "analyze";

/** Payload of an analysis job: parse every pending file of the incident, correlate, detect. */
export const AnalyzeJob = z.object({
  incidentId: z.string().min(1),
  runId: z.string().min(1),
});
export type AnalyzeJob = z.infer<typeof AnalyzeJob>;

/** What a job handler gets with each delivery (lib/server/jobs: the queue; the analysis pipeline is the handler). */
export interface JobContext {
  jobId: string;
  /** 1 for the first delivery; counts every delivery, including ones whose worker died. */
  attempt: number;
  /**
   * True when this delivery is the last one allowed: if the handler throws now, the job fails for
   * good. Worker losses (SIGKILL, crash, release at shutdown) do not use up attempts, so this is not
   * simply `attempt >= maxAttempts`.
   */
  final: boolean;
  /** Aborted when the worker is stopping; long handlers should check it between steps. */
  signal: AbortSignal;
}
