import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { PARSERS, sniff } from "@/lib/server/parsers/registry";
import { PARSER_IDS, SNIFF_THRESHOLD, type ParseItem } from "@/lib/server/parsers/types";

/** Record times a sample may write as ISO 8601 (see ParserSample.expect.fields). */
const TIME_FIELDS = new Set(["ts", "firstTs", "capturedAt", "createdAt", "deletedAt"]);

/** ISO 8601 → epoch ms, keeping digits below the millisecond ("…:53.37518Z" → …375.18). */
function isoToEpochMs(iso: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) throw new Error(`not an ISO 8601 time: ${iso}`);
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** A sample's expected fields as a toMatchObject pattern: ISO times become epoch ms (to 0.005 ms). */
function fieldPattern(want: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(want).map(([k, v]) => [k, TIME_FIELDS.has(k) && typeof v === "string" ? expect.closeTo(isoToEpochMs(v), 2) : v]));
}

async function collect(it: AsyncIterable<ParseItem>): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("parser registry", () => {
  it("lists every fixed parser id exactly once", () => {
    expect(PARSERS.map((p) => p.id).sort()).toEqual([...PARSER_IDS].sort());
  });

  for (const parser of PARSERS) {
    describe(parser.id, () => {
      for (const [i, sample] of parser.samples.entries()) {
        it(`sample ${i} (${sample.name}) is claimed by ${parser.id} and no other parser`, () => {
          const head = sample.content.slice(0, 64 * 1024);
          const result = sniff(head, sample.name);
          expect(result.parser?.id, JSON.stringify(result.scores.slice(0, 3))).toBe(parser.id);
          const others = result.scores.filter((s) => s.id !== parser.id && s.confidence >= SNIFF_THRESHOLD);
          expect(others).toEqual([]);
        });
        it(`sample ${i} (${sample.name}) parses to the expected counts and field values`, async () => {
          const items = await collect(parser.parse(Readable.from([Buffer.from(sample.content)]), { path: sample.name }));
          const records = items.filter((x) => x.kind !== "skipped" && x.kind !== "warning");
          expect(records.length).toBe(sample.expect.records);
          if (sample.expect.skipped !== undefined) expect(items.filter((x) => x.kind === "skipped").length).toBe(sample.expect.skipped);
          for (const [kind, n] of Object.entries(sample.expect.kinds ?? {})) {
            expect(records.filter((r) => r.kind === kind).length, kind).toBe(n);
          }
          for (const [at, want] of Object.entries(sample.expect.fields ?? {})) {
            expect(records[Number(at)], `record ${at}`).toMatchObject(fieldPattern(want));
          }
        });
      }
    });
  }
});
