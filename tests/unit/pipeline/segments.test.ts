import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { PARSERS, sniff } from "@/lib/server/parsers/registry";
import type { Parser, ParseItem } from "@/lib/server/parsers/types";
import { parseBlock, parseSummarised } from "@/lib/server/pipeline/summarised-ingest";
import { RowPolicy } from "@/lib/server/pipeline/tiering";

/**
 * Summarised files are cut into blocks that re-parse on their own (summarised-ingest.ts). For every
 * parser that offers `segments`, over its samples, every real fixture it claims and inputs built to
 * straddle cuts (CRI partial lines, wrapped ztunnel lines, legacy spans, blank lines): parsing with
 * a cut at *every* line the machine allows must give exactly the records of a plain parse, and each
 * block re-parsed alone from its byte range must give exactly its own records.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures");
const SEGMENTED = PARSERS.filter((p): p is Parser & { segments: NonNullable<Parser["segments"]> } => p.segments !== undefined);

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const ZT = (t: string, rest: string) => `2024-05-04T09:59:${t}Z\tinfo\taccess\tconnection complete\t${rest}`;
const STRADDLING: Record<string, string> = {
  "cri partial lines": [
    `2024-05-04T09:59:05.000000001Z stdout P [2024-05-04T09:59:05.000Z] "GET /a HTTP/1.1" 200 - via_upstream - "-" 0 10 `,
    `2024-05-04T09:59:05.000000002Z stdout F 3 2 "-" "curl" "id-1" "a:80" "10.0.0.1:80" outbound|80||a.svc 10.0.0.2:1 10.0.0.1:80 10.0.0.3:2 - default`,
    `2024-05-04T09:59:06.000000001Z stdout F [2024-05-04T09:59:06.000Z] "GET /b HTTP/1.1" 503 UF - - "-" 0 10 3 2 "-" "curl" "id-2" "b:80" "10.0.0.1:80" outbound|80||b.svc 10.0.0.2:1 10.0.0.1:80 10.0.0.3:2 - default`,
  ].join("\n"),
  "wrapped ztunnel lines and blank lines": [
    "2024-04-11T15:38:42.182974Z  INFO access: connection complete",
    "    src.addr=10.244.0.33:50134 src.workload=sleep-7656cf8794-r7zb9",
    "",
    '    dst.addr=10.244.0.29:15008 dst.service=httpbin.default.svc.cluster.local direction="outbound" duration="13ms"',
    ZT("05.1", 'src.addr=10.0.0.1:1 dst.addr=10.0.0.2:15008 direction="outbound" duration="1ms"'),
    '[2024-05-04T09:59:05.200Z] "GET /c HTTP/1.1" 200 - via_upstream - "-" 0 10 3 2 "-" "curl" "id-3" "c:80" "10.0.0.1:80" outbound|80||c.svc 10.0.0.2:1 10.0.0.1:80 10.0.0.3:2 - default',
    ZT("05.3", 'src.addr=10.0.0.1:1 dst.addr=10.0.0.2:15008 duration="2ms" error="connection refused"'),
    "  direction=\"outbound\"",
    "",
    "",
    ZT("05.4", 'src.addr=10.0.0.1:1 dst.addr=10.0.0.2:15008 duration="3ms"'),
  ].join("\n"),
  "legacy span lines": [
    "2023-11-02T10:00:00.000000Z  INFO outbound{id=7d34aa}: ztunnel::proxy::outbound: proxying to 10.240.2.10:80 using node local fast path",
    ZT("05.5", 'src.addr=10.0.0.1:1 dst.addr=10.0.0.2:15008 duration="1ms"'),
    "2023-11-02T10:00:00.100000Z  INFO outbound{id=7d34aa}: ztunnel::proxy::outbound: complete dur=269.272µs",
    ZT("05.6", 'src.addr=10.0.0.1:1 dst.addr=10.0.0.2:15008 duration="1ms"'),
  ].join("\n"),
};

function inputsFor(p: Parser): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = p.samples.map((s) => [`sample ${s.name}`, Buffer.from(s.content)]);
  for (const file of walk(FIXTURES)) {
    const buf = fs.readFileSync(file);
    if (buf.length > 4 * 1024 * 1024) continue;
    if (sniff(buf.subarray(0, 65536).toString("utf8"), path.basename(file)).parser?.id === p.id) out.push([path.relative(FIXTURES, file), buf]);
  }
  for (const [name, text] of Object.entries(STRADDLING)) out.push([name, Buffer.from(`${text}\n`)]);
  return out;
}

async function plainRecords(p: Parser, buf: Buffer): Promise<EvidenceRecord[]> {
  const out: EvidenceRecord[] = [];
  for await (const it of p.parse(Readable.from([buf]), { path: "x.log" }) as AsyncIterable<ParseItem>) if (it.kind !== "skipped" && it.kind !== "warning") out.push(it);
  return out;
}

describe.each(SEGMENTED.map((p) => [p.id, p] as const))("%s: blocks re-parse on their own", (_id, parser) => {
  it.each(inputsFor(parser))("%s", async (_name, buf) => {
    const expected = await plainRecords(parser, buf);
    const got: EvidenceRecord[] = [];
    // In 4 KiB chunks, so lines straddle chunk boundaries too.
    const chunks = Array.from({ length: Math.ceil(buf.length / 4096) }, (_, i) => buf.subarray(i * 4096, (i + 1) * 4096));
    const res = await parseSummarised(
      Readable.from(chunks),
      (c) => parser.segments(c),
      { path: "x.log" },
      new RowPolicy(1),
      { byteStart: 0, byteEnd: buf.length, lineBase: 0 },
      { rows: async () => undefined, record: (r) => got.push(r), item: () => undefined },
      { blockLines: 1 },
    );
    expect(got).toEqual(expected);
    expect(res.records).toBe(expected.length);
    let first = 0;
    for (const b of res.blocks) {
      const alone = await parseBlock(Readable.from([buf.subarray(b.byteStart, b.byteEnd)]), parser.segments({ path: "x.log" }), b);
      expect(alone).toEqual(got.slice(first, first + b.records));
      first += b.records;
    }
    expect(first).toBe(expected.length);
    // Records are numbered by line in summarised files: lines must be unique.
    const lines = got.map((r) => r.prov.line);
    expect(new Set(lines).size).toBe(lines.length);
  });
});

/**
 * Span documents (OTLP/JSON): scanning into batches and mapping them gives the plain parse's items;
 * every batch re-read from its byte range alone gives the same records (summarised span blocks).
 */
