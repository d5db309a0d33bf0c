import { expect } from "vitest";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { ev, ipvs, pod, slice, T0 } from "../builders";

const LIVE = ["10.2.1.4", "10.2.2.9", "10.2.3.3"];

export const cases = defineDetectorCases({
  fires: [
    {
      name: "the node and the stale IP of a deleted pod named, corroborated by kube-proxy delete loops",
      files: () => [
        { path: "nodes/ip-10-0-1-10/ipvsadm.txt", records: [ipvs("ip-10-0-1-10", LIVE)] },
        { path: "nodes/ip-10-0-2-20/ipvsadm.txt", records: [ipvs("ip-10-0-2-20", [...LIVE, "10.2.0.17"])] },
        { path: "k8s/endpointslices.yaml", records: [slice("web", LIVE)] },
        { path: "k8s/pods.yaml", records: [pod("web-1", "10.2.1.4"), pod("web-old", "10.2.0.17", { deletedAt: (T0 - 3600_000) as never })] },
        { path: "nodes/ip-10-0-2-20/kube-proxy.log", records: [ev({ ts: T0 - 60_000, source: "klog", count: 40, text: "graceful_termination.go:160] Trying to delete rs: 10.96.0.50:80/TCP/10.2.0.17:8080" })] },
      ],
      confidence: { gte: 0.85 },
      facts: { nodes: ["ip-10-0-2-20"], staleIps: ["10.2.0.17"], cleanNodes: ["ip-10-0-1-10"] },
      cites: [{ file: expect.stringMatching(/kube-proxy\.log$/) }],
    },
    {
      name: "the cross-node majority when there are no k8s objects",
      files: () => ["a", "b", "c"].map((n) => ({ path: `nodes/${n}/ipvsadm.txt`, records: [ipvs(n, n === "c" ? [...LIVE, "10.2.0.99"] : LIVE)] })),
      facts: { staleIps: ["10.2.0.99"] },
    },
  ],
  doesNotFire: [
    {
      name: "every node matches the EndpointSlices",
      files: () => [
        { path: "nodes/a/ipvsadm.txt", records: [ipvs("a", LIVE)] },
        { path: "nodes/b/ipvsadm.txt", records: [ipvs("b", LIVE)] },
        { path: "k8s/endpointslices.yaml", records: [slice("web", LIVE)] },
      ],
    },
  ],
});
