import type { ConfidenceFactor, ConfidenceFactorKind } from "@/lib/schemas/hypothesis";
import { round3 } from "./util";

/**
 * Builds a hypothesis' confidence from named factors, so the number and its explanation cannot
 * drift apart: every change to the value is a factor with a plain-words label.
 *
 *   base 0.60 "a rule newly shadowed on the same node"
 *   +0.08     "the node's earlier dump had the safe order"          (independence)
 *   +0.10     "its counter stopped while the rule above it grew"    (evidence)
 *   −0.15     "the shadowed rule still counted packets"             (counter)
 *   cap 0.97  "a rule diff alone never proves the whole impact"     (cap)
 *   ─────────
 *   = 0.63 → value, factors (for "why this confidence")
 *
 * Effects are added in order and clamped to [0, max] at the end; a cap that bites is recorded as
 * a factor with the effect it actually had.
 */
export class Confidence {
  private readonly list: ConfidenceFactor[] = [];
  private max = 1;
  private maxLabel: string | null = null;

  constructor(base: number, label: string) {
    this.list.push({ kind: "base", label, effect: base });
  }

  /** Adds a signed change; zero effects are dropped (they explain nothing). */
  add(effect: number, label: string, kind: Exclude<ConfidenceFactorKind, "base" | "cap"> = "evidence"): this {
    if (effect !== 0 && Number.isFinite(effect)) this.list.push({ kind, label, effect });
    return this;
  }

  /** Adds `effect` only when `cond` holds (reads better than an if around every factor). */
  when(cond: unknown, effect: number, label: string, kind: Exclude<ConfidenceFactorKind, "base" | "cap"> = "evidence"): this {
    return cond ? this.add(effect, label, kind) : this;
  }

  /** Upper bound, with the reason it exists (shown only when it actually lowers the value). */
  cap(max: number, label: string): this {
    if (max < this.max) {
      this.max = max;
      this.maxLabel = label;
    }
    return this;
  }

  private raw(): number {
    return this.list.reduce((s, f) => s + f.effect, 0);
  }

  get value(): number {
    return round3(Math.max(0, Math.min(this.max, this.raw())));
  }

  /** The factors, with the cap as a factor when it bit. */
  factors(): ConfidenceFactor[] {
    const raw = this.raw();
    const out = this.list.map((f) => ({ ...f, effect: round3(f.effect) }));
    if (raw > this.max && this.maxLabel) out.push({ kind: "cap", label: this.maxLabel, effect: round3(this.max - raw) });
    else if (raw > 1) out.push({ kind: "cap", label: "confidence cannot exceed 100 %", effect: round3(1 - raw) });
    else if (raw < 0) out.push({ kind: "cap", label: "confidence cannot go below 0 %", effect: round3(-raw) });
    return out;
  }

  /** The two fields a detector puts on its hypothesis. */
  result(): { confidence: number; confidenceFactors: ConfidenceFactor[] } {
    return { confidence: this.value, confidenceFactors: this.factors() };
  }
}

