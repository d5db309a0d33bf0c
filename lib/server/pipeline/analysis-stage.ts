import type { BundleManifest } from "@/lib/schemas/manifest";
import type { Hypothesis } from "@/lib/schemas/hypothesis";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { analyzeRecords } from "@/lib/server/analysis/analyze";
import { iterateEvidence, readDigests } from "./evidence-source";

export interface AnalysisStageInput {
  db: DatabaseConfig;
  incidentId: string;
  files: { fileId: string; path: string; format: string | null; node?: string }[];
  manifest?: BundleManifest;
  skewOverrides?: Record<string, number>;
  totalRecords: number;
}

export interface AnalysisStageResult {
  correlation: unknown;
  hypotheses: Hypothesis[];
  problems: { detector: string; message: string }[];
}

/** Correlate + detect over every stored record of the incident (runs in a worker thread). */
export async function runAnalysisStage(input: AnalysisStageInput, onProgress?: (fraction: number) => void): Promise<AnalysisStageResult> {
  let seen = 0;
  const total = Math.max(1, input.totalRecords);
  async function* records() {
    for await (const r of iterateEvidence(input.db, input.incidentId)) {
      if (++seen % 20_000 === 0) onProgress?.(Math.min(0.95, seen / total));
      yield r;
    }
  }
  const out = await analyzeRecords({
    files: input.files,
    digests: await readDigests(input.db, input.incidentId),
    records: records(),
    manifest: input.manifest,
    skewOverrides: input.skewOverrides,
  });
  onProgress?.(1);
  return { correlation: out.correlation, hypotheses: out.hypotheses, problems: out.problems };
}
