import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { PercentileTable } from "@/components/ui/PercentileTable";

/** The percentile table the latency view (phases) and compare (incidents) share. */
const cells = (html: string, tag: "th" | "td") => [...html.matchAll(new RegExp(`<${tag}[^>]*>(.*?)</${tag}>`, "g"))].map((m) => m[1]!.replace(/<[^>]+>/g, ""));

describe("PercentileTable", () => {
  const p = { count: 1234, p50: 3.46, p90: 47.5, p99: 1020, p999: 12_345 };

  it("one row per series: count and p50/p90/p99/p99.9 in the pages' latency style, '—' without data", () => {
    const html = renderToStaticMarkup(
      createElement(PercentileTable, {
        caption: "Percentiles",
        rowHeader: "Phase",
        countHeader: "n",
        rows: [
          { key: "before", label: "before", colour: "#14b8a6", percentiles: p },
          { key: "during", label: "during", colour: "#ef4444", percentiles: null },
        ],
      }),
    );
    expect(cells(html, "th")).toEqual(["Phase", "n", "p50", "p90", "p99", "p99.9", "before", "during"]);
    expect(cells(html, "td")).toEqual(["1,234", "3.5 ms", "48 ms", "1.02 s", "12.3 s", "—", "—", "—", "—", "—"]);
    expect(html).toContain("background:#14b8a6");
  });

  it("adds the note column only when it has a header", () => {
    const html = renderToStaticMarkup(
      createElement(PercentileTable, { caption: "c", rowHeader: "Incident", countHeader: "requests", noteHeader: "Scope", rows: [{ key: "a", label: "A outage", colour: "#000", percentiles: p, note: "window" }] }),
    );
    expect(cells(html, "th").slice(0, 3)).toEqual(["Incident", "Scope", "requests"]);
    expect(cells(html, "td").slice(0, 2)).toEqual(["window", "1,234"]);
  });
});
