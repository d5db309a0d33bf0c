import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createGzip } from "node:zlib";
import * as tar from "tar-stream";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "@/lib/server/cli/args";
import { NameScanner, bundleNames, formatCase, loadSet, podOfLogFile, selectCases } from "@/scripts/eval/nezha";
import { buildVocabulary, firstMention, formatSummary, namedService, scoreServices, serviceOfPod, summarise, type HypothesisText, type NezhaOutcome } from "@/scripts/eval/nezha-score";

/**
 * `npm run eval -- nezha` (issue 17): the service a hypothesis names, per the set's scoring rule
 * (title, summary, facts, evidence files, evidence excerpts; first field with a mention decides,
 * earliest mention in it wins), and the system's names read from the bundle.
 */

// A made-up system: nothing in the scoring may depend on Online Boutique's names.
const vocab = buildVocabulary([
  { service: "cart", pod: "cart-7d9f8c6b54-x2kzq" },
  { service: "cart2", pod: "cart2-5f6585d649-fnmft" },
  { service: "redis-cart", pod: "redis-cart-0" },
  { service: "ts-order-service", pod: "ts-order-service-6cfdd55578-gfj6q" },
  { service: "ts-order-other-service" },
  { pod: "gateway-579b9bff58-t2dbm" },
]);

const hyp = (p: Partial<HypothesisText>): HypothesisText => ({ title: "", summary: "", evidence: [], ...p });
const named = (p: Partial<HypothesisText>) => namedService(hyp(p), vocab);

describe("nezha scoring: the service a hypothesis names", () => {
  it("a mention in the title beats an earlier-placed or more frequent one in the summary", () => {
    expect(named({ title: "CPU saturation in ts-order-service", summary: "cart cart cart slowed down first" })).toMatchObject({ service: "ts-order-service", field: "title" });
  });

  it("falls through title, summary, facts, evidence files, evidence excerpts in that order", () => {
    const evidence = [
      { file: "b/traces/otlp.json", excerpt: "gateway server 3000ms" },
      { file: "b/pods/cart-7d9f8c6b54-x2kzq.log", excerpt: "x" },
    ];
    expect(named({ title: "Latency regression", summary: "p99 rose 4x", facts: { culprit: "redis-cart" }, evidence })).toMatchObject({ service: "redis-cart", field: "facts" });
    expect(named({ title: "Latency regression", summary: "p99 rose 4x", evidence })).toMatchObject({ service: "cart", field: "evidence files" });
    expect(named({ title: "Latency regression", evidence: [evidence[0]!] })).toMatchObject({ service: "gateway", field: "evidence excerpts" });
  });

  it("the earliest mention in the deciding field wins", () => {
    expect(named({ summary: "calls from ts-order-service to cart timed out" })?.service).toBe("ts-order-service");
    expect(named({ summary: "calls from cart to ts-order-service timed out" })?.service).toBe("cart");
    // Facts are read in key order, string values and string lists only.
    expect(named({ facts: { p99Ms: 1200, slow: ["redis-cart", "cart"], callee: "cart2" } })?.service).toBe("redis-cart");
    expect(named({ facts: { callee: "cart2", slow: ["redis-cart"] } })?.service).toBe("cart2");
  });

  it("a pod name stands for its service: known pods, and unlisted pods of a known service", () => {
    expect(named({ title: "OOM kills of cart-7d9f8c6b54-x2kzq" })?.service).toBe("cart");
    expect(named({ title: "restarts of gateway-579b9bff58-t2dbm" })?.service).toBe("gateway");
    // A pod not in the bundle, by its Deployment / StatefulSet suffix.
    expect(named({ title: "restarts of cart2-6d8f5c4b7-bq2xz" })?.service).toBe("cart2");
    expect(named({ title: "ts-order-service-0 unready" })?.service).toBe("ts-order-service");
    // The pod's service, not the longer-or-shorter name it starts with.
    expect(firstMention("redis-cart-0 evicted", vocab)).toMatchObject({ service: "redis-cart", name: "redis-cart-0" });
  });

  it("counts whole k8s-style names only, case-insensitively", () => {
    // "cart" inside other names is not a mention of cart.
    expect(named({ title: "cart2 is slow" })?.service).toBe("cart2");
    expect(named({ title: "redis-cart is slow" })?.service).toBe("redis-cart");
    expect(named({ title: "cartservice and cart_v2 and supercart are slow" })).toBeNull();
    expect(named({ title: "ts-order-other-service is slow" })?.service).toBe("ts-order-other-service");
    // A hyphenated word after a name is not a pod suffix ("-proxy" has vowels, "-side" is 4 letters).
    expect(named({ title: "cart-proxy and cart-side caching" })).toBeNull();
    // Punctuation, paths, ports, RPC names and DNS names are boundaries.
    expect(named({ title: "hipstershop.Cart/GetCart failed" })?.service).toBe("cart");
    expect(named({ title: "dial tcp cart:7070: connection refused" })?.service).toBe("cart");
    expect(named({ title: "GET http://ts-order-service.default.svc/api" })?.service).toBe("ts-order-service");
    expect(named({ title: "TS-ORDER-SERVICE (CPU)" })?.service).toBe("ts-order-service");
  });

  it("no mention: no service", () => {
    expect(named({ title: "Outbound connects stall ~1 s/~3 s", summary: "62 traced calls started late", facts: { count: 62, ok: true, ids: [1, 2] }, evidence: [{ file: "b/traces/otlp-20220822-0519.json", excerpt: "status=unset" }] })).toBeNull();
    expect(namedService(hyp({ title: "cart is slow" }), buildVocabulary([]))).toBeNull();
  });

  it("maps a pod name to its service by removing the ReplicaSet hash and pod suffix", () => {
    expect(serviceOfPod("frontend-579b9bff58-t2dbm")).toBe("frontend");
    expect(serviceOfPod("ts-travel2-service-7d9f8c6b54-x2kzq")).toBe("ts-travel2-service");
    expect(serviceOfPod("currencyservice-cf787dd48-vpjrd")).toBe("currencyservice");
    expect(serviceOfPod("kube-proxy-x2kzq")).toBe("kube-proxy");
    expect(serviceOfPod("redis-0")).toBe("redis");
    expect(serviceOfPod("frontend")).toBeNull();
    expect(serviceOfPod("nginx-proxy")).toBeNull();
  });

  it("builds the vocabulary from pairs, with lone pods under the service of their name", () => {
    expect([...vocab.services].sort()).toEqual(["cart", "cart2", "gateway", "redis-cart", "ts-order-other-service", "ts-order-service"]);
    expect(vocab.pods.get("gateway-579b9bff58-t2dbm")).toBe("gateway");
    // A pod the bundle pairs with a service keeps that service, whatever its name says.
    const v = buildVocabulary([{ pod: "web-579b9bff58-t2dbm" }, { service: "storefront", pod: "web-579b9bff58-t2dbm" }]);
    expect(v.pods.get("web-579b9bff58-t2dbm")).toBe("storefront");
    expect(v.services.has("web")).toBe(false);
  });
});

