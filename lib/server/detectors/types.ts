import type { Correlated, Located } from "@/lib/server/correlate";
import type { EvidenceRef, HypothesisInput } from "@/lib/schemas/hypothesis";
import type { ParserId } from "@/lib/server/parsers/types";

/** What a detector gets: the correlated incident plus a helper that turns a record into a citation. */
export interface DetectorContext extends Correlated {
  cite(loc: Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, excerpt: string, why?: string, extra?: Partial<EvidenceRef>): EvidenceRef;
}

export interface Detector {
  id: string;
  title: string;
  /** Parsers whose records this detector can use (real ids from PARSER_IDS). */
  requires: readonly ParserId[];
  /** Specific explanations outrank generic symptoms when confidences are close (see rank.ts). */
  specificity: "specific" | "generic";
  detect(ctx: DetectorContext): HypothesisInput[];
  /**
   * What this detector could check in this bundle, asked when it produced no hypothesis.
   * Absence is not evidence: return `checked: true` only when the evidence that would show the
   * mechanism is present and clean, with `detail` saying what was examined ("3 iptables dumps of
   * 2 nodes compared: no rule newly shadowed"); otherwise `checked: false` and what is missing
   * ("no iptables-save dump in the bundle"). Detectors without it are reported "not checked".
   */
  coverage?(ctx: DetectorContext): { checked: boolean; detail: string };
}