const SPAN_PARSERS = PARSERS.filter((p): p is Parser & { spanBatches: NonNullable<Parser["spanBatches"]> } => p.spanBatches !== undefined);
const PRETTY_OTLP = JSON.stringify(
  {
    resourceSpans: [
      {
        scopeSpans: [{ scope: { name: "s" }, spans: Array.from({ length: 7 }, (_, i) => ({ traceId: `${"ab".repeat(15)}${String(i).padStart(2, "0")}`, spanId: `${"cd".repeat(7)}${String(i).padStart(2, "0")}`, name: `op ${i}`, kind: 2, startTimeUnixNano: `17000000000${String(i).padStart(8, "0")}`, endTimeUnixNano: `17000000001${String(i).padStart(8, "0")}` })) }],
        resource: { attributes: [{ key: "service.name", value: { stringValue: "late" } }] },
      },
    ],
  },
  null,
  2,
);

describe.each(SPAN_PARSERS.map((p) => [p.id, p] as const))("%s: span batches re-parse on their own", (_id, parser) => {
  const inputs: Array<[string, Buffer]> = [...parser.samples.map((s): [string, Buffer] => [`sample ${s.name}`, Buffer.from(s.content)]), ["pretty-printed, resource last", Buffer.from(PRETTY_OTLP)]];
  for (const file of walk(FIXTURES)) {
    const buf = fs.readFileSync(file);
    if (buf.length <= 4 * 1024 * 1024 && sniff(buf.subarray(0, 65536).toString("utf8"), path.basename(file)).parser?.id === parser.id) inputs.push([path.relative(FIXTURES, file), buf]);
  }
  it.each(inputs)("%s", async (_name, buf) => {
    const plain: ParseItem[] = [];
    for await (const it of parser.parse(Readable.from([buf]), { path: "t.json" }) as AsyncIterable<ParseItem>) plain.push(it);
    const batched: ParseItem[] = [];
    const chunks = Array.from({ length: Math.ceil(buf.length / 4096) }, (_, i) => buf.subarray(i * 4096, (i + 1) * 4096));
    for await (const items of parser.spanBatches.scan(Readable.from(chunks), 600)) {
      for (const it of items) {
        if ("kind" in it) {
          batched.push(it);
          continue;
        }
        const mapped = parser.spanBatches.map(it);
        expect(mapped).toHaveLength(it.offsets.length);
        batched.push(...mapped);
        const again = await parser.spanBatches.reparse(buf.subarray(it.byteStart, it.byteEnd), { byteStart: it.byteStart, lineStart: it.lines[0]!, context: it.context });
        expect(again).toEqual(mapped);
      }
    }
    const records = (items: ParseItem[]) => items.filter((i) => i.kind !== "warning");
    expect(records(batched)).toEqual(records(plain));
  });
});
