import { z } from "zod";
import { AnalysisRunDto, FileStatus, IncidentStatus } from "./api";
import { EvidenceRef, Hypothesis } from "./hypothesis";
import { OverviewDto } from "./views-overview";

/** POST /api/incidents/:id/shares — optional expiry (ISO time, in the future, within a year). */
export const ShareCreate = z
  .object({ expiresAt: z.coerce.date().nullable().optional() })
  .strict()
  .refine((v) => !v.expiresAt || v.expiresAt.getTime() > Date.now(), { message: "must be in the future", path: ["expiresAt"] })
  .refine((v) => !v.expiresAt || v.expiresAt.getTime() < Date.now() + 366 * 86_400_000, { message: "at most a year ahead", path: ["expiresAt"] });
export type ShareCreate = z.infer<typeof ShareCreate>;

/** One link in the list. The token itself is never listed (only its hash is stored); `prefix` tells links apart. */
export const ShareLinkDto = z.object({
  id: z.string(),
  prefix: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ShareLinkDto = z.infer<typeof ShareLinkDto>;

/** 201 body: the token and its URL (shown once) plus the list entry. */
export const ShareCreated = ShareLinkDto.extend({ token: z.string(), url: z.string() });
export type ShareCreated = z.infer<typeof ShareCreated>;

/**
 * Cited evidence on a share page: everything but `fileId`, a row id of ours (security row 6). The
 * page shows the bundle-relative path and line instead and links nowhere, so it needs no reference;
 * parsing with this schema drops the field wherever the payload is built.
 */
const SharedEvidenceRef = EvidenceRef.omit({ fileId: true });
export const SharedHypothesis = Hypothesis.extend({ evidence: z.array(SharedEvidenceRef), counterEvidence: z.array(SharedEvidenceRef).default([]) });

/**
 * What a share link shows (GET /api/s/:token and the page /s/:token): the analysis and the draft.
 * Deliberately narrower than IncidentDetailDto: no ids of files or bundles, no error texts or
 * skipped excerpts that could carry server paths, no storage keys, no user emails.
 */
export const SharedIncidentDto = z.object({
  incident: z.object({
    title: z.string(),
    summary: z.string(),
    status: IncidentStatus,
    createdAt: z.string(),
    windowStart: z.string().nullable(),
    windowEnd: z.string().nullable(),
    timezone: z.string(),
    fileCount: z.number().int(),
    totalBytes: z.number(),
  }),
  run: AnalysisRunDto.pick({ status: true, startedAt: true, finishedAt: true, assessment: true, coverage: true }).nullable(),
  overview: OverviewDto.nullable(),
  hypotheses: z.array(SharedHypothesis),
  files: z.array(z.object({ path: z.string(), size: z.number(), format: z.string().nullable(), status: FileStatus, records: z.number().int(), skipped: z.number().int() })),
  draft: z.object({ markdown: z.string() }).nullable(),
  share: z.object({ expiresAt: z.string().nullable() }),
});
export type SharedIncidentDto = z.infer<typeof SharedIncidentDto>;
