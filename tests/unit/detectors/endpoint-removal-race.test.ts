import { describe, expect, it } from "vitest";
import { endpointRemovalRace } from "@/lib/server/detectors/endpoint-removal-race";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { byDetector, ev, healthyTraffic, pod, req, run, T0 } from "./builders";

const PODS = [
  { name: "httpbin-7d9f-aaaaa", ip: "10.244.1.11", kill: T0 + 30_000, gap: 300 },
  { name: "httpbin-7d9f-bbbbb", ip: "10.244.2.12", kill: T0 + 50_000, gap: 450 },
  { name: "httpbin-7d9f-ccccc", ip: "10.244.3.13", kill: T0 + 70_000, gap: 220 },
];

function refusedBursts(source = "ztunnel"): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (const p of PODS)
    for (let t = 40; t <= 40 + p.gap; t += 20)
      out.push(req({ ts: p.kill + t, durationMs: 1, status: 503, source, error: "connection failed: Connection refused (os error 111)", dest: { ip: `${p.ip}:8080`, workload: p.name } }));
  return out;
}

describe("endpoint-removal-race", () => {
  it("measures one refused burst per terminating pod and names the ztunnel data path", async () => {
    const res = await run([
      { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
      { path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name, namespace: "default" } })) },
      { path: "logs/ztunnel.log", records: [...healthyTraffic({ seconds: 100, rps: 20, source: "ztunnel", destIp: "10.244.9.9" }), ...refusedBursts()] },
    ], [endpointRemovalRace]);
    const h = byDetector(res, "endpoint-removal-race");
    expect(h).toBeDefined();
    expect(h!.facts.pods).toEqual(PODS.map((p) => p.name));
    const gaps = h!.facts.gapsMs as number[];
    gaps.forEach((g, i) => expect(Math.abs(g - PODS[i]!.gap)).toBeLessThanOrEqual(20));
    expect(h!.facts.dataPath).toMatch(/ztunnel/);
    expect(h!.confidence).toBeGreaterThanOrEqual(0.75);
    expect(h!.evidence.some((e) => e.file === "k8s/events.json")).toBe(true);
    expect(h!.evidence.some((e) => e.file === "logs/ztunnel.log")).toBe(true);
  });

  it("does not fire for a rollout without refused requests", async () => {
    const res = await run([
      { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
      { path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name } })) },
      { path: "logs/ztunnel.log", records: healthyTraffic({ seconds: 100, rps: 20, source: "ztunnel" }) },
    ], [endpointRemovalRace]);
    expect(res.hypotheses).toEqual([]);
  });

  it("does not fire when the refused pods were never terminating", async () => {
    const res = await run([
      { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
      { path: "logs/ztunnel.log", records: refusedBursts() },
    ], [endpointRemovalRace]);
    expect(res.hypotheses).toEqual([]);
  });

  // Without pod objects, slices or ztunnel workload names the bundle holds no pod IPs: a gateway's
  // refusals to an address nobody owns, of the terminating pod's own service, starting just after
  // its termination, are taken as the pod's — at a lower confidence that says why.
  const gatewayRefusals = (service: string) =>
    PODS.flatMap((p) => {
      const out: EvidenceRecord[] = [];
      for (let t = 1500; t <= 1500 + p.gap; t += 25) out.push(req({ ts: p.kill + t, durationMs: 1, status: 503, flags: ["UF"], error: "delayed_connect_error:_111", authority: `${service}.default:8080`, dest: { ip: p.ip, port: 8080, service: `${service}.default.svc.cluster.local` } }));
      return out;
    });
  const killings = () => ({ path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name, namespace: "default" } })) });
  it("matches a terminating pod with refusals of its own service by timing when the bundle has no pod IPs", async () => {
    const res = await run([killings(), { path: "logs/gateway.log", records: [...healthyTraffic({ seconds: 100, rps: 20, destIp: "10.244.9.9" }), ...gatewayRefusals("httpbin")] }], [endpointRemovalRace]);
    const h = byDetector(res, "endpoint-removal-race");
    expect(h).toBeDefined();
    expect(h!.facts.pods).toEqual(PODS.map((p) => p.name));
    expect(h!.facts.ips).toEqual(PODS.map((p) => p.ip));
    expect(h!.confidenceFactors.some((f) => f.kind === "specificity" && /service name and timing/.test(f.label))).toBe(true);
  });
  it("does not take refusals of another service for a terminating pod's", async () => {
    const res = await run([killings(), { path: "logs/gateway.log", records: [...healthyTraffic({ seconds: 100, rps: 20, destIp: "10.244.9.9" }), ...gatewayRefusals("payments")] }], [endpointRemovalRace]);
    expect(byDetector(res, "endpoint-removal-race")).toBeUndefined();
  });
});
