import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { IpvsRecord } from "@/lib/schemas/records";
import { stripPort, type Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { clamp01, iso } from "./util";

/**
 * ipvs-stale-backends: IPVS real servers on some nodes still point at IPs that no longer back the
 * service (kube-proxy failed to delete them), so those nodes blackhole a share of connections.
 *
 *   EndpointSlice web:  10.2.1.4  10.2.2.9  10.2.3.3
 *   node-a  10.96.0.50:80 → 10.2.1.4 10.2.2.9 10.2.3.3            ✓ agrees
 *   node-b  10.96.0.50:80 → 10.2.1.4 10.2.2.9 10.2.3.3 10.2.0.17   ✗ 10.2.0.17 = deleted pod
 *   kube-proxy (node-b) "Trying to delete rs … 10.2.0.17:8080" × 412
 *
 * Valid backends: EndpointSlice/Endpoints addresses and IPs of live pods. Without any k8s objects,
 * the majority view across nodes per virtual service is the reference (needs ≥ 3 nodes).
 * A real server is stale when its IP is not valid; confidence grows when the IP belonged to a
 * deleted pod, when other nodes do not have it, and when kube-proxy logs repeat deletes for it.
 */
export const ipvsStaleBackends: Detector = {
  id: "ipvs-stale-backends",
  title: "IPVS real servers point at IPs that no longer back the service",
  requires: ["ipvsadm", "k8s-objects", "klog", "k8s-events"],
  specificity: "specific",
  detect(ctx: DetectorContext) {
    if (!ctx.ipvs.length) return [];
    const pathOf = (fileId: string) => ctx.files.get(fileId)?.path ?? fileId;
    const nodeOf = (d: Located<IpvsRecord>) => d.rec.node ?? ctx.files.get(d.fileId)?.node ?? pathOf(d.fileId);
    // Latest dump per node.
    const latest = new Map<string, Located<IpvsRecord>>();
    for (const d of ctx.ipvs) {
      const n = nodeOf(d);
      const cur = latest.get(n);
      if (!cur || (d.rec.capturedAt ?? 0) >= (cur.rec.capturedAt ?? 0)) latest.set(n, d);
    }
    const valid = new Set<string>();
    const deletedPodIps = new Map<string, string>();
    let haveObjects = false;
    for (const { rec: o } of ctx.objects) {
      if (o.endpoints) {
        haveObjects = true;
        for (const ep of o.endpoints) if (ep.ready !== false || ep.terminating) valid.add(stripPort(ep.ip));
      }
      if (o.k8sKind === "Pod") {
        haveObjects = true;
        const gone = typeof o.deletedAt === "number" || o.phase === "Succeeded" || o.phase === "Failed";
        for (const ip of o.ips) if (gone) deletedPodIps.set(stripPort(ip), o.name);
        else valid.add(stripPort(ip));
      }
      if (o.k8sKind === "Node") for (const ip of o.ips) valid.add(stripPort(ip)); // hostNetwork backends (apiserver, node-local)
    }
    for (const ip of deletedPodIps.keys()) if (valid.has(ip)) deletedPodIps.delete(ip); // IP reused by a live pod

    // Reals per virtual service per node.
    type Real = { node: string; dump: Located<IpvsRecord>; vip: string; ip: string; port: number; weight: number; line?: number };
    const reals: Real[] = [];
    for (const [node, d] of latest)
      for (const s of d.rec.services) for (const r of s.reals) reals.push({ node, dump: d, vip: `${s.proto} ${s.address}:${s.port}`, ip: stripPort(r.address), port: r.port, weight: r.weight, line: s.line });
    const nodes = [...latest.keys()].sort();
    const vipNodes = new Map<string, Set<string>>();
    const ipNodesByVip = new Map<string, Map<string, Set<string>>>();
    for (const r of reals) {
      (vipNodes.get(r.vip) ?? vipNodes.set(r.vip, new Set()).get(r.vip)!).add(r.node);
      const m = ipNodesByVip.get(r.vip) ?? ipNodesByVip.set(r.vip, new Map()).get(r.vip)!;
      (m.get(r.ip) ?? m.set(r.ip, new Set()).get(r.ip)!).add(r.node);
    }
    const isStale = (r: Real): boolean => {
      if (haveObjects) return !valid.has(r.ip);
      if (nodes.length < 3) return false;
      const holders = ipNodesByVip.get(r.vip)?.get(r.ip)?.size ?? 0;
      const total = vipNodes.get(r.vip)?.size ?? 0;
      return holders * 2 < total; // minority view across nodes
    };
    const stale = reals.filter(isStale);
    if (!stale.length) return [];

    const staleIps = [...new Set(stale.map((r) => r.ip))].sort();
    const staleNodes = [...new Set(stale.map((r) => r.node))].sort();
    const cleanNodes = nodes.filter((n) => !staleNodes.includes(n));
    // kube-proxy logs mentioning the stale IPs (failed/repeated deletes).
    const logHits = ctx.events.filter((e) => staleIps.some((ip) => e.rec.text.includes(ip)) && /delet|graceful|rs:|real server|destination/i.test(e.rec.text));
    const repeats = logHits.reduce((n, e) => n + (e.rec.count ?? 1), 0);

    let conf = haveObjects ? 0.62 : 0.5;
    if (staleIps.some((ip) => deletedPodIps.has(ip))) conf += 0.1;
    if (cleanNodes.length) conf += 0.08; // nodes diverge: a per-node kube-proxy problem, not a stale EndpointSlice
    if (repeats >= 3) conf += 0.12;
    const activeOnStale = stale.reduce((n, r) => n + r.weight, 0);
    if (activeOnStale === 0) conf -= 0.15; // weight 0 everywhere: kube-proxy is draining them on purpose

    const evidence: EvidenceRef[] = [];
    const perNode = new Map<string, Real[]>();
    for (const r of stale) (perNode.get(r.node) ?? perNode.set(r.node, []).get(r.node)!).push(r);
    for (const [node, list] of perNode)
      for (const r of list.slice(0, 3))
        evidence.push({
          file: pathOf(r.dump.fileId),
          fileId: r.dump.fileId,
          line: r.line ?? null,
          ts: iso(r.dump.rec.capturedAt),
          excerpt: `${node}: ${r.vip} -> ${r.ip}:${r.port} weight ${r.weight}`,
          why: `${r.ip} ${deletedPodIps.has(r.ip) ? `belonged to deleted pod ${deletedPodIps.get(r.ip)}` : haveObjects ? "is in no EndpointSlice and no live pod" : "is missing on most other nodes"}.`,
        });
    for (const e of logHits.slice(0, 4)) evidence.push(ctx.cite(e, `${iso(e.rec.ts)} ${e.rec.text}`.slice(0, 2000), `kube-proxy keeps trying to remove a stale real server${(e.rec.count ?? 1) > 1 ? ` (×${e.rec.count})` : ""}.`));
    const counterEvidence: EvidenceRef[] = [];
    const cleanDump = cleanNodes.length ? latest.get(cleanNodes[0]!) : undefined;
    if (cleanDump) evidence.push({ file: pathOf(cleanDump.fileId), fileId: cleanDump.fileId, line: cleanDump.rec.services[0]?.line ?? cleanDump.rec.prov.line ?? null, ts: iso(cleanDump.rec.capturedAt), excerpt: `${cleanNodes[0]}: no stale real servers`, why: "A node with a correct IPVS table: the divergence is per node." });
    if (!logHits.length) counterEvidence.push({ file: "(kube-proxy logs)", excerpt: "no kube-proxy log lines about deleting these real servers", why: "Without kube-proxy logs the failed-delete loop is unconfirmed." });

    return [
      {
        detector: "ipvs-stale-backends",
        title: `IPVS on ${staleNodes.join(", ")} still routes to ${staleIps.length} stale backend IP${staleIps.length > 1 ? "s" : ""} (${staleIps.slice(0, 4).join(", ")}${staleIps.length > 4 ? ", …" : ""})`,
        confidence: clamp01(Math.min(0.93, conf)),
        summary: `The IPVS tables on ${staleNodes.join(", ")} contain real servers ${staleIps.slice(0, 6).join(", ")} that ${haveObjects ? "are not in any EndpointSlice and belong to no live pod" : "most other nodes do not have"}, so connections balanced there fail. ${cleanNodes.length ? `${cleanNodes.join(", ")} ${cleanNodes.length > 1 ? "have" : "has"} correct tables, so the fault is kube-proxy on the affected nodes` : "All nodes with dumps are affected"}${repeats ? `; kube-proxy logged ${repeats} repeated delete attempts for these IPs` : ""}.`,
        evidence,
        counterEvidence,
        checks: [`ipvsadm -Ln on ${staleNodes[0]} and compare real servers with kubectl get endpointslices.`, "Check kube-proxy version and logs for graceful-termination delete loops.", "Check load-balancer health checks per node (only the affected nodes should be unhealthy)."],
        remediation: {
          immediate: [`Restart kube-proxy on ${staleNodes.join(", ")} (it rebuilds IPVS state) or drain those nodes from the load balancer.`],
          longTerm: ["Upgrade/roll back kube-proxy to a version without the graceful-termination delete bug.", "Alert on IPVS real servers that are absent from EndpointSlices (per node divergence)."],
        },
        facts: { nodes: staleNodes, staleIps, cleanNodes, repeatedDeletes: repeats, basis: haveObjects ? "endpointslices" : "cross-node-majority" },
      },
    ];
  },
};
