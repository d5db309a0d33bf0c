import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { PARSERS, sniff } from "@/lib/server/parsers/registry";
import { PARSER_IDS, SNIFF_THRESHOLD, type ParseItem } from "@/lib/server/parsers/types";

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
        it(`sample ${i} (${sample.name}) parses as expected`, async () => {
          const items = await collect(parser.parse(Readable.from([Buffer.from(sample.content)]), { path: sample.name }));
          const records = items.filter((x) => x.kind !== "skipped" && x.kind !== "warning");
          expect(records.length).toBe(sample.expect.records);
          if (sample.expect.skipped !== undefined) expect(items.filter((x) => x.kind === "skipped").length).toBe(sample.expect.skipped);
          for (const [kind, n] of Object.entries(sample.expect.kinds ?? {})) {
            expect(records.filter((r) => r.kind === kind).length, kind).toBe(n);
          }
        });
      }
    });
  }
});
