import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CANDIDATE_CLASSES, CLASSES } from "@/scripts/eval/classes";
import { generateVariant, type Variant } from "@/scripts/eval/generator";
import { MAX_FALSE_ALARMS, TOP1_THRESHOLD, failures, formatTable, scoreVariant, tabulate } from "@/scripts/eval/score";
import { evaluate, suiteEntries } from "@/scripts/eval/suite";

/**
 * Variation testing (issue 14): the generator is a pure function of (seed, class, index), its
 * variants spread over the axes, and a quick subset of `npm run eval` meets the acceptance bar.
 */

const QUICK_N = 4;
const QUICK_SEED = 1;

const fingerprint = (v: Variant) => {
  const h = createHash("sha256");
  h.update(JSON.stringify({ cls: v.cls, expect: v.expect, evidence: v.evidence, axes: v.axes }));
  for (const f of v.files) h.update(`${f.path}\0`).update(f.content);
  return h.digest("hex");
};

describe("eval generator", () => {
  it("is deterministic per seed and differs across seeds", () => {
    for (const e of suiteEntries()) {
      for (let i = 0; i < 2; i++) {
        const a = generateVariant(e.spec, e.kind, 42, i);
        const b = generateVariant(e.spec, e.kind, 42, i);
        expect(fingerprint(a), `${e.cls} #${i}`).toBe(fingerprint(b));
        expect(fingerprint(generateVariant(e.spec, e.kind, 43, i)), `${e.cls} #${i} seed 43`).not.toBe(fingerprint(a));
      }
    }
  });

  it("draws variants along independent axes", () => {
    for (const e of suiteEntries()) {
      const vs = Array.from({ length: 16 }, (_, i) => generateVariant(e.spec, e.kind, 7, i));
      const values = (axis: string) => new Set(vs.map((v) => v.axes[axis] ?? "(absent)"));
      // Layout, zone and scale vary for every class; each class also varies the format of its evidence.
      expect(values("layout").size, `${e.cls} layout`).toBeGreaterThanOrEqual(3);
      expect(values("zone").size, `${e.cls} zone`).toBeGreaterThanOrEqual(3);
      expect(values("scale").size, `${e.cls} scale`).toBeGreaterThanOrEqual(12);
      const formatAxes = Object.keys(Object.assign({}, ...vs.map((v) => v.axes))).filter((k) => k.startsWith("format:"));
      expect(formatAxes.some((k) => values(k).size >= 3), `${e.cls} formats ${formatAxes.join(",")}`).toBe(true);
      // Sources go missing in some variants, never in all.
      expect(vs.some((v) => Object.keys(v.axes).some((k) => k.startsWith("missing:"))), `${e.cls} missing sources`).toBe(true);
    }
  }, 5 * 60_000);

  it("marks evidence files for incidents only, and they exist in the bundle", () => {
    for (const e of suiteEntries()) {
      for (let i = 0; i < 6; i++) {
        const v = generateVariant(e.spec, e.kind, 5, i);
        if (v.kind !== "incident") {
          expect(v.evidence, `${e.cls} #${i}`).toEqual([]);
          continue;
        }
        expect(v.evidence.length, `${e.cls} #${i}`).toBeGreaterThan(0);
        const archive = v.files.find((f) => f.path.endsWith(".tar.gz"));
        for (const p of v.evidence) {
          if (archive) expect(p.startsWith(archive.path.replace(/\.tar\.gz$/, "/")), `${e.cls} #${i} ${p}`).toBe(true);
          else expect(v.files.some((f) => f.path === p), `${e.cls} #${i} ${p}`).toBe(true);
        }
      }
    }
  });

  it("scores top-1 only when the right detector is first and cites an evidence file", () => {
    const v = generateVariant(CLASSES[0]!, "incident", 1, 0);
    const cite = (file: string) => ({ file, line: 1, ts: null, excerpt: "x" });
    const report = (detector: string, file: string) => ({ status: "completed" as const, assessment: null, files: [], hypotheses: [{ detector, title: "t", confidence: 0.8, summary: "s", evidence: [cite(file)] }] });
    expect(scoreVariant(v, report(v.expect!, `bundle/${v.evidence[0]!}`)).top1).toBe(true);
    expect(scoreVariant(v, report(v.expect!, "bundle/timeline.md")).top1).toBe(false);
    expect(scoreVariant(v, report("latency-regression", v.evidence[0]!)).top1).toBe(false);
    const calm = generateVariant("healthy", "healthy", 1, 0);
    expect(scoreVariant(calm, report("latency-regression", "x")).falseAlarm).toBe(true);
    expect(scoreVariant(calm, { ...report("latency-regression", "x"), hypotheses: [] }).falseAlarm).toBe(false);
    // A near-miss may carry a real symptom: describing it is right, naming a mechanism is the alarm.
    const near = generateVariant(CLASSES[0]!, "near-miss", 1, 0);
    expect(scoreVariant(near, report("latency-regression", "x")).falseAlarm).toBe(false);
    expect(scoreVariant(near, report(CLASSES[0]!.id, "x")).falseAlarm).toBe(true);
  });

  it("scores a localising class on the service the first hypothesis names", () => {
    const spec = CLASSES.find((c) => c.localises)!;
    const v = generateVariant(spec, "incident", 1, 0);
    expect(v.expectService).toBeTruthy();
    const cite = (file: string) => ({ file, line: 1, ts: null, excerpt: "x" });
    const report = (detector: string) => ({ status: "completed" as const, assessment: null, files: [], hypotheses: [{ detector, title: "t", confidence: 0.7, summary: "s", evidence: [cite("timeline.md")] }] });
    // The right service is enough (a cited file is reported, not required); another service is a miss.
    expect(scoreVariant(v, report("service-fault"), [{ service: v.expectService!, kind: v.expectKind! }]).top1).toBe(true);
    expect(scoreVariant(v, report("service-fault"), [{ service: `${v.expectService}-other` }]).top1).toBe(false);
    expect(scoreVariant(v, report("latency-regression"), [{ service: v.expectService! }]).top1).toBe(false);
    expect(scoreVariant(v, report("service-fault")).top1).toBe(false);
    // Its near-misses: service-fault, or anything naming a service, at ≥ 0.5 is a false alarm.
    const near = generateVariant(spec, "near-miss", 1, 0);
    expect(near.serviceAlarm).toBe(true);
    expect(scoreVariant(near, report("service-fault")).falseAlarm).toBe(true);
    expect(scoreVariant(near, report("latency-regression"), [{ service: "ledger" }]).falseAlarm).toBe(true);
    expect(scoreVariant(near, report("latency-regression")).falseAlarm).toBe(false);
  });
});

