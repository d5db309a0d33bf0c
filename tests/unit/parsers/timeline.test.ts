import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecord } from "@/lib/schemas/records";
import { sniff } from "@/lib/server/parsers/registry";
import { classify, findDate, readEntry, timelineParser, zoneHint } from "@/lib/server/parsers/timeline";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";

const OWN = path.resolve(__dirname, "../../fixtures/own/timeline");

async function run(content: string, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of timelineParser.parse(Readable.from([Buffer.from(content)]), { path: "timeline.md", ...ctx })) out.push(x);
  return out;
}
const events = (items: ParseItem[]) => items.filter((x): x is EventRecord => x.kind === "event");
const read = (f: string) => readFileSync(path.join(OWN, f), "utf8");

describe("timeline: seed 000 postmortem", () => {
  const text = read("seed-000-postmortem.md");
  it("is sniffed as a timeline", () => {
    expect(sniff(text, "postmortem.md").parser?.id).toBe("timeline");
  });
  it("reads the seven bullets with the Incident Date and 'All Times UTC', prose ignored", async () => {
    const items = await run(text);
    const evs = events(items);
    for (const e of evs) expect(EventRecord.safeParse(e).success).toBe(true);
    expect(evs.map((e) => e.attrs?.time)).toEqual(["14:02", "14:05", "14:12", "14:18", "14:25", "14:47", "16:19"]);
    expect(evs[0]!.ts).toBe(Date.parse("2024-10-15T14:02:00Z"));
    expect(evs[6]!.ts).toBe(Date.parse("2024-10-15T16:19:00Z"));
    expect(evs.map((e) => e.reason)).toEqual(["alert", "investigation", "investigation", "investigation", "mitigation", "resolution", "investigation"]);
    expect(evs[0]!.text).toMatch(/^First alert triggered/);
    expect(evs.every((e) => e.source === "timeline" && e.attrs?.zoneSource === "document" && !e.warnings)).toBe(true);
    expect(items.filter((x) => x.kind !== "event")).toEqual([]);
  });
  it("the manifest date and zone do not override the document's own", async () => {
    const evs = events(await run(text, { referenceDate: "2030-01-01", timezone: "Asia/Tokyo" }));
    expect(evs[0]!.ts).toBe(Date.parse("2024-10-15T14:02:00Z"));
  });
});

describe("timeline: date/zone fallbacks", () => {
  const bare = "- 14:02: alert fired for 504s\n- 14:25: rollback started\n- 14:47: recovered\n";
  it("uses ctx.referenceDate and ctx.timezone with warnings", async () => {
    const items = await run(bare, { referenceDate: "2024-10-15", timezone: "+02:00" });
    const evs = events(items);
    expect(evs[0]!.ts).toBe(Date.parse("2024-10-15T12:02:00Z"));
    expect(evs[0]!.warnings).toEqual(["date assumed from the reference date", "timezone taken from the manifest"]);
    expect(items.filter((x) => x.kind === "warning")).toHaveLength(2);
  });
  it("without any date: ts null, one warning, UTC assumed", async () => {
    const items = await run(bare);
    expect(events(items).every((e) => e.ts === null)).toBe(true);
    const warnings = items.filter((x) => x.kind === "warning").map((x) => (x as { message: string }).message);
    expect(warnings).toHaveLength(2);
    expect(warnings.join(" ")).toMatch(/no date/);
  });
  it("prose dates are a last resort, flagged", async () => {
    const evs = events(await run(`On March 3, 2025 the API went down.\n${bare}`));
    expect(evs[0]!.ts).toBe(Date.parse("2025-03-03T14:02:00Z"));
    expect(evs[0]!.attrs?.dateSource).toBe("prose");
  });
});

describe("timeline: overnight PDT with headings, brackets, bold and a table", () => {
  it("rolls the day over past midnight and honours per-entry zones", async () => {
    const text = read("overnight-pdt.md");
    expect(sniff(text, "notes.md").parser?.id).toBe("timeline");
    const evs = events(await run(text));
    expect(evs.map((e) => e.attrs?.time)).toEqual(["23:40", "23:52", "[23:58]", "00:07", "00:19", "00:25 UTC", "00:40"]);
    expect(evs[0]!.ts).toBe(Date.parse("2025-03-15T06:40:00Z"));
    expect(evs[3]!.ts).toBe(Date.parse("2025-03-15T07:07:00Z"));
    expect(evs[3]!.warnings?.join(" ")).toMatch(/rollover/);
    expect(evs[5]!.ts).toBe(Date.parse("2025-03-15T00:25:00Z"));
    expect(evs[6]!.text).toBe("Follow-up review scheduled");
    expect(evs.map((e) => e.reason)).toEqual(["deploy", "alert", "investigation", "mitigation", "resolution", "other", "other"]);
  });
});

