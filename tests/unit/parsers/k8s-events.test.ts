import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecord } from "@/lib/schemas/records";
import { k8sEventsParser } from "@/lib/server/parsers/k8s-events";
import { bufferDocument, splitJsonValues } from "@/lib/server/parsers/k8s/document";
import { parseAge, parseAgeCell } from "@/lib/server/parsers/k8s/messages";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";

const PUB = path.resolve(__dirname, "../../fixtures/public/k8s-events");
const OWN = path.resolve(__dirname, "../../fixtures/own/k8s-events");
const CAPTURE = Date.parse("2024-10-15T15:00:00Z");

async function run(content: string, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of k8sEventsParser.parse(Readable.from([Buffer.from(content)]), { path: "events", ...ctx })) out.push(x);
  return out;
}
const events = (items: ParseItem[]) => items.filter((x): x is EventRecord => x.kind === "event");
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

describe("k8s-events: public samples", () => {
  it("every public sample is sniffed as k8s-events and parses into schema-valid events", async () => {
    for (const f of ["holmesgpt-kubectl-events-for-pod-backoff.txt", "k8s-api-testdata-events.k8s.io.v1.Event.fuzzed.json", "k8s-website-probes-describe-pod-events.txt", "k9s-render-testdata-ev.json", "openshift-insights-sample-events-openshift-machine-api.json"]) {
      const text = read(PUB, f);
      expect(sniff(text.slice(0, 65536), f).parser?.id, f).toBe("k8s-events");
      const evs = events(await run(text, { captureTime: CAPTURE as never }));
      expect(evs.length, f).toBeGreaterThan(0);
      for (const e of evs) expect(EventRecord.safeParse(e).success, f).toBe(true);
    }
  });

  it("kubectl events table: ages resolved against the capture time, BackOff parts lifted", async () => {
    const evs = events(await run(read(PUB, "holmesgpt-kubectl-events-for-pod-backoff.txt"), { captureTime: CAPTURE as never }));
    expect(evs.map((e) => e.reason)).toEqual(["Scheduled", "Pulled", "Created", "Started", "BackOff"]);
    const backoff = evs[4]!;
    expect(backoff.severity).toBe("warning");
    expect(backoff.count).toBe(256);
    expect(backoff.ts).toBe(CAPTURE - 210_000);
    expect(backoff.firstTs).toBe(CAPTURE - 58 * 60_000);
    expect(backoff.subject).toMatchObject({ kind: "Pod", name: "giant-narwhal-6958c5bdd8-69gtn", namespace: "app-02", uid: "8209d63f-aa89-450d-9813-d555ddcaa175" });
    expect(backoff.attrs).toMatchObject({ container: "main", backOff: "restart", age: "3m30s (x256 over 58m)" });
    expect(evs[0]!.subject?.node).toBe("robusta-demo-prod-double-node-worker");
  });

  it("without a capture time, ages are kept and ts stays null with one warning", async () => {
    const items = await run(read(PUB, "holmesgpt-kubectl-events-for-pod-backoff.txt"));
    const evs = events(items);
    expect(evs.every((e) => e.ts === null)).toBe(true);
    expect(evs[4]!.attrs?.ageMs).toBe(210_000);
    expect(items.filter((x) => x.kind === "warning")).toHaveLength(1);
  });

  it("describe Events section: old 'kubelet, node01' From column, Unhealthy then Killing by probe", async () => {
    const evs = events(await run(read(PUB, "k8s-website-probes-describe-pod-events.txt"), { captureTime: CAPTURE as never }));
    expect(evs).toHaveLength(7);
    const unhealthy = evs.find((e) => e.reason === "Unhealthy")!;
    expect(unhealthy).toMatchObject({ severity: "warning", count: 3, ts: CAPTURE - 10_000, firstTs: CAPTURE - 20_000 });
    expect(unhealthy.subject?.node).toBe("node01");
    expect(unhealthy.attrs).toMatchObject({ probe: "liveness", component: "kubelet" });
    const killing = evs.find((e) => e.reason === "Killing")!;
    expect(killing.attrs).toMatchObject({ container: "liveness", probe: "liveness", killCause: "probe-failed" });
  });

  it("single core/v1 Event with null eventTime", async () => {
    const [e] = events(await run(read(PUB, "k9s-render-testdata-ev.json")));
    expect(e).toMatchObject({ ts: Date.parse("2019-08-30T20:43:05Z"), count: 1, reason: "Pulled", severity: "info" });
    expect(e!.subject).toEqual({ kind: "Pod", name: "hello-1567197780-mn4mv", namespace: "default", uid: "c31fdeb8-cb66-11e9-990f-42010a800218", node: "gke-k9s-default-pool-0fa2fb89-qnkc" });
    expect(e!.attrs).toMatchObject({ container: "c1", component: "kubelet", eventName: "hello-1567197780-mn4mv.15bfce150bd764dd" });
  });

  it("events.k8s.io/v1: regarding/note/deprecated*, latest timestamp wins, bad count flagged", async () => {
    const [e] = events(await run(read(PUB, "k8s-api-testdata-events.k8s.io.v1.Event.fuzzed.json")));
    expect(e!.ts).toBe(Date.parse("2964-12-12T12:04:40Z"));
    expect(e!.firstTs).toBe(Date.parse("2235-03-09T09:44:15Z"));
    expect(e!.count).toBeUndefined();
    expect(e!.text).toBe("36");
    expect(e!.subject).toMatchObject({ kind: "24", name: "26", namespace: "25", uid: "鯹)晿<", node: "39" });
    expect(e!.warnings?.join(" ")).toMatch(/invalid count/);
  });

  it("compacted OpenShift export with +02:00 offsets", async () => {
    const evs = events(await run(read(PUB, "openshift-insights-sample-events-openshift-machine-api.json")));
    expect(evs.map((e) => e.ts)).toEqual([Date.parse("2022-08-24T09:40:44Z"), Date.parse("2022-08-24T09:41:05Z")]);
    expect(evs[0]!.subject?.namespace).toBe("openshift-machine-api");
    expect(evs[0]!.severity).toBe("warning");
  });
});

