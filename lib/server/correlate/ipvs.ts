import type { EventRecord, IpvsRecord, ObjectRecord } from "@/lib/schemas/records";
import { stripPort } from "./identity";
import type { FileInfo, Located } from "./store";

/**
 * Stale IPVS real servers: which real servers of each node's latest ipvsadm dump no longer back
 * their service, judged only against evidence about that service. Shared by the
 * ipvs-stale-backends detector (its finding) and the network view (its per-dump STALE flags).
 *
 * A real server is judged only against evidence about its *own* service (absence is not evidence):
 *   1. the service behind the virtual server — a Service whose cluster/external IP (or, for a node
 *      address, nodePort) is the virtual address, else the one service whose endpoints the reals
 *      belong to — and that service's EndpointSlices/Endpoints: a real whose IP is not among them
 *      (ready, serving or terminating) and is no live pod of it is stale;
 *   2. the IP belonged to a pod that is deleted/finished and no live pod holds it now;
 *   3. kube-proxy logs trying again and again to delete that real server;
 *   4. without any of these, the other nodes: with ≥ 3 nodes, a real that most nodes do not have
 *      for the same virtual server is a minority view.
 * A virtual server with none of these is not judged at all.
 */

/** The evidence the judgement reads (a DetectorContext is one). */
export interface IpvsEvidence {
  ipvs: readonly Located<IpvsRecord>[];
  objects: readonly Located<ObjectRecord>[];
  events: readonly Located<EventRecord>[];
  files: ReadonlyMap<string, FileInfo>;
}

export type IpvsReal = { node: string; dump: Located<IpvsRecord>; vip: string; address: string; vport: number; ip: string; port: number; weight: number; line?: number };
export type IpvsVerdict = { stale: true; why: string; strength: "service" | "deleted-pod" | "kube-proxy-log" | "minority" } | { stale: false };

const DELETE_LOG = /(trying to delete rs|failed to delete destination|not deleting, rs|delet\w* (?:real server|destination|rs))/i;

function nodeOf(ctx: IpvsEvidence, d: Located<IpvsRecord>): string {
  return d.rec.node ?? ctx.files.get(d.fileId)?.node ?? ctx.files.get(d.fileId)?.path ?? d.fileId;
}

export interface IpvsModel {
  nodes: string[];
  latest: Map<string, Located<IpvsRecord>>;
  reals: IpvsReal[];
  /** vip key → the service it belongs to ("ns/name"), when known. */
  serviceOfVip: Map<string, string>;
  /** "ns/name" → every IP its EndpointSlices/Endpoints list (any condition). */
  endpointsOf: Map<string, Set<string>>;
  livePodIps: Set<string>;
  deletedPodIps: Map<string, string>;
  /** "ip:port" and ip → kube-proxy delete-loop lines naming it. */
  deleteLogs: Map<string, Located<EventRecord>[]>;
  judged: Set<string>;
}

