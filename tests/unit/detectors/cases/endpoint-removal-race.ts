import { expect } from "vitest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { ev, healthyTraffic, pod, req, T0, type FileRecords } from "../builders";

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

// Without pod objects, slices or ztunnel workload names the bundle holds no pod IPs: a gateway's
// refusals to an address nobody owns, of the terminating pod's own service, starting just after
// its termination, are taken as the pod's — at a lower confidence that says why.
const gatewayRefusals = (service: string) =>
  PODS.flatMap((p) => {
    const out: EvidenceRecord[] = [];
    for (let t = 1500; t <= 1500 + p.gap; t += 25) out.push(req({ ts: p.kill + t, durationMs: 1, status: 503, flags: ["UF"], error: "delayed_connect_error:_111", authority: `${service}.default:8080`, dest: { ip: p.ip, port: 8080, service: `${service}.default.svc.cluster.local` } }));
    return out;
  });
const killings = (): FileRecords => ({ path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name, namespace: "default" } })) });

export const cases = defineDetectorCases({
  fires: [
    {
      name: "one refused burst per terminating pod, measured, naming the ztunnel data path",
      files: () => [
        { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
        { path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name, namespace: "default" } })) },
        { path: "logs/ztunnel.log", records: [...healthyTraffic({ seconds: 100, rps: 20, source: "ztunnel", destIp: "10.244.9.9" }), ...refusedBursts()] },
      ],
      confidence: { gte: 0.75 },
      facts: { pods: PODS.map((p) => p.name), dataPath: expect.stringMatching(/ztunnel/) },
      cites: ["k8s/events.json", "logs/ztunnel.log"],
      check: (h) => {
        const gaps = h.facts.gapsMs as number[];
        expect(gaps).toHaveLength(PODS.length);
        gaps.forEach((g, i) => expect(Math.abs(g - PODS[i]!.gap)).toBeLessThanOrEqual(20));
      },
    },
    {
      name: "a terminating pod matched with refusals of its own service by timing when the bundle has no pod IPs",
      files: () => [killings(), { path: "logs/gateway.log", records: [...healthyTraffic({ seconds: 100, rps: 20, destIp: "10.244.9.9" }), ...gatewayRefusals("httpbin")] }],
      facts: { pods: PODS.map((p) => p.name), ips: PODS.map((p) => p.ip) },
      check: (h) => expect(h.confidenceFactors.some((f) => f.kind === "specificity" && /service name and timing/.test(f.label))).toBe(true),
    },
  ],
  doesNotFire: [
    {
      name: "a rollout without refused requests",
      files: () => [
        { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
        { path: "k8s/events.json", records: PODS.map((p) => ev({ ts: p.kill, reason: "Killing", text: "Stopping container httpbin", subject: { kind: "Pod", name: p.name } })) },
        { path: "logs/ztunnel.log", records: healthyTraffic({ seconds: 100, rps: 20, source: "ztunnel" }) },
      ],
    },
    {
      name: "refused pods that were never terminating",
      files: () => [
        { path: "k8s/pods.yaml", records: PODS.map((p) => pod(p.name, p.ip)) },
        { path: "logs/ztunnel.log", records: refusedBursts() },
      ],
    },
    {
      name: "refusals of another service taken for a terminating pod's",
      files: () => [killings(), { path: "logs/gateway.log", records: [...healthyTraffic({ seconds: 100, rps: 20, destIp: "10.244.9.9" }), ...gatewayRefusals("payments")] }],
    },
  ],
});
