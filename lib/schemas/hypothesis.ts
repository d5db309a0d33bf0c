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

/**
 * One named reason a hypothesis has the confidence it has, in plain words ("the same node's earlier
 * dump had the safe order"). The factors of a hypothesis sum to its confidence before capping: the
 * `base` factor carries the starting value, every other factor a signed change.
 */
export const ConfidenceFactorKind = z.enum([
  /** Starting value: what firing at all means for this mechanism. */
  "base",
  /** Share of the incident's impact (failed or slow requests) the mechanism explains. */
  "impact",
  /** Strength of one piece of evidence (exactness, counts, timing). */
  "evidence",
  /** Independent sources that agree (rules + counters + access logs + traces). */
  "independence",
  /** How specific the mechanism is: a named mechanism outranks a symptom. */
  "specificity",
  /** Evidence against the hypothesis. */
  "counter",
  /** A ceiling applied (a symptom below the mechanism that explains it, a detector's maximum). */
  "cap",
]);
export type ConfidenceFactorKind = z.infer<typeof ConfidenceFactorKind>;
export const ConfidenceFactor = z.object({
  kind: ConfidenceFactorKind,
  /** Plain words for a reviewer; no raw keys such as `p99Ms`. */
  label: z.string().max(400),
  /** Signed contribution (0.08 = +8 points); the base factor carries the starting value. */
  effect: z.number(),
});
export type ConfidenceFactor = z.infer<typeof ConfidenceFactor>;

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
  /** Why the confidence is what it is (see ConfidenceFactor); shown as "why this confidence". */
  confidenceFactors: z.array(ConfidenceFactor).default([]),
  /** Symptom detectors (ids) whose hypotheses this mechanism explains. */
  explains: z.array(z.string()).default([]),
  /** For a symptom: the mechanism hypothesis (detector id) that explains it. */
  explainedBy: z.string().optional(),
  /** Machine-readable figures for the UI and draft (step ms, timeout ms, nodes, IPs, …). */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.array(z.number())])).default({}),
});
export type Hypothesis = z.infer<typeof Hypothesis>;
export type HypothesisInput = z.input<typeof Hypothesis>;

/**
 * What one detector concluded about its mechanism for this bundle — including when it did not fire.
 * Absence is not evidence: "clean" only when the evidence that would show the mechanism was present
 * and did not; "not-checked" when that evidence is missing (detail names what was missing).
 */
export const DetectorCoverage = z.object({
  detector: z.string(),
  status: z.enum(["fired", "clean", "not-checked"]),
  /** Plain words: "3 iptables dumps of 2 nodes compared: no rule newly shadowed" / "no iptables-save dump in the bundle". */
  detail: z.string().max(1000),
});
export type DetectorCoverage = z.infer<typeof DetectorCoverage>;

/**
 * What the analysis can say about the bundle as a whole:
 *   nothing-analysable  no file could be read as evidence — not "healthy";
 *   cause               a hypothesis reached 50 %;
 *   unexplained         an incident shows in the evidence (a window) but no cause reached 50 %;
 *   healthy             traffic evidence without an incident window, and no cause;
 *   insufficient        no traffic evidence to tell whether anything went wrong, and no cause.
 */
export const Assessment = z.object({ kind: z.enum(["nothing-analysable", "cause", "unexplained", "healthy", "insufficient"]), detail: z.string() });
export type Assessment = z.infer<typeof Assessment>;

/** How the UI, the CLI and the draft name each assessment. */
export const ASSESSMENT_LABEL: Record<Assessment["kind"], string> = {
  "nothing-analysable": "Nothing analysable",
  cause: "Root cause found",
  unexplained: "Incident without an established cause",
  healthy: "No incident in the evidence",
  insufficient: "Not enough evidence",
};

/** How a fault shows in the service where it started (detector service-fault's `facts.kind`). */
export const FaultKind = z.enum(["latency", "errors", "cpu", "memory", "network"]);
export type FaultKind = z.infer<typeof FaultKind>;

/** How the Overview, the share page and the draft name each kind. */
export const FAULT_KIND_LABEL: Record<FaultKind, string> = {
  latency: "its own processing got slower",
  errors: "errors, or calls it no longer makes",
  cpu: "CPU saturation",
  memory: "memory pressure",
  network: "the network path to it got slower",
};

/** A hypothesis of the run by its place in the ranking: `#rank` in the Hypotheses list (anchor `hyp-<rank>`). */
export const HypothesisRef = z.object({
  /** 1-based position in the run's ranked hypotheses. */
  rank: z.number().int().positive(),
  title: z.string(),
  detector: z.string(),
});
export type HypothesisRef = z.infer<typeof HypothesisRef>;

/**
 * Where the fault started, derived from a run's ranked hypotheses (lib/server/analysis/origin.ts):
 * the highest-ranked hypothesis that names a service in its facts (`facts.service`; the
 * "Alternative: …" runners-up, which carry `facts.alternativeTo`, excepted). Its confidence is that
 * hypothesis' own, so every page shows the one number.
 *
 * `under`: a more specific hypothesis ranked above it (the mechanism). The service is then where the
 * fault shows first, and the mechanism says why.
 */
export const Origin = HypothesisRef.extend({
  service: z.string().min(1),
  /** null when the evidence names no pod. */
  pod: z.string().nullable(),
  /** null for a kind this version cannot name. */
  kind: FaultKind.nullable(),
  confidence: z.number().min(0).max(1),
  under: HypothesisRef.nullable(),
  /** The runners-up the same detector named (`facts.alternativeTo` = this service), in rank order. */
  alternatives: z.array(z.object({ service: z.string(), confidence: z.number().min(0).max(1), rank: z.number().int().positive() })),
});
export type Origin = z.infer<typeof Origin>;
