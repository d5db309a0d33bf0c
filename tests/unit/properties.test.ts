import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { parseIsoUtc } from "@/lib/schemas/time";
import { analyzeRecords } from "@/lib/server/analysis/analyze";
import { safeEntryPath } from "@/lib/server/bundle/paths";
import { correlate, EvidenceStore, type FileInfo } from "@/lib/server/correlate";
import { ev, req, T0 } from "./detectors/builders";

/**
 * Hostile-inputs row 26: property tests, ≥ 10,000 generated cases each, replayable:
 * FC_SEED=<seed> (fast-check prints the seed and the shrunk counterexample on failure).
 * (`parse(render(rules)) == rules` for iptables-save is in tests/unit/parsers/iptables-save.test.ts.)
 */
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const RUNS = 10_000;

describe("row 26: normalisation is idempotent", () => {
  it("row 26: bundle entry paths — normalising a normalised path changes nothing (10k cases)", () => {
    const segment = fc.oneof(
      fc.constantFrom("", ".", "logs", "Logs", "a b", "café", "cafe\u0301", "ﬁle", "x.log", "…", "🙂", ".hidden", "-"),
      fc.string({ unit: fc.constantFrom("a", "Z", "0", ".", "-", "_", " ", "é", "e\u0301", "Å", "A\u030a", "~", ":"), maxLength: 12 }),
    );
    const raw = fc.array(segment, { minLength: 1, maxLength: 12 }).chain((segs) => fc.tuple(fc.constant(segs.join("/")), fc.boolean())).map(([p, dir]) => (dir ? `${p}/` : p));
    fc.assert(
      fc.property(raw, (r) => {
        let once: string;
        try {
          once = safeEntryPath(r, "prop", DEFAULT_LIMITS).path;
        } catch {
          return; // rejected names have nothing to normalise
        }
        expect(safeEntryPath(once, "prop", DEFAULT_LIMITS).path).toBe(once);
        expect(once).toBe(once.normalize("NFC"));
        expect(once.split("/").every((s) => s !== "" && s !== "." && s !== "..") || once === "").toBe(true);
      }),
      { numRuns: RUNS, seed },
    );
  });

  it("row 26: timestamps — any zone and precision normalises once to UTC epoch ms; normalising again is a no-op (10k cases)", () => {
    /** The stored form: UTC ISO 8601 with microseconds. */
    const render = (ms: number) => {
      const us = Math.round(ms * 1000);
      const whole = Math.floor(us / 1000);
      return `${new Date(whole).toISOString().slice(0, 19)}.${String(whole % 1000).padStart(3, "0")}${String(us - whole * 1000).padStart(3, "0")}Z`;
    };
    const arb = fc.record({
      ms: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }),
      micros: fc.integer({ min: 0, max: 999 }),
      digits: fc.constantFrom(0, 3, 6),
      offsetMin: fc.integer({ min: -14 * 60, max: 14 * 60 }),
    });
    fc.assert(
      fc.property(arb, ({ ms, micros, digits, offsetMin }) => {
        const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
        const frac = digits === 0 ? "" : `.${String(ms % 1000).padStart(3, "0")}${digits === 6 ? String(micros).padStart(3, "0") : ""}`;
        const sign = offsetMin < 0 ? "-" : "+";
        const zone = offsetMin === 0 && micros % 2 === 0 ? "Z" : `${sign}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, "0")}:${String(Math.abs(offsetMin) % 60).padStart(2, "0")}`;
        const input = `${local}${frac}${zone}`;
        const once = parseIsoUtc(input);
        expect(once).not.toBeNull();
        const expected = Math.floor(ms / 1000) * 1000 + (digits === 0 ? 0 : (ms % 1000) + (digits === 6 ? micros / 1000 : 0));
        expect(Math.abs(once! - expected)).toBeLessThan(1e-6);
        const twice = parseIsoUtc(render(once!));
        expect(render(twice!)).toBe(render(once!));
        expect(Math.abs(twice! - once!)).toBeLessThan(1e-6);
      }),
      { numRuns: RUNS, seed },
    );
  });
});

describe("row 26: event order is stable when input files are shuffled", () => {
  /** A few files of requests and events with colliding timestamps (ties are where order breaks). */
  const filesArb = fc.array(
    fc.array(
      fc.record({ dt: fc.integer({ min: 0, max: 20 }), kind: fc.constantFrom("req", "ev"), status: fc.constantFrom(200, 200, 503, 504), d: fc.integer({ min: 1, max: 3000 }) }),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 2, maxLength: 5 },
  );
  const build = (files: { dt: number; kind: string; status: number; d: number }[][]) =>
    files.map((recs, i) => ({
      info: { fileId: `file-${i}`, path: `bundle/f${i}.log`, format: null } as FileInfo,
      records: recs.map((r, j): EvidenceRecord =>
        r.kind === "req"
          ? req({ ts: T0 + r.dt * 1000, durationMs: r.d, status: r.status, requestId: `f${i}-r${j}`, prov: { line: j + 1 } })
          : ev({ ts: T0 + r.dt * 1000, text: `file ${i} event ${j}`, prov: { line: j + 1 } }),
      ),
    }));
  const feed = (files: ReturnType<typeof build>, order: number[]) => {
    const store = new EvidenceStore();
    for (const i of order) for (const r of files[i]!.records) store.add(files[i]!.info.fileId, r);
    return correlate(store, order.map((i) => files[i]!.info));
  };
  const seq = (c: ReturnType<typeof feed>) => [
    ...c.requests.map((l) => `${l.fileId}|${l.rec.ts}|${l.rec.prov.line}`),
    "--",
    ...c.events.map((l) => `${l.fileId}|${l.rec.ts}|${l.rec.prov.line}`),
    "--",
    JSON.stringify(c.window),
  ];

  it("row 26: correlation — requests, events and the window do not depend on file order (10k cases)", () => {
    fc.assert(
      fc.property(filesArb.chain((f) => fc.tuple(fc.constant(f), fc.shuffledSubarray([...f.keys()], { minLength: f.length, maxLength: f.length }))), ([raw, order]) => {
        const files = build(raw);
        const reference = seq(feed(files, [...files.keys()]));
        expect(seq(feed(files, order))).toEqual(reference);
      }),
      { numRuns: RUNS, seed },
    );
  });

  it("row 26: hypotheses — the ranked, cited output of the detectors does not depend on file order (10k cases)", async () => {
    await fc.assert(
      fc.asyncProperty(filesArb.chain((f) => fc.tuple(fc.constant(f), fc.shuffledSubarray([...f.keys()], { minLength: f.length, maxLength: f.length }))), async ([raw, order]) => {
        const files = build(raw);
        const analyse = async (o: number[]) => {
          const res = await analyzeRecords({
            files: o.map((i) => files[i]!.info),
            records: o.flatMap((i) => files[i]!.records.map((record) => ({ fileId: files[i]!.info.fileId, record }))),
          });
          return JSON.stringify(res.hypotheses);
        };
        expect(await analyse(order)).toBe(await analyse([...files.keys()]));
      }),
      { numRuns: RUNS, seed },
    );
  });
});
