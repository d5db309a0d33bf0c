import { describe, expect, it } from "vitest";
import { normaliseErrorMessage, shortServiceName, statusSignature, type IncidentProfile } from "@/lib/server/services/incident-profile";
import { rankSimilar, similarityReason, WEIGHTS } from "@/lib/server/services/similar";

type P = Parameters<typeof rankSimilar>[0];

let clock = Date.UTC(2024, 0, 1);
/** A profile with only what a case sets; each new one is a day later than the previous. */
function profile(id: string, p: Partial<Omit<IncidentProfile, "signatures" | "detectors">> & { detectors?: Array<[string, number]>; signatures?: string[] } = {}): P {
  clock += 86_400_000;
  return {
    id,
    title: p.title ?? id,
    occurredAt: p.occurredAt ?? clock,
    topHypothesis: p.topHypothesis ?? null,
    detectors: (p.detectors ?? []).map(([d, confidence], i) => ({ id: d, confidence, rank: i + 1, title: d })),
    serviceNames: p.serviceNames ?? [],
    signatures: (p.signatures ?? []).map((label) => ({ key: `k:${label}`, label, count: 5 })),
  };
}

describe("similar incidents: what must match", () => {
  const target = profile("target", {
    detectors: [["iptables-rule-order", 0.97], ["latency-regression", 0.62]],
    serviceNames: ["checkout", "payment", "frontend"],
    signatures: ["503 UF", "response_timeout"],
  });

  it("a shared detector ranks above shared services, with the reason naming both", () => {
    const sameDetector = profile("same-detector", { detectors: [["iptables-rule-order", 0.9]] });
    const twoServices = profile("two-services", { serviceNames: ["checkout", "payment"] });
    const r = rankSimilar(target, [twoServices, sameDetector]);
    expect(r.map((x) => x.id)).toEqual(["same-detector", "two-services"]);
    expect(r[0]!.reason).toBe("same detector iptables-rule-order");
    expect(r[0]!.score).toBeCloseTo(WEIGHTS.detector + WEIGHTS.detectorConfidence * 0.9);
    expect(r[1]!.reason).toBe("shares services checkout, payment");
  });

  it("the reason lists detectors, services and error signatures in that order", () => {
    const all = profile("all", { detectors: [["iptables-rule-order", 0.8]], serviceNames: ["payment", "checkout", "other"], signatures: ["503 UF"] });
    const [hit] = rankSimilar(target, [all]);
    expect(hit!.reason).toBe("same detector iptables-rule-order; shares services checkout, payment; same error 503 UF");
    expect(hit!.sharedServices).toEqual(["checkout", "payment"]);
    expect(hit!.sharedSignatures).toEqual(["503 UF"]);
  });

  it("a shared error signature alone is enough", () => {
    const r = rankSimilar(target, [profile("sig", { signatures: ["response_timeout", "unrelated"] })]);
    expect(r).toHaveLength(1);
    expect(r[0]!.reason).toBe("same error response_timeout");
  });

  it("the more confident shared detector comes first in the reason", () => {
    const both = profile("both", { detectors: [["latency-regression", 0.9], ["iptables-rule-order", 0.95]] });
    expect(rankSimilar(target, [both])[0]!.sharedDetectors).toEqual(["iptables-rule-order", "latency-regression"]);
  });
});

describe("similar incidents: what must not match", () => {
  const target = profile("target", { detectors: [["ipvs-stale-backends", 0.8]], serviceNames: ["web", "api"] });

  it("one common service name alone is not a resemblance", () => {
    expect(rankSimilar(target, [profile("one-service", { serviceNames: ["web"] })])).toEqual([]);
  });

  it("nothing in common, and the incident itself, are never listed", () => {
    expect(rankSimilar(target, [profile("other", { detectors: [["conntrack-snat-race", 0.9]], serviceNames: ["db"] }), target])).toEqual([]);
  });
});