/** The latest dump of every node, its real servers, and the evidence about their services. */
export function buildIpvsModel(ctx: IpvsEvidence): IpvsModel {
  const latest = new Map<string, Located<IpvsRecord>>();
  for (const d of ctx.ipvs) {
    const n = nodeOf(ctx, d);
    const cur = latest.get(n);
    if (!cur || (d.rec.capturedAt ?? 0) >= (cur.rec.capturedAt ?? 0)) latest.set(n, d);
  }
  const reals: IpvsReal[] = [];
  for (const [node, d] of latest)
    for (const s of d.rec.services)
      for (const r of s.reals) reals.push({ node, dump: d, vip: `${s.proto} ${s.address}:${s.port}`, address: stripPort(s.address), vport: s.port, ip: stripPort(r.address), port: r.port, weight: r.weight, line: s.line });

  const key = (o: ObjectRecord) => `${o.namespace ?? "default"}/${o.service ?? o.labels["kubernetes.io/service-name"] ?? o.name}`;
  const endpointsOf = new Map<string, Set<string>>();
  const services: ObjectRecord[] = [];
  const nodeIps = new Set<string>();
  const livePodIps = new Set<string>();
  const deletedPodIps = new Map<string, string>();
  for (const { rec: o } of ctx.objects) {
    if (o.endpoints) {
      const set = endpointsOf.get(key(o)) ?? endpointsOf.set(key(o), new Set()).get(key(o))!;
      for (const ep of o.endpoints) set.add(stripPort(ep.ip));
    }
    if (o.k8sKind === "Service") services.push(o);
    if (o.k8sKind === "Node") for (const ip of o.ips) nodeIps.add(stripPort(ip));
    if (o.k8sKind === "Pod") {
      const gone = typeof o.deletedAt === "number" || o.phase === "Succeeded" || o.phase === "Failed";
      for (const ip of o.ips) {
        if (gone) deletedPodIps.set(stripPort(ip), o.name);
        else livePodIps.add(stripPort(ip));
      }
    }
  }
  for (const ip of livePodIps) deletedPodIps.delete(ip); // reused by a live pod

  // Virtual server → its service: by address (cluster/external/LB IP), by nodePort on a node address,
  // else by the endpoints its reals belong to (one service only).
  const serviceOfVip = new Map<string, string>();
  const vips = new Map<string, IpvsReal[]>();
  for (const r of reals) (vips.get(r.vip) ?? vips.set(r.vip, []).get(r.vip)!).push(r);
  for (const [vip, rs] of vips) {
    const { address, vport } = rs[0]!;
    const byAddr = services.find((s) => s.ips.map(stripPort).includes(address) && (!s.ports?.length || s.ports.some((p) => p.port === vport)));
    const byNodePort = services.find((s) => s.ports?.some((p) => p.nodePort === vport) && (nodeIps.has(address) || address === "0.0.0.0" || !s.ips.map(stripPort).includes(address)));
    let svc = byAddr ? key(byAddr) : byNodePort ? key(byNodePort) : undefined;
    if (!svc) {
      const owners = new Set<string>();
      for (const r of rs) for (const [k, set] of endpointsOf) if (set.has(r.ip)) owners.add(k);
      if (owners.size === 1) svc = [...owners][0];
    }
    if (svc) serviceOfVip.set(vip, svc);
  }

  const deleteLogs = new Map<string, Located<EventRecord>[]>();
  const realIps = new Set(reals.map((r) => r.ip));
  for (const e of ctx.events) {
    if (!DELETE_LOG.test(e.rec.text)) continue;
    for (const m of e.rec.text.matchAll(/(\d{1,3}(?:\.\d{1,3}){3}):(\d+)/g)) {
      if (!realIps.has(m[1]!)) continue;
      for (const k of [`${m[1]}:${m[2]}`, m[1]!]) {
        const l = deleteLogs.get(k) ?? deleteLogs.set(k, []).get(k)!;
        if (!l.includes(e)) l.push(e);
      }
    }
  }
  return { nodes: [...latest.keys()].sort(), latest, reals, serviceOfVip, endpointsOf, livePodIps, deletedPodIps, deleteLogs, judged: new Set() };
}

/** Whether one real server is stale, and on what evidence (records which virtual servers could be judged in `m.judged`). */
export function judgeReal(m: IpvsModel, r: IpvsReal): IpvsVerdict {
  const svc = m.serviceOfVip.get(r.vip);
  const eps = svc ? m.endpointsOf.get(svc) : undefined;
  const logs = m.deleteLogs.get(`${r.ip}:${r.port}`) ?? m.deleteLogs.get(r.ip) ?? [];
  if (eps) {
    m.judged.add(r.vip);
    if (eps.has(r.ip)) return { stale: false };
    if (m.deletedPodIps.has(r.ip)) return { stale: true, why: `belonged to deleted pod ${m.deletedPodIps.get(r.ip)} and is in no EndpointSlice of ${svc}`, strength: "service" };
    return { stale: true, why: `is not an endpoint of ${svc} (its EndpointSlices list ${eps.size} other address${eps.size === 1 ? "" : "es"})`, strength: "service" };
  }
  if (m.deletedPodIps.has(r.ip)) {
    m.judged.add(r.vip);
    return { stale: true, why: `belonged to pod ${m.deletedPodIps.get(r.ip)}, which is deleted, and no live pod has that IP`, strength: "deleted-pod" };
  }
  if (logs.reduce((n, e) => n + (e.rec.count ?? 1), 0) >= 3) {
    m.judged.add(r.vip);
    return { stale: true, why: `kube-proxy keeps trying to delete it (${logs.reduce((n, e) => n + (e.rec.count ?? 1), 0)} log lines)`, strength: "kube-proxy-log" };
  }
  const vipNodes = new Set(m.reals.filter((x) => x.vip === r.vip).map((x) => x.node));
  if (vipNodes.size >= 3) {
    m.judged.add(r.vip);
    const holders = new Set(m.reals.filter((x) => x.vip === r.vip && x.ip === r.ip).map((x) => x.node)).size;
    if (holders * 2 < vipNodes.size) return { stale: true, why: `only ${holders} of ${vipNodes.size} nodes have it for ${r.vip}`, strength: "minority" };
  }
  return { stale: false };
}

export type StaleReal = { r: IpvsReal; v: Extract<IpvsVerdict, { stale: true }> };

/** Every stale real server of the latest dump per node, with the model they were judged on. */
export function staleIpvsReals(ctx: IpvsEvidence): { model: IpvsModel; stale: StaleReal[] } {
  const model = buildIpvsModel(ctx);
  const verdicts = model.reals.map((r) => ({ r, v: judgeReal(model, r) }));
  return { model, stale: verdicts.filter((x): x is StaleReal => x.v.stale) };
}