describe("nezha scoring: AS@k", () => {
  const outcome = (c: string, fault: string, expected: string, top: (string | null)[], seconds: number): NezhaOutcome => ({ case: c, fault, expected, top, hypotheses: top.length, seconds, ...scoreServices(expected, top) });

  it("AS@1 is the first hypothesis's service, AS@3 any of the first three", () => {
    expect(scoreServices("Cart", ["cart", null, null])).toEqual({ as1: true, as3: true });
    expect(scoreServices("cart", [null, "redis-cart", "cart", "cart"])).toEqual({ as1: false, as3: true });
    expect(scoreServices("cart", ["a", "b", "c", "cart"])).toEqual({ as1: false, as3: false });
    expect(scoreServices("cart", [])).toEqual({ as1: false, as3: false });
  });

  it("summarises per fault type and overall, with the median seconds", () => {
    const os = [outcome("a", "cpu", "x", ["x"], 4), outcome("b", "cpu", "x", ["y", "x"], 10), outcome("c", "delay", "y", [], 6), outcome("d", "cpu", "z", ["z"], 20)];
    const s = summarise(os);
    expect(s.as1).toEqual({ hits: 2, of: 4 });
    expect(s.as3).toEqual({ hits: 3, of: 4 });
    expect(s.medianSeconds).toBe(8);
    expect(s.byFault).toEqual([
      { fault: "cpu", as1: { hits: 2, of: 3 }, as3: { hits: 3, of: 3 } },
      { fault: "delay", as1: { hits: 0, of: 1 }, as3: { hits: 0, of: 1 } },
    ]);
    expect(formatSummary("set-x", s).split("\n").at(-1)).toBe("nezha set-x: AS@1 2/4 (50.0 %), AS@3 3/4 (75.0 %), median 8.0 s per case");
    expect(formatCase(os[1]!)).toMatch(/^b\s+cpu\s+x\s+y\s+x\*\s+-\s+2\s+10\.0$/);
  });
});

