import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonRecordScanner, type RouteSpec, type ScanEvent } from "@/lib/server/parsers/json/scanner";

const SPANS: RouteSpec[] = [
  { path: "resourceSpans[*]", kind: "boundary", tag: "rs" },
  { path: "resourceSpans[*].resource", kind: "record", tag: "resource" },
  { path: "resourceSpans[*].scopeSpans[*].spans[*]", kind: "record", tag: "span" },
];

function scan(input: Buffer | string, routes: RouteSpec[], chunkSize = 1 << 20, opts = {}): ScanEvent[] {
  const buf = typeof input === "string" ? Buffer.from(input) : input;
  const s = new JsonRecordScanner(routes, opts);
  const out: ScanEvent[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) out.push(...s.write(buf.subarray(i, i + chunkSize)));
  out.push(...s.end());
  return out;
}
const records = (ev: ScanEvent[]) => ev.filter((e) => e.type === "record");
const problems = (ev: ScanEvent[]) => ev.filter((e) => e.type === "problem");

describe("JsonRecordScanner", () => {
  // Strings with escaped quotes/backslashes/brackets, multi-byte UTF-8, numbers and literals: every
  // byte boundary falls somewhere awkward when fed one byte at a time.
  const tricky = `\uFEFF{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a \\"quoted\\" ]} \\\\","n":-1.25e-3,"u":"żółw ✓ 🐢","esc":"\\u00e9\\n"},{"t":true,"f":false,"z":null,"big":12345678901234567890}]}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"x"}}]}}],"ignored":{"resourceSpans":[{"deep":["]","}"]}]}}`;

  it("gives identical events for 1-byte chunks and one big chunk", () => {
    const whole = scan(tricky, SPANS);
    const bytewise = scan(tricky, SPANS, 1);
    expect(bytewise).toEqual(whole);
    const recs = records(whole);
    expect(recs.map((r) => r.type === "record" && r.tag)).toEqual(["span", "span", "resource"]);
    const first = recs[0]!;
    expect(first.type === "record" && first.value).toEqual({ name: 'a "quoted" ]} \\', n: -1.25e-3, u: "żółw ✓ 🐢", esc: "é\n" });
    expect(first.type === "record" && first.pointer).toBe("/resourceSpans/0/scopeSpans/0/spans/0");
    expect(whole.some((e) => e.type === "close" && e.pointer === "/resourceSpans/0")).toBe(true);
    expect(problems(whole)).toEqual([]);
  });

  it("decodes escaped keys on the walked path", () => {
    const ev = scan(`{"resource\\u0053pans":[{"scopeSpans":[{"spans":[{"a":1}]}]}]}`, SPANS, 3);
    expect(records(ev)).toHaveLength(1);
  });

  it("captures any JSON value a route points at, for random documents and random chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), (values, chunk, pretty) => {
        const doc = JSON.stringify({ other: values, resourceSpans: [{ scopeSpans: [{ spans: values }] }] }, null, pretty ? 2 : undefined);
        const ev = scan(doc, SPANS, chunk);
        expect(problems(ev)).toEqual([]);
        // JSON.stringify turns -0 into 0; compare through the same normalisation
        expect(records(ev).map((r) => r.type === "record" && r.value)).toEqual(JSON.parse(JSON.stringify(values)));
      }),
      { numRuns: 300 },
    );
  });

  it("reads JSON Lines and concatenated documents as separate documents", () => {
    const ev = scan(`{"resourceSpans":[{"scopeSpans":[{"spans":[1]}]}]}\n{"resourceSpans":[{"scopeSpans":[{"spans":[2]}]}]} {"resourceSpans":[]}`, SPANS, 5);
    const recs = records(ev);
    expect(recs.map((r) => r.type === "record" && [r.doc, r.value, r.line])).toEqual([
      [0, 1, 1],
      [1, 2, 2],
    ]);
    expect(ev.filter((e) => e.type === "docEnd")).toHaveLength(3);
  });

  it("names byte, line and column of a syntax error on the walked path, then resynchronises", () => {
    const doc = `{"resourceSpans":[{"scopeSpans":[{"spans":[1]}]}]\n  "x": 1}\n{"resourceSpans":[{"scopeSpans":[{"spans":[2]}]}]}\n`;
    const ev = scan(doc, SPANS);
    const p = problems(ev);
    expect(p).toHaveLength(1);
    expect(p[0]!.type === "problem" && p[0]!.reason).toBe("invalid JSON at byte 52 (line 2, col 3): expected ',' or '}', found '\"'");
    expect(records(ev).map((r) => r.type === "record" && r.value)).toEqual([1, 2]);
  });

  it("names the position of an error inside a captured value (from JSON.parse)", () => {
    const doc = `{\n  "a": 1,\n  "b": 2\n  "c": 3\n}`;
    const ev = scan(doc, [{ path: "", kind: "record", tag: "doc", objectOnly: true }]);
    const p = problems(ev);
    expect(p).toHaveLength(1);
    expect(p[0]!.type === "problem" && p[0]!.reason).toBe("invalid JSON at byte 23 (line 4, col 3): expected ',' or '}' after property value");
    expect(records(ev)).toEqual([]);
  });

  it("recovers the JSON Lines record after one cut short by rotation", () => {
    const lines = [`{"resourceSpans":[{"scopeSpans":[{"spans":[1]}]}]}`, `{"resourceSpans":[{"scopeSpans":[{"spans":[2]}]}]}`, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"cut": 3`, `{"resourceSpans":[{"scopeSpans":[{"spans":[4]}]}]}`];
    const ev = scan(lines.join("\n"), SPANS, 7);
    expect(records(ev).map((r) => r.type === "record" && r.value)).toEqual([1, 2, 4]);
    const p = problems(ev);
    expect(p).toHaveLength(1);
    expect(p[0]!.type === "problem" && p[0]!.reason).toMatch(/line 3, col 53\): line ends inside a JSON Lines record/);
  });

  it("reports an unterminated document at end of input", () => {
    const ev = scan(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"a":"unterminated`, SPANS, 4);
    const p = problems(ev);
    expect(p).toHaveLength(1);
    expect(p[0]!.type === "problem" && p[0]!.reason).toMatch(/unexpected end of input inside a string/);
    expect(ev.some((e) => e.type === "close")).toBe(true); // boundaries flush so held-back data is not lost
  });

  it("skips a value over the record-size cap instead of buffering it", () => {
    const big = "x".repeat(10_000);
    const ev = scan(`{"resourceSpans":[{"scopeSpans":[{"spans":["${big}",{"ok":1}]}]}]}`, SPANS, 1000, { maxRecordBytes: 4096 });
    expect(records(ev).map((r) => r.type === "record" && r.value)).toEqual([{ ok: 1 }]);
    expect(problems(ev)[0]).toMatchObject({ reason: expect.stringMatching(/10002 bytes, over the 4096-byte record limit/), pointer: "/resourceSpans/0/scopeSpans/0/spans/0" });
  });

  it("does not throw on HTML, binary or hostile input and caps the problems listed", () => {
    const inputs = [
      Buffer.from("<!doctype html><html><body>{not json}</body></html>\n"),
      Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
      Buffer.from("[".repeat(100_000)),
      Buffer.from(`{"resourceSpans":${"[".repeat(50_000)}`),
      Buffer.from("\n{".repeat(1000)),
    ];
    for (const b of inputs) {
      const ev = scan(b, SPANS, 333, { maxProblems: 5 });
      expect(records(ev)).toEqual([]);
      expect(problems(ev).length).toBeGreaterThan(0);
      expect(problems(ev).length).toBeLessThanOrEqual(6);
    }
  });
});
