import type { ParseItem } from "@/lib/server/parsers/types";

/**
 * A file's skipped lines and warnings as its outcome shows them: every skipped item counted with the
 * first MAX_SKIPPED_SAMPLES kept as samples, each warning once (up to MAX_WARNINGS). A whole-file
 * ingest notes into its result directly; a summarised file's chunks and span batches note into
 * their own outcomes, merged into the file's afterwards (mergeNotes) under the same caps.
 */
export interface FileNotes {
  skipped: number;
  skippedSamples: { line?: number; pointer?: string; reason: string; excerpt?: string }[];
  warnings: { message: string; line?: number }[];
}

const MAX_SKIPPED_SAMPLES = 50;
const MAX_WARNINGS = 100;

/** Notes skipped items and warnings into `out`; records are ignored. */
export function notesCollector(out: FileNotes): (it: ParseItem) => void {
  const seen = new Set(out.warnings.map((w) => w.message));
  return (it) => {
    if (it.kind === "skipped") {
      out.skipped++;
      if (out.skippedSamples.length < MAX_SKIPPED_SAMPLES) out.skippedSamples.push({ line: it.line, pointer: it.pointer, reason: it.reason, excerpt: it.excerpt });
    } else if (it.kind === "warning" && !seen.has(it.message) && out.warnings.length < MAX_WARNINGS) {
      seen.add(it.message);
      out.warnings.push({ message: it.message, line: it.line });
    }
  };
}

/** Adds a part's notes to the file's: counts add up, samples and warnings fill the same caps. */
export function mergeNotes(into: FileNotes, from: FileNotes): void {
  into.skipped += from.skipped;
  for (const s of from.skippedSamples) if (into.skippedSamples.length < MAX_SKIPPED_SAMPLES) into.skippedSamples.push(s);
  const seen = new Set(into.warnings.map((w) => w.message));
  for (const w of from.warnings) {
    if (seen.has(w.message) || into.warnings.length >= MAX_WARNINGS) continue;
    seen.add(w.message);
    into.warnings.push(w);
  }
}
