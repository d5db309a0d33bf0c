import { expect } from "vitest";
import type { ContainerInfo, EvidenceRecord, SeriesRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { ev, healthyTraffic, pod, req, T0, type FileRecords } from "../builders";

const MiB = 2 ** 20;
const LIMIT = 512 * MiB;
const CART = ["cart-6f7c9d8b5-aaaaa", "cart-6f7c9d8b5-bbbbb"];
/** Both replicas OOM-killed together, three times: at +60 s, +180 s, +300 s. */
const KILLS = [60_000, 180_000, 300_000];
const SVC = "cart.shop.svc.cluster.local";

const container = (extra: Partial<ContainerInfo> = {}): ContainerInfo => ({ name: "cart", memoryLimitBytes: LIMIT, restartCount: 3, state: "waiting", stateReason: "CrashLoopBackOff", ...extra });
const pods = (reason = "OOMKilled", exitCode = 137) =>
  CART.map((name, i) => pod(name, `10.244.1.${10 + i}`, { labels: { app: "cart" }, containers: [container({ lastTerminated: { reason, exitCode, finishedAt: epochMs(T0 + KILLS[2]! + i * 800) } })] }));

/** One request per 100 ms to cart; while both replicas are down (kill → +20 s) the proxy answers 503 UH. */
function traffic(opts: { down?: number[]; service?: string; uhService?: string } = {}): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  const down = opts.down ?? KILLS;
  for (let t = 0; t < 400_000; t += 100) {
    const dead = down.some((k) => t >= k + 1500 && t < k + 20_000);
    const svc = dead ? (opts.uhService ?? SVC) : (opts.service ?? SVC);
    out.push(
      dead
        ? req({ ts: T0 + t, durationMs: 0, status: 503, flags: ["UH"], error: "no_healthy_upstream", dest: { service: svc, cluster: `outbound|8080||${svc}` } })
        : req({ ts: T0 + t, durationMs: 20, dest: { service: svc, ip: CART[(t / 100) % 2]!.endsWith("a") ? "10.244.1.10" : "10.244.1.11", port: 8080 } }),
    );
  }
  return out;
}

/** Working set climbing to the limit and dropping at each kill, 15 s steps. */
function memory(podName: string, offset: number, kills = KILLS): SeriesRecord {
  const points: [ReturnType<typeof epochMs>, number][] = [];
  let base = 0;
  for (let t = 0; t <= 400_000; t += 15_000) {
    const last = [...kills].reverse().find((k) => t >= k + offset);
    base = last === undefined ? t : t - last - offset;
    points.push([epochMs(T0 + t), Math.min(LIMIT, 120 * MiB + (base / 60_000) * 400 * MiB)]);
  }
  return { kind: "series", name: "container_memory_working_set_bytes", labels: { namespace: "shop", pod: podName, container: "cart" }, points, prov: { pointer: `/data/result/${offset}` } };
}

const oomEvents = (): FileRecords => ({
  path: "k8s/events.json",
  records: KILLS.flatMap((k) => CART.map((p, i) => ev({ ts: T0 + k + i * 800, reason: "OOMKilling", severity: "warning", text: `Memory cgroup out of memory: Killed process 41${i} (java) in container cart of pod ${p}`, subject: { kind: "Pod", name: p, namespace: "shop" } }))),
});

export const cases = defineDetectorCases({
  fires: [
    {
      name: "both replicas OOM-killed together, 503 UH after each kill, memory at the limit",
      files: () => [
        { path: "k8s/pods.json", records: pods() },
        oomEvents(),
        { path: "metrics/memory.json", records: CART.map((p, i) => memory(p, i * 800)) },
        { path: "logs/frontend-istio-proxy.log", records: traffic() },
      ],
      confidence: { gte: 0.85 },
      facts: { service: "cart", killedPods: 2, replicas: 2, episodes: 3 },
      cites: ["k8s/pods.json", "logs/frontend-istio-proxy.log"],
      explains: ["error-burst-after-change"],
      check: (h) => expect(h.confidenceFactors.some((f) => f.kind === "independence" && /memory limit/.test(f.label))).toBe(true),
    },
    {
      name: "only the pod snapshot's last OOM termination and the memory series time the kills",
      files: () => [
        { path: "k8s/pods.json", records: pods() },
        { path: "metrics/memory.json", records: CART.map((p, i) => memory(p, i * 800)) },
        { path: "logs/gw.log", records: traffic() },
      ],
      confidence: { gte: 0.7 },
      facts: { service: "cart", episodes: 3 },
    },
    {
      name: "ztunnel's 'no healthy upstream' errors after OOMKilling events",
      files: () => [
        oomEvents(),
        { path: "logs/ztunnel.log", records: traffic().map((r) => (r.kind === "request" && r.status === 503 ? { ...r, source: "ztunnel", status: null, flags: undefined, error: `no healthy upstream: 10.96.4.4:8080` } : r)) },
      ],
      confidence: { gte: 0.6 },
      facts: { service: "cart" },
    },
  ],
  doesNotFire: [
    {
      name: "one OOM kill with a spare replica: no request found no healthy upstream",
      files: () => [
        { path: "k8s/pods.json", records: [pods()[0]!, pod(CART[1]!, "10.244.1.11", { labels: { app: "cart" }, containers: [container({ restartCount: 0, state: "running", stateReason: undefined })] })] },
        { path: "metrics/memory.json", records: [memory(CART[0]!, 0, [300_000])] },
        { path: "logs/gw.log", records: traffic({ down: [] }) },
      ],
      coverage: { status: "clean" },
    },
    {
      name: "a crash loop for another reason (exit 1, Error) with 503 UH after each crash",
      files: () => [
        { path: "k8s/pods.json", records: pods("Error", 1) },
        { path: "k8s/events.json", records: KILLS.map((k) => ev({ ts: T0 + k, reason: "BackOff", severity: "warning", text: "Back-off restarting failed container cart in pod cart-6f7c9d8b5-aaaaa_shop(uid)", subject: { kind: "Pod", name: CART[0]!, namespace: "shop" } })) },
        { path: "logs/gw.log", records: traffic() },
      ],
      coverage: { status: "clean" },
    },
    {
      name: "OOM kills of another service while this one found no healthy upstream",
      files: () => [{ path: "k8s/pods.json", records: pods() }, oomEvents(), { path: "logs/gw.log", records: traffic({ uhService: "orders.shop.svc.cluster.local" }) }],
    },
    {
      name: "no healthy upstream long before the OOM kills",
      files: () => [
        { path: "k8s/events.json", records: CART.map((p) => ev({ ts: T0 + 390_000, reason: "OOMKilling", text: `Memory cgroup out of memory: Killed process 1 (java) in pod ${p}`, subject: { kind: "Pod", name: p } })) },
        { path: "logs/gw.log", records: traffic({ down: [10_000] }) },
      ],
    },
    {
      name: "a rolling restart (Killing events) with healthy traffic",
      files: () => [
        { path: "k8s/events.json", records: CART.map((p, i) => ev({ ts: T0 + 100_000 + i * 20_000, reason: "Killing", text: "Stopping container cart", subject: { kind: "Pod", name: p } })) },
        { path: "logs/gw.log", records: healthyTraffic({ seconds: 200, rps: 10 }) },
      ],
    },
  ],
});
