import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecord } from "@/lib/schemas/records";
import { sniff } from "@/lib/server/parsers/registry";
import { classify, findDate, readEntry, timelineParser, zoneHint } from "@/lib/server/parsers/timeline";
import { wallClockToUtc } from "@/lib/server/parsers/tz";
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

describe("timeline: how documents state their zone (cases)", () => {
  // [line, offset in minutes at 2025-03-12T12:00Z, or null when the line states no zone]
  const cases: [string, number | null][] = [
    ["Times are CET (UTC+1)", 60],
    ["All times Pacific (PDT, UTC\u22127)", -420],
    ["_All times IST (UTC+05:30)._", 330],
    ["London time (BST)", 60],
    ["Times UTC.", 0],
    ["## Timeline (UTC)", 0],
    ["# Checkout outage, 12 March (UTC)", 0],
    ["Times: ET (EST, UTC\u22125)", -300],
    ["All times ET", -240],
    ["All times Pacific", -420],
    ["All times are in Europe/Berlin", 60],
    ["Timezone: America/Los_Angeles", -420],
    ["**All times in CEST**", 120],
    ["Incident Timeline (All Times UTC)", 0],
    ["| Time (UTC+2) | Event |", 120],
    ["All times are approximate", null],
    ["The timeline (draft)", null],
    ["requests times out after 30 s (UTC+1 region)", null],
    ["## Impact", null],
    ["Response times in the UK region doubled", null],
    ["All times are local (CET)", 60],
  ];
  it.each(cases)("%s → %s", (line, minutes) => {
    const z = zoneHint(line);
    if (minutes === null) return expect(z).toBeNull();
    expect(z).not.toBeNull();
    const noon = Date.UTC(2025, 2, 12, 12, 0);
    expect((noon - wallClockToUtc({ year: 2025, month: 3, day: 12, hour: 12, minute: 0 }, z!)!) / 60000).toBe(minutes);
  });
  it("a whole timeline stated in CET lands an hour earlier in UTC", async () => {
    const evs = events(await run("# Checkout slow, 12.03.2025\n\nTimes are CET (UTC+1).\n\n- 10:12 p99 alert fired\n- 10:30 rolled back\n"));
    expect(evs.map((e) => new Date(e.ts!).toISOString())).toEqual(["2025-03-12T09:12:00.000Z", "2025-03-12T09:30:00.000Z"]);
    expect(evs[0]!.attrs?.zoneSource).toBe("document");
  });
});

describe("timeline: date forms (cases)", () => {
  // [text, expected YYYY-MM-DD or null]
  const full: [string, string | null][] = [
    ["Date: 12.03.2025", "2025-03-12"],
    ["3/12/2025", "2025-03-12"],
    ["13/3/2025", "2025-03-13"],
    ["2025-03-12", "2025-03-12"],
    ["March 12, 2025", "2025-03-12"],
    ["12 Mar 2025", "2025-03-12"],
    ["31.02.2025", null],
    ["v1.2.2025", null],
    ["10.0.3.2025", null],
  ];
  it.each(full)("findDate(%s) → %s", (text, want) => {
    const d = findDate(text);
    expect(d ? `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}` : null).toBe(want);
  });
  // [document, ctx, first entry's UTC time, a warning that must be present]
  const docs: [string, Partial<ParseContext>, string, RegExp][] = [
    ["## 12 Mar\n- 10:12 alert fired\n- 10:20 investigating\n", { referenceDate: "2025-01-01", referenceDateSource: "evidence" }, "2025-03-12T10:12:00.000Z", /no year: 2025 taken from the bundle's other evidence/],
    ["## March 12\nAll times UTC\n- 10:12 alert fired\n- 10:20 investigating\n", { referenceDate: "2025-06-30", referenceDateSource: "manifest" }, "2025-03-12T10:12:00.000Z", /no year: 2025 taken from the reference date/],
    ["- 10:12 alert fired\n- 10:20 investigating\n- 10:30 resolved\n", { referenceDate: "2025-03-12", referenceDateSource: "evidence" }, "2025-03-12T10:12:00.000Z", /no date: 2025-03-12 taken from the bundle's other evidence/],
    ["- 12.03.2025 10:12 alert fired\n- 10:20 investigating\n- 10:30 resolved\n", {}, "2025-03-12T10:12:00.000Z", /UTC assumed/],
    ["- [3/12/2025 10:12] alert fired\n- 10:20 investigating\n- 10:30 resolved\n", {}, "2025-03-12T10:12:00.000Z", /UTC assumed/],
    ["| Date | Time | What |\n|---|---|---|\n| 12.03.2025 | 10:12 | alert fired |\n| 12.03.2025 | 10:20 | investigating |\n", {}, "2025-03-12T10:12:00.000Z", /UTC assumed/],
  ];
  it.each(docs)("%j with %j", async (doc, ctx, first, warning) => {
    const items = await run(doc, ctx);
    expect(new Date(events(items)[0]!.ts ?? Number.NaN).toISOString()).toBe(first);
    expect(items.filter((x) => x.kind === "warning").map((x) => (x as { message: string }).message).join("\n")).toMatch(warning);
  });
  it("a year-less date with no reference leaves entries undated (the pipeline parses again with the evidence's date)", async () => {
    const items = await run("## 12 Mar\n- 10:12 alert fired\n- 10:20 investigating\n");
    expect(events(items).every((e) => e.ts === null)).toBe(true);
  });
});

describe("timeline: classification with negation (cases)", () => {
  const cases: [string, string][] = [
    ["end of load test, no alerts fired", "other"],
    ["load test finished without alerts", "other"],
    ["latency alert did not fire", "other"],
    ["no page sent, dashboards green", "other"],
    ["nobody was paged", "other"],
    ["alerts never triggered during the test", "other"],
    ["First alert triggered for elevated 504s", "alert"],
    ["Alert fired: no response from on-call yet", "alert"],
    ["alert not acknowledged for 10 minutes", "alert"],
    ["PagerDuty alert fired, no rollback yet", "alert"],
    ["rollback not needed, error rate back to baseline", "resolution"],
    ["not resolved yet, still investigating", "investigation"],
    ["no errors after the rollback", "mitigation"],
    ["no more errors", "resolution"],
    ["deploy of v2 without canary", "deploy"],
  ];
  it.each(cases)("%s → %s", (text, want) => expect(classify(text)).toBe(want));
});
