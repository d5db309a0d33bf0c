/**
 * Detector tests as data, in the shape of typescript-eslint's RuleTester: a detector and its cases
 * that must fire and must not fire. Each case is the evidence an incident would leave (files of
 * records, built by tests/unit/detectors/builders.ts) run through analyzeRecords — correlation, the
 * one detector, ranking — exactly as the worker does; the expectations are fields of the case.
 *
 *   runDetectorCases(conntrackSnatRace, {
 *     fires: [{ name: "…", files: () => [...], confidence: { gte: 0.75 }, facts: { near1s: 30 }, cites: ["a.txt"] }],
 *     doesNotFire: [{ name: "…", files: () => [...] }],
 *   });
 *
 * Every firing case asserts: no detector problem, a hypothesis from the detector, coverage "fired",
 * every evidence item cited (file plus line, pointer, span id or time), then its own expectations.
 * Every quiet case asserts: no problem, no hypothesis, coverage not "fired", then its own.
 * The cases are plain data, so tests/unit/detectors/meta.test.ts counts them (caseCounts).
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { EvidenceRef, Hypothesis } from "@/lib/schemas/hypothesis";
import type { AnalyzeResult } from "@/lib/server/analysis/analyze";
import type { Detector } from "@/lib/server/detectors/types";
import { byDetector, run, type FileRecords } from "@/tests/unit/detectors/builders";

/** Bounds on a number: each given bound must hold (gte ≥, gt >, lte ≤, lt <). */
export interface NumberBounds {
  gte?: number;
  gt?: number;
  lte?: number;
  lt?: number;
}

interface CaseInput {
  /** Unique among the detector's cases of its kind; the test title is "fires: <name>" / "does not fire: <name>". */
  name: string;
  /**
   * The bundle's files and their records, built when the case runs (the record builders number
   * lines in build order, so building lazily keeps each case's lines its own).
   */
  files: () => FileRecords[];
  /** fileId (f0, f1, … in `files` order) → clock-skew correction in ms, as a user override sets it. */
  skewOverrides?: Record<string, number>;
}

export interface FiresCase extends CaseInput {
  confidence?: NumberBounds;
  /** Must match the hypothesis' facts (toMatchObject: listed keys only; asymmetric matchers and inRange allowed). */
  facts?: Record<string, unknown>;
  /** The title contains this string, or matches this pattern. */
  title?: string | RegExp;
  summary?: string | RegExp;
  /** Evidence the hypothesis must cite: a file path, or fields one evidence item must match. */
  cites?: (string | Partial<Record<keyof EvidenceRef, unknown>>)[];
  /** Symptom detectors it must name as explained (others may be named too). */
  explains?: string[];
  /** Anything else the case asserts about the hypothesis. */
  check?: (h: Hypothesis, result: AnalyzeResult) => void;
}

export interface DoesNotFireCase extends CaseInput {
  /** What the detector must report having checked when quiet. */
  coverage?: { status?: "clean" | "not-checked"; detail?: RegExp };
  check?: (result: AnalyzeResult) => void;
}

export interface DetectorCases {
  fires: readonly FiresCase[];
  doesNotFire: readonly DoesNotFireCase[];
}

/** Types a cases object (data modules export these for the runner and the meta-test). */
export const defineDetectorCases = (cases: DetectorCases): DetectorCases => cases;

export function caseCounts(cases: DetectorCases): { fires: number; doesNotFire: number } {
  return { fires: cases.fires.length, doesNotFire: cases.doesNotFire.length };
}

/** An asymmetric matcher for numbers within bounds, for `facts` (`{ lagMs: inRange({ gte: 1, lte: 2 }) }`). */
export function inRange(bounds: NumberBounds) {
  const text = Object.entries(bounds).map(([k, v]) => `${k} ${v}`).join(", ");
  return {
    asymmetricMatch: (actual: unknown) => typeof actual === "number" && withinBounds(actual, bounds),
    toString: () => `inRange(${text})`,
    toAsymmetricMatcher: () => `inRange(${text})`,
  };
}

function withinBounds(n: number, b: NumberBounds): boolean {
  return (b.gte === undefined || n >= b.gte) && (b.gt === undefined || n > b.gt) && (b.lte === undefined || n <= b.lte) && (b.lt === undefined || n < b.lt);
}

function expectBounds(n: number, b: NumberBounds, label: string): void {
  if (b.gte !== undefined) expect(n, label).toBeGreaterThanOrEqual(b.gte);
  if (b.gt !== undefined) expect(n, label).toBeGreaterThan(b.gt);
  if (b.lte !== undefined) expect(n, label).toBeLessThanOrEqual(b.lte);
  if (b.lt !== undefined) expect(n, label).toBeLessThan(b.lt);
}

function expectText(actual: string, want: string | RegExp, label: string): void {
  if (typeof want === "string") expect(actual, label).toContain(want);
  else expect(actual, label).toMatch(want);
}

function uniqueNames(kind: string, list: readonly CaseInput[]): void {
  const seen = new Set<string>();
  for (const c of list) {
    if (seen.has(c.name)) throw new Error(`duplicate ${kind} case name: ${c.name}`);
    seen.add(c.name);
  }
}

/** Registers one vitest test per case under describe(detector.id). */
export function runDetectorCases(detector: Detector, cases: DetectorCases): void {
  uniqueNames("fires", cases.fires);
  uniqueNames("doesNotFire", cases.doesNotFire);
  const analyse = (c: CaseInput) => run(c.files(), [detector], c.skewOverrides);
  const coverageOf = (res: AnalyzeResult) => res.correlation.coverage.find((x) => x.detector === detector.id);

  describe(detector.id, () => {
    for (const c of cases.fires) {
      it(`fires: ${c.name}`, async () => {
        const res = await analyse(c);
        expect(res.problems).toEqual([]);
        const h = byDetector(res, detector.id);
        expect(h, "hypothesis").toBeDefined();
        if (!h) return;
        expect(coverageOf(res)?.status).toBe("fired");
        // Deterministic and cited: a file plus a line, pointer, span id or time (synthetic "(…)" sources aside).
        for (const e of h.evidence) if (!e.file.startsWith("(")) expect(e.line ?? e.pointer ?? e.spanId ?? e.ts, `citation of ${e.file}`).toBeTruthy();
        if (c.confidence) expectBounds(h.confidence, c.confidence, "confidence");
        if (c.facts) expect(h.facts).toMatchObject(c.facts);
        if (c.title !== undefined) expectText(h.title, c.title, "title");
        if (c.summary !== undefined) expectText(h.summary, c.summary, "summary");
        for (const want of c.cites ?? []) {
          const fields = typeof want === "string" ? { file: want } : want;
          expect(h.evidence, `cites ${inspect(fields)}`).toContainEqual(expect.objectContaining(fields));
        }
        if (c.explains) expect(h.explains).toEqual(expect.arrayContaining(c.explains));
        c.check?.(h, res);
      });
    }
    for (const c of cases.doesNotFire) {
      it(`does not fire: ${c.name}`, async () => {
        const res = await analyse(c);
        expect(res.problems).toEqual([]);
        expect(res.hypotheses).toEqual([]);
        const cov = coverageOf(res);
        expect(cov?.status).not.toBe("fired");
        if (c.coverage?.status) expect(cov?.status).toBe(c.coverage.status);
        if (c.coverage?.detail) expect(cov?.detail).toMatch(c.coverage.detail);
        c.check?.(res);
      });
    }
  });
}
