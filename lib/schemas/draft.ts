import { z } from "zod";
import { AnalysisRunDto, EvidenceFileDto } from "./api";
import { Hypothesis } from "./hypothesis";

/**
 * Postmortem draft (issue 6): sections in the order of the seed write-ups and the Google SRE
 * template. The generator (lib/server/draft/generate.ts) writes every section; a human may edit any.
 */
export const DRAFT_SECTION_IDS = [
  "title",
  "summary",
  "impact",
  "timeline",
  "rootCause",
  "contributing",
  "ruledOut",
  "detection",
  "remediation",
  "lessons",
  "actionItems",
] as const;
export const DraftSectionId = z.enum(DRAFT_SECTION_IDS);
export type DraftSectionId = z.infer<typeof DraftSectionId>;

export const DRAFT_HEADINGS: Record<DraftSectionId, string> = {
  title: "Title",
  summary: "Summary",
  impact: "Impact",
  timeline: "Timeline",
  rootCause: "Root cause",
  contributing: "Contributing factors",
  ruledOut: "Ruled out",
  detection: "Detection",
  remediation: "Remediation",
  lessons: "Lessons learned",
  actionItems: "Action items",
};

/** Where a claim of a section comes from: a record (file:line), a hypothesis or the correlation. */
export const DraftCitation = z.object({
  /** "hypothesis:<detector>" | "correlation" | "timeline" | "run" */
  source: z.string(),
  file: z.string().optional(),
  line: z.number().int().positive().nullable().optional(),
  ts: z.string().nullable().optional(),
  /** Link to the record in the incident's timeline view */
  href: z.string().optional(),
  note: z.string().max(500).optional(),
});
export type DraftCitation = z.infer<typeof DraftCitation>;

export const GeneratedSection = z.object({
  id: DraftSectionId,
  heading: z.string(),
  markdown: z.string(),
  citations: z.array(DraftCitation),
});
export type GeneratedSection = z.infer<typeof GeneratedSection>;

/** A stored section: what is shown, what it was generated from, and what a newer analysis proposes. */
export const DraftSection = GeneratedSection.extend({
  /** The generated text the current markdown derives from (equal to markdown when not edited). */
  generated: z.string(),
  edited: z.boolean(),
  /** Newer generated text not applied because a human edited the section (null when none). */
  pending: z.string().nullable().default(null),
});
export type DraftSection = z.infer<typeof DraftSection>;
export const DraftSections = z.array(DraftSection);

export const DraftDto = z.object({
  incidentId: z.string(),
  runId: z.string().nullable(),
  /** ISO time the analysis finished (never the clock at generation). */
  generatedAt: z.string().nullable(),
  version: z.number().int().nonnegative(),
  sections: DraftSections,
  markdown: z.string(),
});
export type DraftDto = z.infer<typeof DraftDto>;

/** PUT /api/incidents/:id/draft: new text for some sections, or accept/dismiss a pending regeneration. */
export const DraftUpdate = z.object({
  sections: z.partialRecord(DraftSectionId, z.string().max(200_000)).default({}),
  accept: z.array(DraftSectionId).default([]),
  dismiss: z.array(DraftSectionId).default([]),
  /** Reset these sections to the generated text (drop the human edit). */
  reset: z.array(DraftSectionId).default([]),
});
export type DraftUpdate = z.infer<typeof DraftUpdate>;

export const DraftVersionSummary = z.object({ version: z.number().int(), author: z.string(), createdAt: z.string() });
export const DraftVersionList = z.object({ versions: z.array(DraftVersionSummary) });
export type DraftVersionList = z.infer<typeof DraftVersionList>;
export const DraftVersionDto = DraftVersionSummary.extend({ markdown: z.string(), sections: DraftSections });
export type DraftVersionDto = z.infer<typeof DraftVersionDto>;

export const ExportQuery = z.object({ redact: z.enum(["0", "1", "true", "false"]).optional() }).transform((q) => ({ redact: q.redact === "1" || q.redact === "true" }));

/**
 * Full analysis export (GET /api/incidents/:id/draft/analysis.json), documented in docs/DRAFT.md.
 * `correlation` is the CorrelationSummary (lib/server/correlate/schema.ts) stored with the run.
 */
export const AnalysisExport = z.object({
  schema: z.literal("hindsight.analysis/v1"),
  redacted: z.boolean(),
  incident: z.object({
    id: z.string(),
    title: z.string(),
    summary: z.string(),
    timezone: z.string(),
    windowStart: z.string().nullable(),
    windowEnd: z.string().nullable(),
  }),
  run: AnalysisRunDto.nullable(),
  files: z.array(EvidenceFileDto.pick({ path: true, format: true, status: true, records: true, skipped: true, node: true, clockSkewMs: true })),
  correlation: z.unknown().nullable(),
  hypotheses: z.array(Hypothesis),
  draft: DraftDto,
});
export type AnalysisExport = z.infer<typeof AnalysisExport>;