describe("eval quick subset", () => {
  it(
    `every class ≥ ${TOP1_THRESHOLD * 100} % top-1 and ≤ ${MAX_FALSE_ALARMS} false alarms (${QUICK_N} variants each, seed ${QUICK_SEED})`,
    async () => {
      const outcomes = await evaluate({ seed: QUICK_SEED, n: QUICK_N });
      const table = tabulate(outcomes);
      // The table and the misses in the failure message: which class, which axes, what came first.
      const misses = failures(outcomes)
        .map((f) => `${f.cls} #${f.index}: top ${f.top ? `${f.top.detector} ${f.top.confidence.toFixed(2)}` : "none"} | ${Object.entries(f.axes).map(([k, v]) => `${k}=${v}`).join(" ")}`)
        .join("\n");
      const context = `\n${formatTable(table)}\n${misses}`;
      for (const r of table.rows) {
        // Candidates run (they must not crash) but are held to the goal by `npm run eval`, not here.
        if (CANDIDATE_CLASSES.has(r.cls.replace(/\/near-miss$/, ""))) continue;
        if (r.top1 !== null) expect.soft(r.top1, `${r.cls} top-1${context}`).toBeGreaterThanOrEqual(TOP1_THRESHOLD);
        if (r.falseAlarms !== null) expect.soft(r.falseAlarms, `${r.cls} false alarms${context}`).toBeLessThanOrEqual(MAX_FALSE_ALARMS);
      }
    },
    30 * 60_000,
  );
});
