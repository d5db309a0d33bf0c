import { z } from "zod";

/** Queue names (pg-boss queue names and the embedded Job.queue column). */
export const QUEUE_ANALYZE = "analyze";

/** Payload of an analysis job: parse every pending file of the incident, correlate, detect. */
export const AnalyzeJob = z.object({
  incidentId: z.string().min(1),
  runId: z.string().min(1),
});
export type AnalyzeJob = z.infer<typeof AnalyzeJob>;
