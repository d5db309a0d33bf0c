import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readLines, stripAnsi } from "@/lib/server/parsers/lines";

async function lines(chunks: (string | Buffer)[], max?: number) {
  const out = [];
  for await (const l of readLines(Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))), max)) out.push(l);
  return out;
}

describe("readLines", () => {
  it("splits across chunk boundaries, keeps offsets and strips CRLF", async () => {
    const got = await lines(["ab", "c\r\nde", "f\n", "g"]);
    expect(got.map((l) => [l.no, l.offset, l.text, l.truncated])).toEqual([
      [1, 0, "abc", false],
      [2, 5, "def", false],
      [3, 9, "g", false],
    ]);
  });
  it("truncates an over-long line without buffering it and resumes at the next newline", async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const got = await lines([huge, "\nok\n"], 1024);
    expect(got).toHaveLength(2);
    expect(got[0]!.text.length).toBe(1024);
    expect(got[0]!.truncated).toBe(true);
    expect(got[1]).toMatchObject({ no: 2, text: "ok", truncated: false, offset: huge.length + 1 });
  });
  it("decodes invalid UTF-8 with replacement characters and keeps NUL bytes", async () => {
    const got = await lines([Buffer.from([0x61, 0xff, 0x00, 0x62, 0x0a])]);
    expect(got[0]!.text).toBe("a\ufffd\u0000b");
  });
  it("does not split a multi-byte character across chunks", async () => {
    const b = Buffer.from("dur=269.272µs\n");
    const i = b.indexOf(0xc2);
    const got = await lines([b.subarray(0, i + 1), b.subarray(i + 1)]);
    expect(got[0]!.text).toBe("dur=269.272µs");
  });
  it("strips ANSI colour codes", () => {
    expect(stripAnsi("\x1b[32mINFO\x1b[0m access")).toBe("INFO access");
  });
});