describe("similar incidents: ranking is deterministic", () => {
  it("equal scores: the more recent first, then by id; at most `limit`", () => {
    const target = profile("t", { detectors: [["latency-regression", 0.6]] });
    const older = profile("b-older", { detectors: [["latency-regression", 0.6]], occurredAt: Date.UTC(2020, 0, 1) });
    const newer = profile("z-newer", { detectors: [["latency-regression", 0.6]], occurredAt: Date.UTC(2023, 0, 1) });
    const sameTimeA = profile("a-same", { detectors: [["latency-regression", 0.6]], occurredAt: Date.UTC(2021, 0, 1) });
    const sameTimeC = profile("c-same", { detectors: [["latency-regression", 0.6]], occurredAt: Date.UTC(2021, 0, 1) });
    const input = [older, sameTimeC, newer, sameTimeA];
    const r = rankSimilar(target, input).map((x) => x.id);
    expect(r).toEqual(["z-newer", "a-same", "c-same", "b-older"]);
    expect(rankSimilar(target, [...input].reverse()).map((x) => x.id)).toEqual(r);
    expect(rankSimilar(target, input, 2).map((x) => x.id)).toEqual(["z-newer", "a-same"]);
  });

  it("long lists in the reason are cut with a count", () => {
    expect(similarityReason([], ["a", "b", "c", "d", "e"], [])).toBe("shares services a, b, c +2");
  });
});

describe("service names", () => {
  it.each([
    ["checkout.shop-canary.svc.cluster.local", "checkout"],
    ["go-httpbin.httpbin.svc", "go-httpbin"],
    ["go-httpbin-6c9d7f8b5-s4vnd", "go-httpbin"],
    ["go-httpbin-5f7b8c9d4", "go-httpbin"],
    ["payment-service-abcde", "payment-service-abcde"],
    ["reviews-v2", "reviews-v2"],
    ["Ratings", "ratings"],
    ["presentation.cwwnpdw25ztn.us-east-1.rds.amazonaws.com", "presentation.cwwnpdw25ztn.us-east-1.rds.amazonaws.com"],
  ])("%s → %s", (raw, short) => expect(shortServiceName(raw)).toBe(short));

  it.each(["10.244.2.23:15008", "10.0.0.1", "unknown", "-", "", "fd00::1"])("%j is an address or placeholder, not a service", (raw) => {
    expect(shortServiceName(raw)).toBeNull();
  });
});

describe("error signatures", () => {
  it("splits Envoy details and drops their braces", () => {
    expect(normaliseErrorMessage("upstream_reset_before_response_started{connection_failure}; delayed_connect_error:_111")).toEqual([
      "upstream_reset_before_response_started",
      "delayed_connect_error:_111",
    ]);
  });
  it("replaces addresses, ids and long numbers so the same failure compares equal", () => {
    const a = normaliseErrorMessage("dial tcp 10.0.4.17:8080: i/o timeout after 30000 ms (req 3f2a9c1e-1111-4aaa-8bbb-0123456789ab)");
    const b = normaliseErrorMessage("Dial TCP 10.9.9.9:9090: i/o timeout after 15000 ms (req 00000000-2222-4ccc-8ddd-abcdefabcdef)");
    expect(a).toEqual(b);
    expect(a[0]).toBe("dial tcp <ip>: i/o timeout after <n> ms (req <id>)");
  });
  it("short numbers (errno, status) stay", () => {
    expect(normaliseErrorMessage("connection failed: Connection refused (os error 111)")).toEqual(["connection failed: connection refused (os error 111)"]);
  });
  it("status signatures name the flag and the no-response / connection-error cases", () => {
    expect(statusSignature(503, "UF")).toEqual({ key: "status:503 UF", label: "503 UF" });
    expect(statusSignature(504, "-").label).toBe("504");
    expect(statusSignature(0, "UC").label).toBe("no response UC");
    expect(statusSignature(-1, "error").label).toBe("connection error");
  });
});
