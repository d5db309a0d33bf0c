import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import { buildIpvsModel, judgeReal, staleIpvsReals } from "@/lib/server/correlate/ipvs";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { iso } from "./util";

/**
 * ipvs-stale-backends: kube-proxy (IPVS mode) on some nodes keeps real servers that no longer back
 * their service — it failed to delete them (seed 002: the graceful-termination delete loop of
 * kube-proxy 1.11.5/1.12.2) — and often also misses the new backends, so those nodes send part of
 * the connections to dead pod IPs.
 *
 *   Service web 10.96.0.50:80   EndpointSlice web: 10.2.1.4  10.2.2.9  10.2.3.3
 *   node-a  10.96.0.50:80 → 10.2.1.4 10.2.2.9 10.2.3.3              ✓ agrees with its service
 *   node-b  10.96.0.50:80 → 10.2.1.4 10.2.0.17 (10.2.3.3 missing)    ✗ 10.2.0.17 = deleted pod web-…-x
 *   kube-proxy (node-b) "Trying to delete rs: 10.96.0.50:80/TCP/10.2.0.17:8080" × 412
 *   kube-dns 10.96.0.10:53 → 10.2.5.5 10.2.6.6   no EndpointSlice of kube-dns in the bundle: not judged
 *
 * Which real servers are stale, and on what evidence, is judged in lib/server/correlate/ipvs.ts
 * (the network view flags the same ones): a real server only against evidence about its *own*
 * service (absence is not evidence) — its EndpointSlices, a deleted pod that held the IP,
 * kube-proxy's delete loop, else (≥ 3 nodes) the majority of nodes.
 */