describe("timeline: CSV", () => {
  it("reads time/description columns, zone from the header, type column as the class", async () => {
    const text = read("incident.csv");
    expect(sniff(text, "incident.csv").parser?.id).toBe("timeline");
    const items = await run(text);
    const evs = events(items);
    expect(evs).toHaveLength(4);
    expect(evs[0]).toMatchObject({ ts: Date.parse("2025-11-20T10:14:30Z"), reason: "deploy", text: "kubectl rollout restart deploy/go-httpbin" });
    expect(evs[1]!.text).toBe('Alert: gateway 503 rate above 2%, "connection refused" in ztunnel logs');
    expect(evs[1]!.reason).toBe("alert");
    expect(evs[2]).toMatchObject({ ts: Date.parse("2025-11-20T10:21:00Z"), reason: "mitigation" });
    expect(evs[3]!.reason).toBe("resolution");
    expect(items.filter((x) => x.kind === "skipped").map((x) => (x as { line?: number }).line)).toEqual([5]);
  });
});

describe("timeline: pieces and conservative sniff", () => {
  it("entry shapes", () => {
    expect(readEntry("  • 14:02: First alert")).toMatchObject({ text: "First alert", stamp: { hour: 14, minute: 2 } });
    expect(readEntry("* 14:02 UTC — paged")).toMatchObject({ text: "paged", stamp: { zoneText: "UTC" } });
    expect(readEntry("2024-10-15 14:02 deploy")).toMatchObject({ stamp: { date: { year: 2024, month: 10, day: 15 } } });
    expect(readEntry("14:02:17 DNS errors")).toMatchObject({ text: "DNS errors", stamp: { second: 17, zone: null } });
    expect(readEntry("[14:02] x")).toMatchObject({ text: "x" });
    expect(readEntry("2:05 pm - rollback")).toMatchObject({ stamp: { hour: 14, minute: 5 } });
    expect(readEntry("Rolled back at 14:25 UTC")).toBeNull();
    expect(readEntry("- 25:99: impossible")?.stamp.invalid).toBeDefined();
  });
  it("dates, zones and classes", () => {
    expect(findDate("Incident Date: October 15, 2024")).toEqual({ year: 2024, month: 10, day: 15 });
    expect(findDate("15 Oct 2024")).toEqual({ year: 2024, month: 10, day: 15 });
    expect(findDate("2024-02-30")).toBeNull();
    expect(zoneHint("Incident Timeline (All Times UTC)")?.label).toBe("UTC");
    expect(zoneHint("All times are in Europe/Berlin")?.label).toBe("Europe/Berlin");
    expect(zoneHint("The timeline (draft)")).toBeNull();
    expect(classify("Reverted the config")).toBe("mitigation");
    expect(classify("Status page updated")).toBe("other");
  });
  it("does not claim logs", () => {
    const ztunnel = Array.from({ length: 5 }, (_, i) => `2024-10-15T14:02:1${i}.123456Z  info  access  connection complete src.addr=10.0.0.1:1234`).join("\n");
    const app = Array.from({ length: 5 }, (_, i) => `2024-10-15 14:02:1${i} INFO request done`).join("\n");
    const klog = "I0819 03:14:07.123456       1 proxier.go:1234] x\nI0819 03:14:08.123456       1 proxier.go:1234] y\n";
    const nginx = '10.0.0.1 - - [15/Oct/2024:14:02:17 +0000] "GET / HTTP/1.1" 200 1\n';
    for (const s of [ztunnel, app, klog, nginx]) expect(timelineParser.sniff(s, "x.log")).toBeLessThan(0.5);
    expect(timelineParser.sniff("time,value\n2024-01-01T00:00:00Z,1\n", "m.csv")).toBeLessThan(0.5);
  });
});
