import { describe, expect, it } from "vitest";
import { ipvsStaleBackends } from "@/lib/server/detectors/ipvs-stale-backends";
import { byDetector, ev, ipvs, pod, run, slice, T0 } from "./builders";

const LIVE = ["10.2.1.4", "10.2.2.9", "10.2.3.3"];

describe("ipvs-stale-backends", () => {
  it("names the node and the stale IP of a deleted pod, corroborated by kube-proxy delete loops", async () => {
    const res = await run([
      { path: "nodes/ip-10-0-1-10/ipvsadm.txt", records: [ipvs("ip-10-0-1-10", LIVE)] },
      { path: "nodes/ip-10-0-2-20/ipvsadm.txt", records: [ipvs("ip-10-0-2-20", [...LIVE, "10.2.0.17"])] },
      { path: "k8s/endpointslices.yaml", records: [slice("web", LIVE)] },
      { path: "k8s/pods.yaml", records: [pod("web-1", "10.2.1.4"), pod("web-old", "10.2.0.17", { deletedAt: T0 - 3600_000 as never })] },
      { path: "nodes/ip-10-0-2-20/kube-proxy.log", records: [ev({ ts: T0 - 60_000, source: "klog", count: 40, text: "graceful_termination.go:160] Trying to delete rs: 10.96.0.50:80/TCP/10.2.0.17:8080" })] },
    ], [ipvsStaleBackends]);
    const h = byDetector(res, "ipvs-stale-backends");
    expect(h).toBeDefined();
    expect(h!.facts.nodes).toEqual(["ip-10-0-2-20"]);
    expect(h!.facts.staleIps).toEqual(["10.2.0.17"]);
    expect(h!.facts.cleanNodes).toEqual(["ip-10-0-1-10"]);
    expect(h!.confidence).toBeGreaterThanOrEqual(0.85);
    expect(h!.evidence.some((e) => e.file.endsWith("kube-proxy.log"))).toBe(true);
  });

  it("uses the cross-node majority when there are no k8s objects", async () => {
    const res = await run(["a", "b", "c"].map((n) => ({ path: `nodes/${n}/ipvsadm.txt`, records: [ipvs(n, n === "c" ? [...LIVE, "10.2.0.99"] : LIVE)] })), [ipvsStaleBackends]);
    expect(byDetector(res, "ipvs-stale-backends")?.facts.staleIps).toEqual(["10.2.0.99"]);
  });

  it("does not fire when every node matches the EndpointSlices", async () => {
    const res = await run([
      { path: "nodes/a/ipvsadm.txt", records: [ipvs("a", LIVE)] },
      { path: "nodes/b/ipvsadm.txt", records: [ipvs("b", LIVE)] },
      { path: "k8s/endpointslices.yaml", records: [slice("web", LIVE)] },
    ], [ipvsStaleBackends]);
    expect(res.hypotheses).toEqual([]);
  });
});