export const ipvsStaleBackends: Detector = {
  id: "ipvs-stale-backends",
  title: "IPVS real servers point at IPs that no longer back the service",
  requires: ["ipvsadm", "k8s-objects", "klog", "k8s-events"],
  specificity: "specific",
  coverage(ctx) {
    if (!ctx.ipvs.length) return { checked: false, detail: "no ipvsadm dump in the bundle" };
    const m = buildIpvsModel(ctx);
    for (const r of m.reals) judgeReal(m, r);
    const vips = new Set(m.reals.map((r) => r.vip)).size;
    if (!m.judged.size) return { checked: false, detail: `IPVS tables of ${m.nodes.length} node${m.nodes.length > 1 ? "s" : ""} present, but no EndpointSlices, pods or kube-proxy logs about their services (and fewer than 3 nodes to compare)` };
    return { checked: true, detail: `${m.judged.size} of ${vips} IPVS virtual servers on ${m.nodes.length} node${m.nodes.length > 1 ? "s" : ""} compared with the evidence about their own services: no stale real server` };
  },
  detect(ctx: DetectorContext) {
    if (!ctx.ipvs.length) return [];
    const { model: m, stale } = staleIpvsReals(ctx);
    if (!stale.length) return [];
    // Only weak (minority) verdicts and every one of them drained on purpose → not a finding.
    const staleIps = [...new Set(stale.map((s) => s.r.ip))].sort();
    const staleNodes = [...new Set(stale.map((s) => s.r.node))].sort();
    const staleVips = new Set(stale.map((s) => s.r.vip));
    // Nodes whose tables for the same virtual servers are clean: the fault is per node.
    const cleanNodes = m.nodes.filter((n) => !staleNodes.includes(n) && m.reals.some((r) => r.node === n && staleVips.has(r.vip)));
    // Valid endpoints the stale nodes lack: the table is outdated, not just one leftover.
    const missing: string[] = [];
    for (const vip of staleVips) {
      const eps = m.endpointsOf.get(m.serviceOfVip.get(vip) ?? "");
      if (!eps) continue;
      for (const n of staleNodes) {
        const have = new Set(m.reals.filter((r) => r.node === n && r.vip === vip).map((r) => r.ip));
        if (!have.size) continue;
        for (const ip of eps) if (!have.has(ip) && m.livePodIps.has(ip)) missing.push(`${n}: ${vip} lacks ${ip}`);
      }
    }
    const logLines = [...new Set(staleIps.flatMap((ip) => m.deleteLogs.get(ip) ?? []))];
    const repeats = logLines.reduce((n, e) => n + (e.rec.count ?? 1), 0);
    const strengths = new Set(stale.map((s) => s.v.strength));
    const activeWeight = stale.reduce((n, s) => n + s.r.weight, 0);

    const c = new Confidence(strengths.has("service") || strengths.has("deleted-pod") ? 0.55 : strengths.has("kube-proxy-log") ? 0.5 : 0.4,
      strengths.has("service") ? "real servers are not endpoints of their own service" : strengths.has("deleted-pod") ? "real servers are IPs of deleted pods" : strengths.has("kube-proxy-log") ? "kube-proxy keeps failing to delete these real servers" : "a minority of nodes route to IPs the other nodes do not");
    c.when(stale.some((s) => m.deletedPodIps.has(s.r.ip)) && !strengths.has("deleted-pod"), 0.1, `${staleIps.filter((ip) => m.deletedPodIps.has(ip)).length} of the IPs belonged to deleted pods`);
    c.when(cleanNodes.length > 0, 0.08, `${cleanNodes.length} other node${cleanNodes.length > 1 ? "s have" : " has"} correct tables for the same services: a per-node kube-proxy fault`, "independence");
    if (repeats >= 3) c.add(0.12, `kube-proxy logged ${repeats} attempts to delete these real servers`, "independence");
    c.when(missing.length > 0, 0.05, `the same nodes also lack ${missing.length} current endpoint${missing.length > 1 ? "s" : ""}: their tables stopped being updated`);
    if (activeWeight === 0 && repeats < 3) c.add(-0.2, "every stale real server has weight 0: kube-proxy may be draining them on purpose", "counter");
    if (staleNodes.length === m.nodes.length && m.nodes.length > 1 && !strengths.has("service") && !strengths.has("deleted-pod")) c.add(-0.1, "every node has the same table: nothing per-node stands out", "counter");
    c.cap(0.93, "IPVS tables show routing, not which connections actually failed");

    const evidence: EvidenceRef[] = [];
    const perNode = new Map<string, typeof stale>();
    for (const s of stale) (perNode.get(s.r.node) ?? perNode.set(s.r.node, []).get(s.r.node)!).push(s);
    for (const [node, list] of perNode)
      for (const { r, v } of list.slice(0, 3))
        evidence.push({ file: ctx.files.get(r.dump.fileId)?.path ?? r.dump.fileId, fileId: r.dump.fileId, line: r.line ?? null, ts: iso(r.dump.rec.capturedAt), excerpt: `${node}: ${r.vip} -> ${r.ip}:${r.port} weight ${r.weight}`, why: `${r.ip} ${v.why}.` });
    for (const e of logLines.slice(0, 4)) evidence.push(ctx.cite(e, `${iso(e.rec.ts)} ${e.rec.text}`.slice(0, 2000), `kube-proxy keeps trying to remove a stale real server${(e.rec.count ?? 1) > 1 ? ` (×${e.rec.count})` : ""}.`));
    const cleanDump = cleanNodes.length ? m.latest.get(cleanNodes[0]!) : undefined;
    if (cleanDump) evidence.push({ file: ctx.files.get(cleanDump.fileId)?.path ?? cleanDump.fileId, fileId: cleanDump.fileId, line: cleanDump.rec.services[0]?.line ?? cleanDump.rec.prov.line ?? null, ts: iso(cleanDump.rec.capturedAt), excerpt: `${cleanNodes[0]}: no stale real servers for the same virtual servers`, why: "A node with a correct IPVS table: the divergence is per node." });

    const judgedBy = strengths.has("service") ? "endpointslices" : strengths.has("deleted-pod") ? "deleted-pods" : strengths.has("kube-proxy-log") ? "kube-proxy-log" : "cross-node-majority";
    return [
      {
        detector: "ipvs-stale-backends",
        title: `IPVS on ${staleNodes.join(", ")} still routes to ${staleIps.length} stale backend IP${staleIps.length > 1 ? "s" : ""} (${staleIps.slice(0, 4).join(", ")}${staleIps.length > 4 ? ", …" : ""})`,
        ...c.result(),
        summary: `The IPVS tables on ${staleNodes.join(", ")} contain real servers ${staleIps.slice(0, 6).join(", ")} that no longer back their services, so connections balanced there fail. ${cleanNodes.length ? `${cleanNodes.join(", ")} ${cleanNodes.length > 1 ? "have" : "has"} correct tables for the same services, so the fault is kube-proxy on the affected nodes` : "No node with a correct table for the same services is in the bundle"}${repeats ? `; kube-proxy logged ${repeats} repeated delete attempts for these IPs` : ""}${missing.length ? `; the same nodes lack ${missing.length} current endpoint${missing.length > 1 ? "s" : ""}` : ""}. Virtual servers whose services have no evidence in the bundle were not judged.`,
        evidence,
        counterEvidence: [],
        checks: [`ipvsadm -Ln on ${staleNodes[0]} and compare real servers with kubectl get endpointslices.`, "Check kube-proxy version and logs for graceful-termination delete loops.", "Check load-balancer health checks per node (only the affected nodes should be unhealthy)."],
        remediation: {
          immediate: [`Restart kube-proxy on ${staleNodes.join(", ")} (it rebuilds IPVS state) or drain those nodes from the load balancer.`],
          longTerm: ["Upgrade/roll back kube-proxy to a version without the graceful-termination delete bug.", "Alert on IPVS real servers that are absent from EndpointSlices (per node divergence)."],
        },
        explains: ["latency-regression", "error-burst-after-change", "retry-latency-amplification"],
        facts: { nodes: staleNodes, staleIps, cleanNodes, repeatedDeletes: repeats, missingEndpoints: missing.length, basis: judgedBy },
      },
    ];
  },
};