describe("k8s-events: rollout EventList (seed 001 style)", () => {
  it("dedupes the updated Unhealthy event, lifts probe/kill details, uses series time", async () => {
    const items = await run(read(OWN, "rollout-eventlist.json"));
    const evs = events(items);
    expect(evs.map((e) => e.reason)).toEqual(["ScalingReplicaSet", "SuccessfulCreate", "ScalingReplicaSet", "Killing", "Unhealthy", "Unhealthy"]);
    expect(items.some((x) => x.kind === "warning" && /1 repeated/.test(x.message))).toBe(true);
    const ready = evs[4]!;
    expect(ready).toMatchObject({ count: 4, ts: Date.parse("2025-11-20T10:15:12Z"), prov: { pointer: "/items/5" } });
    expect(ready.attrs).toMatchObject({ probe: "readiness", probeFailure: "connection-refused", probeTarget: "10.244.3.7:8080", probeUrl: "http://10.244.3.7:8080/status/200" });
    expect(evs[3]!.attrs).toMatchObject({ container: "go-httpbin", killCause: "stop" });
    expect(evs[3]!.subject?.node).toBe("ip-10-0-1-23.ec2.internal");
    const live = evs[5]!;
    expect(live.ts).toBe(Date.parse("2025-11-20T10:15:23.000Z") + 0.001);
    expect(live.count).toBe(3);
    expect(live.attrs).toMatchObject({ probe: "liveness", probeFailure: "timeout", component: "kubelet", reportingInstance: "ip-10-0-2-41.ec2.internal" });
    expect(evs[2]!.attrs).toMatchObject({ scale: "down", replicaSet: "go-httpbin-7d9c5b7f4", replicas: 1 });
    expect(evs[1]!.attrs?.pod).toBe("go-httpbin-6f8b9c7d5-q7w8e");
  });

  it("watch streams (concatenated JSON objects) are deduplicated too", async () => {
    const base = JSON.parse(read(OWN, "rollout-eventlist.json")).items[4];
    const later = { ...base, count: 9, lastTimestamp: "2025-11-20T10:16:00Z" };
    const stream = [{ type: "ADDED", object: base }, { type: "MODIFIED", object: later }].map((x) => JSON.stringify(x, null, 2)).join("\n");
    const evs = events(await run(stream));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ count: 9, ts: Date.parse("2025-11-20T10:16:00Z") });
  });

  it("non-Event items are skipped visibly, broken JSON values do not lose their neighbours", async () => {
    const items = await run(`{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"}},{"kind":"Event","reason":"Killing","message":"Stopping container a","type":"Normal","lastTimestamp":"2025-01-01T00:00:00Z"}]}\n{"kind":"Event", broken}\n{"kind":"Event","reason":"BackOff","message":"Back-off restarting failed container","type":"Warning"}`);
    expect(events(items).map((e) => e.reason)).toEqual(["Killing", "BackOff"]);
    expect(items.filter((x) => x.kind === "skipped")).toHaveLength(2);
    expect(events(items)[1]!.ts).toBeNull();
  });
});

describe("k8s-events: helpers and sniff", () => {
  it("parses kubectl ages", () => {
    expect(parseAge("3m30s")).toBe(210_000);
    expect(parseAge("2d3h")).toBe(2 * 86_400_000 + 3 * 3_600_000);
    expect(parseAge("3x")).toBeNull();
    expect(parseAgeCell("<unknown>")).toMatchObject({ lastAgeMs: null, unknown: true });
    expect(parseAgeCell("10s (x3 over 20s)")).toMatchObject({ lastAgeMs: 10_000, firstAgeMs: 20_000, count: 3 });
    expect(parseAgeCell("Successfully")).toBeNull();
  });
  it("keeps <unknown> ages as attrs with a null ts", async () => {
    const evs = events(await run("LAST SEEN   TYPE      REASON    OBJECT      MESSAGE\n<unknown>   Warning   BackOff   pod/web-1   Back-off restarting failed container web in pod web-1_prod(abc)\n", { captureTime: CAPTURE as never }));
    expect(evs[0]).toMatchObject({ ts: null, reason: "BackOff", subject: { kind: "Pod", name: "web-1", namespace: "prod", uid: "abc" } });
    expect(evs[0]!.attrs?.age).toBe("<unknown>");
  });
  it("does not claim objects lists or Prometheus responses", () => {
    expect(k8sEventsParser.sniff('{"apiVersion":"v1","kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"a"}}]}', "pods.json")).toBeLessThan(0.5);
    expect(k8sEventsParser.sniff('{"status":"success","data":{"resultType":"matrix","result":[]}}', "q.json")).toBeLessThan(0.5);
    expect(k8sEventsParser.sniff("I0819 03:14:07.123456       1 proxier.go:1234] hello", "x.log")).toBe(0);
  });
  it("splitJsonValues handles strings with braces and stays linear", () => {
    expect(splitJsonValues('{"a":"}{"} [1,2] {"b":"\\"}"}').length).toBe(3);
    const t0 = Date.now();
    splitJsonValues("[".repeat(200_000));
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it("refuses documents above the cap without keeping them", async () => {
    const r = await bufferDocument(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000);
    expect(r).toEqual({ ok: false, bytes: 1200 });
  });
});
