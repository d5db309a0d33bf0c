import { Hypothesis, type DetectorCoverage, type EvidenceRef } from "@/lib/schemas/hypothesis";
import type { BundleManifest } from "@/lib/schemas/manifest";
import type { FileDigestData } from "@/lib/schemas/digest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { correlate, EvidenceStore, type FileInfo, type Located } from "@/lib/server/correlate";
import type { CorrelationSummary } from "@/lib/server/correlate/schema";
import { DETECTORS } from "@/lib/server/detectors";
import type { Detector, DetectorContext } from "@/lib/server/detectors/types";
import { rankHypotheses } from "@/lib/server/detectors/rank";

export interface AnalyzeInput {
  files: FileInfo[];
  /** Consumed exactly once; may be huge (see BOUNDS in lib/server/correlate/store.ts). */
  records: AsyncIterable<{ fileId: string; record: EvidenceRecord }> | Iterable<{ fileId: string; record: EvidenceRecord }>;
  /** Summarised files' digests (their rows are only notable + sampled requests/spans). */
  digests?: readonly { fileId: string; digest: FileDigestData }[];
  manifest?: BundleManifest;
  /** fileId → clock skew in ms (how far the file's clock runs ahead); wins over estimates and the manifest. */
  skewOverrides?: Record<string, number>;
  /** Defaults to every detector; tests pass a subset or a throwing stub. */
  detectors?: readonly Detector[];
}
export interface AnalyzeResult {
  correlation: CorrelationSummary;
  hypotheses: Hypothesis[];
  /** One entry per detector that threw or produced invalid output: the run is then `partial`. */
  problems: { detector: string; message: string }[];
}

/**
 * records → correlation → detectors → ranked hypotheses. Pure: no DB, fs or clock; never throws
 * for a detector's failure (it becomes a problem). Output order is deterministic.
 */
export async function analyzeRecords(input: AnalyzeInput): Promise<AnalyzeResult> {
  const store = new EvidenceStore();
  for (const { fileId, digest } of input.digests ?? []) store.addDigest(fileId, digest);
  for await (const { fileId, record } of input.records as AsyncIterable<{ fileId: string; record: EvidenceRecord }>) store.add(fileId, record);

  // Manifest clockSkewMs is keyed by path; explicit overrides are keyed by fileId and win.
  const overrides: Record<string, number> = {};
  for (const [path, ms] of Object.entries(input.manifest?.clockSkewMs ?? {})) {
    const f = input.files.find((x) => x.path === path);
    if (f) overrides[f.fileId] = ms;
  }
  Object.assign(overrides, input.skewOverrides ?? {});
  const correlated = correlate(store, input.files, overrides);
  const pathOf = (fileId: string) => correlated.files.get(fileId)?.path ?? fileId;
  const ctx: DetectorContext = {
    ...correlated,
    cite(loc: Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, excerpt: string, why?: string, extra?: Partial<EvidenceRef>): EvidenceRef {
      const ts = typeof loc.rec.ts === "number" && Number.isFinite(loc.rec.ts) ? new Date(loc.rec.ts).toISOString() : null;
      return {
        file: pathOf(loc.fileId),
        fileId: loc.fileId,
        line: loc.rec.prov.line ?? null,
        ...(loc.rec.prov.pointer ? { pointer: loc.rec.prov.pointer } : {}),
        ts,
        excerpt: excerpt.slice(0, 2000),
        ...(why ? { why: why.slice(0, 1000) } : {}),
        ...extra,
      };
    },
  };
  const problems: AnalyzeResult["problems"] = [];
  const hyps: Hypothesis[] = [];
  const coverage: DetectorCoverage[] = [];
  for (const d of input.detectors ?? DETECTORS) {
    let fired = 0;
    try {
      for (const h of d.detect(ctx)) {
        const parsed = Hypothesis.safeParse(h);
        if (parsed.success) {
          hyps.push(parsed.data);
          fired++;
        } else problems.push({ detector: d.id, message: `invalid hypothesis: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ").slice(0, 500)}` });
      }
      coverage.push(fired ? { detector: d.id, status: "fired", detail: `${fired} hypothesis${fired > 1 ? "es" : ""}` } : coverageOf(d, ctx));
    } catch (err) {
      problems.push({ detector: d.id, message: err instanceof Error ? err.message : String(err) });
      coverage.push({ detector: d.id, status: "not-checked", detail: "the detector failed on this bundle (see the run's problems)" });
    }
  }
  const hypotheses = rankHypotheses(hyps, input.detectors ?? DETECTORS);
  const assessment = assess(input.files, correlated, hypotheses, coverage);
  return { correlation: { ...correlated.summary, coverage, assessment }, hypotheses, problems };
}

/** A detector that did not fire: clean only when it says the evidence it needs was there and clean. */
function coverageOf(d: Detector, ctx: DetectorContext): DetectorCoverage {
  if (!d.coverage) return { detector: d.id, status: "not-checked", detail: "this detector cannot tell whether its evidence was present" };
  const c = d.coverage(ctx);
  return { detector: d.id, status: c.checked ? "clean" : "not-checked", detail: c.detail.slice(0, 1000) };
}

const CAUSE = 0.5;

/** One sentence on the bundle as a whole; see CorrelationSummary.assessment. */
function assess(files: FileInfo[], c: ReturnType<typeof correlate>, hyps: Hypothesis[], coverage: DetectorCoverage[]): NonNullable<CorrelationSummary["assessment"]> {
  const records = Object.values(c.summary.recordCounts).reduce((n, x) => n + x, 0);
  if (records === 0) {
    const unrecognised = files.filter((f) => !f.format).length;
    return {
      kind: "nothing-analysable",
      detail: files.length === 0 ? "the bundle holds no evidence file" : `none of the ${files.length} file${files.length > 1 ? "s" : ""} could be read as evidence${unrecognised ? ` (${unrecognised} in no format Hindsight reads${unrecognised < files.length ? `, ${files.length - unrecognised} without any record` : ""})` : " (no records in them)"}`,
    };
  }
  const top = hyps[0];
  if (top && top.confidence >= CAUSE) return { kind: "cause", detail: top.title };
  const clean = coverage.filter((x) => x.status === "clean").map((x) => x.detector);
  if (c.window.onsetMs !== null) return { kind: "unexplained", detail: `the ${c.summary.window.basis} changed at ${new Date(c.window.onsetMs).toISOString()}, but no detector established a cause${clean.length ? ` (checked and clean: ${clean.join(", ")})` : ""}` };
  if ((c.summary.recordCounts.request ?? 0) > 0 || (c.summary.recordCounts.span ?? 0) > 0)
    return { kind: "healthy", detail: `error rate and latency stayed at their baseline${clean.length ? `; checked and clean: ${clean.join(", ")}` : ""}` };
  return { kind: "insufficient", detail: `no access logs or traces to tell whether anything went wrong${clean.length ? `; checked and clean: ${clean.join(", ")}` : ""}` };
}