describe("nezha: the system's names from the bundle", () => {
  const otlp = JSON.stringify({
    resourceSpans: [
      { resource: { attributes: [{ key: "service.name", value: { stringValue: "orders" } }, { key: "k8s.pod.name", value: { stringValue: "orders-7d9f8c6b54-x2kzq" } }] }, scopeSpans: [{ spans: [{ traceId: "a", spanId: "b", name: "x" }] }] },
      { resource: { attributes: [{ key: "k8s.pod.name", value: { stringValue: "pay-5f6585d649-fnmft" } }, { key: "service.name", value: { stringValue: "pay" } }] }, scopeSpans: [] },
    ],
  });
  const prom = `{"status":"success","data":{"resultType":"matrix","result":[\n{"metric":{"__name__":"cpu","pod":"db-0","namespace":"ns","service":"db"},"values":[[1,"0"]]}]}}`;
  const jaeger = `{"data":[{"processes":{"p1":{"serviceName":"edge","tags":[]}}}]}`;
  const expected = [
    { service: "orders", pod: "orders-7d9f8c6b54-x2kzq" },
    { service: "pay", pod: "pay-5f6585d649-fnmft" },
    { service: "db", pod: "db-0" },
    { service: "edge" },
  ];

  it("reads OTLP resources, Prometheus series and Jaeger processes in chunks split anywhere", () => {
    const text = `${otlp}\n${prom}\n${jaeger}`;
    const whole = new NameScanner();
    whole.push(text);
    whole.end();
    expect(whole.seen).toEqual(expected);
    for (const size of [1, 7, 64, 1000]) {
      const s = new NameScanner();
      for (let i = 0; i < text.length; i += size) s.push(text.slice(i, i + size));
      s.end();
      expect(s.seen, `chunks of ${size}`).toEqual(expected);
    }
  });

  it("names pods after their log files", () => {
    expect(podOfLogFile("case/pods/orders-7d9f8c6b54-x2kzq.log")).toBe("orders-7d9f8c6b54-x2kzq");
    expect(podOfLogFile("case/pods/orders-7d9f8c6b54-x2kzq.json")).toBeNull();
    expect(podOfLogFile("case/logs/nginx-error.log")).toBeNull();
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nezha-test-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function writeArchive(file: string, entries: Record<string, string>): Promise<void> {
    const pack = tar.pack();
    const done = new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(file);
      out.on("finish", resolve).on("error", reject);
      pack.pipe(createGzip()).pipe(out);
    });
    for (const [name, content] of Object.entries(entries)) pack.entry({ name }, content);
    pack.finalize();
    await done;
  }

  it("reads a case archive's names; a set directory needs expected.json and an archive per case", async () => {
    const dir = path.join(tmp, "set-a");
    fs.mkdirSync(dir);
    expect(() => loadSet(dir)).toThrow(UsageError);
    fs.writeFileSync(path.join(dir, "expected.json"), JSON.stringify({ "c-1": { service: "pay", pod: "pay-5f6585d649-fnmft", fault: "cpu", inject_time: "2022-08-22 03:53:54" }, "c-2": { service: "db", fault: "delay" } }));
    expect(() => loadSet(dir)).toThrow(/have no <case>\.tar\.gz/);
    await writeArchive(path.join(dir, "c-1.tar.gz"), { "c-1/traces/otlp.json": otlp, "c-1/metrics/cpu.json": prom, "c-1/pods/cache-6d8f5c4b7-bq2xz.log": "{}\n", "c-1/timeline.md": "pay is down" });
    await writeArchive(path.join(dir, "c-2.tar.gz"), { "c-2/x.txt": "" });
    const set = loadSet(dir);
    expect(set.cases.map((c) => [c.id, c.service, c.fault])).toEqual([
      ["c-1", "pay", "cpu"],
      ["c-2", "db", "delay"],
    ]);
    expect(selectCases(set.cases, "c-2").map((c) => c.id)).toEqual(["c-2"]);
    expect(() => selectCases(set.cases, "nope")).toThrow(UsageError);
    const names = buildVocabulary(await bundleNames(set.cases[0]!.archive));
    expect([...names.services].sort()).toEqual(["cache", "db", "orders", "pay"]);
    expect(names.pods.get("cache-6d8f5c4b7-bq2xz")).toBe("cache");
    fs.writeFileSync(path.join(dir, "expected.json"), JSON.stringify({ "c-1": { pod: "x" } }));
    expect(() => loadSet(dir)).toThrow(UsageError);
  });
});
