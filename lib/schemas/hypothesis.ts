import { z } from "zod";

/** One piece of cited evidence: a file + line/pointer/span, a time, an excerpt and why it matters. */
export const EvidenceRef = z.object({
  /** Path of the file inside the bundle */
  file: z.string(),
  fileId: z.string().optional(),
  line: z.number().int().positive().nullable().optional(),
  pointer: z.string().optional(),
  spanId: z.string().optional(),
  traceId: z.string().optional(),
  /** ISO 8601 UTC */
  ts: z.string().nullable().optional(),
  excerpt: z.string().max(2000),
  why: z.string().max(1000).optional(),
});
export type EvidenceRef = z.infer<typeof EvidenceRef>;

export const Hypothesis = z.object({
  detector: z.string(),
  title: z.string().max(300),
  /** 0..1, comparable across detectors; ≥ 0.5 means "would page someone" */
  confidence: z.number().min(0).max(1),
  /** Two or three plain sentences a reviewer understands. */
  summary: z.string().max(2000),
  evidence: z.array(EvidenceRef),
  counterEvidence: z.array(EvidenceRef).default([]),
  checks: z.array(z.string()).default([]),
  remediation: z
    .object({ immediate: z.array(z.string()).default([]), longTerm: z.array(z.string()).default([]) })
    .default({ immediate: [], longTerm: [] }),
  /** Machine-readable figures for the UI and draft (step ms, timeout ms, nodes, IPs, …). */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.array(z.number())])).default({}),
});
export type Hypothesis = z.infer<typeof Hypothesis>;
export type HypothesisInput = z.input<typeof Hypothesis>;
