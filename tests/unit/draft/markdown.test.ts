import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Markdown, safeHref } from "@/components/draft/markdown";
import { lineDiff } from "@/components/draft/line-diff";

const html = (source: string) => renderToStaticMarkup(createElement(Markdown, { source }));

/** hostile-inputs row 12 */
const XSS = [
  "<script>alert(1)</script>",
  '<img src=x onerror="alert(1)">',
  "[x](javascript:alert(1))",
  "[x](JaVaScRiPt:alert(1))",
  "[x](java\tscript:alert(1))",
  "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![x](data:image/svg+xml,<svg onload=alert(1)>)",
  '<p style="background:url(javascript:alert(1))">x</p>',
  '<a id="__proto__" href="javascript:alert(1)">x</a>',
  "[x](vbscript:msgbox(1))",
  "[x](//evil.example/)",
  "| a | b |\n|---|---|\n| <script>alert(1)</script> | [y](javascript:alert(2)) |",
];

describe("safe Markdown renderer", () => {
  for (const src of XSS) {
    it(`renders inert: ${JSON.stringify(src).slice(0, 60)}`, () => {
      const out = html(src);
      // Only real elements matter: hostile text is escaped (&lt;…) and stays visible as text.
      const tags = out.match(/<[a-zA-Z][^>]*>/g) ?? [];
      expect(tags.length).toBeGreaterThan(0);
      for (const tag of tags) {
        expect(tag).not.toMatch(/^<(script|img|svg|iframe|object|embed|style)/i);
        expect(tag).not.toMatch(/\son\w+=/i);
        expect(tag).not.toMatch(/href="\s*(javascript|vbscript|data):/i);
        expect(tag).not.toMatch(/href="\/\//);
        expect(tag).not.toMatch(/\sstyle=|\sid=/i);
      }
    });
  }

  it("keeps the content of hostile text visible as text", () => {
    expect(html("<script>alert(1)</script>")).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("renders headings, lists, tables, code and allowed links", () => {
    const out = html("## Impact\n\n- **a** and *b*\n- `x|y`\n\n| T | E |\n|---|---|\n| 1 | [f.txt:3](/incidents/i/timeline?file=f.txt&line=3) |\n\n[m](mailto:a@b.c) [h](https://example.com/x)");
    expect(out).toContain("<h2");
    expect(out).toMatch(/<ul[^>]*>\s*<li><strong>a<\/strong> and <em>b<\/em><\/li>/);
    expect(out).toContain('href="/incidents/i/timeline?file=f.txt&amp;line=3"');
    expect(out).toContain('href="mailto:a@b.c"');
    expect(out).toContain('href="https://example.com/x"');
    expect(out).toContain("<table");
  });

  it("allows only http, https, mailto and relative targets", () => {
    expect(safeHref("https://a")).toBe("https://a");
    expect(safeHref("/incidents/x")).toBe("/incidents/x");
    expect(safeHref("notes.md#a")).toBe("notes.md#a");
    for (const bad of ["javascript:x", " javascript:x", "data:text/html,x", "file:///etc/passwd", "//evil", "\\\\evil", "jav&#x09;ascript:x"]) expect(safeHref(bad)).toBeNull();
  });

  it("underscores inside words are text (snake_case, __proto__)", () => {
    expect(html("obj.__proto__x a_b_c snake__case")).toContain("obj.__proto__x a_b_c snake__case");
  });

  it("backslash escapes produced by the generator render as the literal characters", () => {
    expect(html("a \\[b\\] \\*c\\* \\<d\\>")).toContain("a [b] *c* &lt;d&gt;");
  });
});

describe("line diff (the diff package's Myers diff)", () => {
  it("finds additions and deletions, removals before the additions that replace them", () => {
    const d = lineDiff("a\nb\nc\nd", "a\nc\nx\nd");
    expect(d).toEqual([
      { op: "same", text: "a" },
      { op: "del", text: "b" },
      { op: "same", text: "c" },
      { op: "add", text: "x" },
      { op: "same", text: "d" },
    ]);
    expect(lineDiff("1\n2\n3", "1\nx\n3").map((l) => l.op)).toEqual(["same", "del", "add", "same"]);
  });
  it("reassembles both sides", () => {
    const a = "1\n2\n3\n4\n5\n6";
    const b = "0\n2\n3\n5\n6\n7";
    const d = lineDiff(a, b);
    expect(d.filter((l) => l.op !== "add").map((l) => l.text).join("\n")).toBe(a);
    expect(d.filter((l) => l.op !== "del").map((l) => l.text).join("\n")).toBe(b);
  });
  it("keeps as many lines unchanged as a longest common subsequence, and both sides reassemble", () => {
    const lcs = (x: string[], y: string[]) => {
      const t = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
      for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) t[i]![j] = x[i] === y[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
      return t[0]![0]!;
    };
    const lines = fc.array(fc.constantFrom("a", "b", "c", "", "# h"), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (x, y) => {
        const [a, b] = [x.join("\n"), y.join("\n")];
        const d = lineDiff(a, b);
        expect(d.filter((l) => l.op !== "add").map((l) => l.text).join("\n")).toBe(a);
        expect(d.filter((l) => l.op !== "del").map((l) => l.text).join("\n")).toBe(b);
        expect(d.filter((l) => l.op === "same").length).toBe(lcs(a.split("\n"), b.split("\n")));
      }),
    );
  });
  it("past its bound shows the middle as removed then added, between the common first and last lines", () => {
    const n = 5000;
    const a = ["head", ...Array.from({ length: n }, (_, i) => `old ${i}`), "tail"].join("\n");
    const b = ["head", ...Array.from({ length: n }, (_, i) => `new ${i}`), "tail"].join("\n");
    const d = lineDiff(a, b);
    expect(d.length).toBe(2 * n + 2);
    expect(d[0]).toEqual({ op: "same", text: "head" });
    expect(d.slice(1, n + 1).every((l) => l.op === "del")).toBe(true);
    expect(d.slice(n + 1, 2 * n + 1).every((l) => l.op === "add")).toBe(true);
    expect(d[2 * n + 1]).toEqual({ op: "same", text: "tail" });
  });
});
