import { z } from "zod";

/** One incident similar to another, with what they share and a one-line reason. */
export const SimilarIncidentDto = z.object({
  id: z.string(),
  title: z.string(),
  /** ISO: window start (detected onset or manifest), else upload time */
  occurredAt: z.string(),
  score: z.number(),
  /** "same detector iptables-rule-order; shares services checkout, payment; same errors 503 UF" */
  reason: z.string(),
  sharedDetectors: z.array(z.string()),
  sharedServices: z.array(z.string()),
  sharedSignatures: z.array(z.string()),
  topHypothesis: z.string().nullable(),
});
export type SimilarIncidentDto = z.infer<typeof SimilarIncidentDto>;

/** GET /api/incidents/:id/similar */
export const SimilarIncidentsDto = z.object({
  incidentId: z.string(),
  /** False while the incident has no finished analysis (nothing to compare yet). */
  analysed: z.boolean(),
  items: z.array(SimilarIncidentDto),
  /** Incidents considered (the most recent ones, bounded). */
  considered: z.number().int(),
});
export type SimilarIncidentsDto = z.infer<typeof SimilarIncidentsDto>;
