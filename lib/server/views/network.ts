import type { CounterRecord, IpvsRecord, ObjectRecord } from "@/lib/schemas/records";
import { decodeRecordJson } from "@/lib/schemas/records";
import type { ConntrackNodeDto, IpvsDumpDto, NetworkQuery, NetworkViewDto } from "@/lib/schemas/views-network";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { stripPort, type FileInfo, type Located } from "@/lib/server/correlate";
import { conntrackDeltas } from "@/lib/server/correlate/conntrack";
import { staleIpvsReals } from "@/lib/server/correlate/ipvs";
import { requireIncident } from "@/lib/server/auth/require-incident";

/**
 * Network state view: IPVS virtual → real servers per node, with stale backends flagged by the
 * judgement the ipvs-stale-backends detector uses (correlate/ipvs.ts, run once per dump, against the
 * k8s objects that existed when that dump was taken and the other nodes' dumps of that time), and
 * conntrack counter deltas per node over time (summed over CPUs, downsampled server-side to
 * ≤ MAX_POINTS per node).
 *
 *   10.96.0.50:80  rr    node ip-10-12-1-55
 *     → 10.2.1.4:8080  w1   ok
 *     → 10.2.0.17:8080 w1   STALE  (deleted pod web-7d9f-abc)
 */
const MAX_IPVS_DUMPS = 500;
const MAX_VIRTUALS = 400;
const MAX_OBJECTS = 50_000;
const MAX_COUNTERS = 400_000;
export const MAX_POINTS = 500;
const DEFAULT_COUNTERS = ["insert_failed", "drop", "early_drop", "error", "invalid", "clash_resolve"];

interface IpvsLoaded extends Located<IpvsRecord> {
  id: number;
  node: string;
  path: string;
  line: number | null;
}

/** The object as it was at time t: not yet created → absent; deleted later → still alive then. */
function asOf(o: Located<ObjectRecord>, t: number | null): Located<ObjectRecord> | null {
  if (t === null) return o;
  if (o.rec.createdAt != null && o.rec.createdAt > t) return null;
  if (typeof o.rec.deletedAt === "number" && o.rec.deletedAt > t) return { fileId: o.fileId, rec: { ...o.rec, deletedAt: null } };
  return o;
}

/** Pure: stale flags per dump, by the detector's judgement (exported for tests). */
export function flagIpvs(dumps: IpvsLoaded[], objects: Located<ObjectRecord>[], files: Map<string, FileInfo>): { dumps: IpvsDumpDto[]; basis: NetworkViewDto["basis"] } {
  const haveObjects = objects.some((o) => o.rec.endpoints || o.rec.k8sKind === "Pod");
  const deletedPods = new Map<string, string>();
  const livePodIps = new Set<string>();
  for (const { rec: o } of objects)
    if (o.k8sKind === "Pod") for (const ip of o.ips) (typeof o.deletedAt === "number" || o.phase === "Succeeded" || o.phase === "Failed" ? deletedPods.set(stripPort(ip), `${o.namespace ? `${o.namespace}/` : ""}${o.name}`) : livePodIps.add(stripPort(ip)));
  const services = new Map<string, string>();
  for (const { rec: o } of objects) if (o.k8sKind === "Service") for (const ip of o.ips) services.set(stripPort(ip), `${o.namespace ? `${o.namespace}/` : ""}${o.name}`);
  const out: IpvsDumpDto[] = [];
  for (const d of dumps) {
    const t = d.rec.capturedAt;
    // The world as it was when this dump was taken: each other node's dump nearest before it (else its first).
    const peers = new Map<string, IpvsLoaded>();
    for (const o of dumps) {
      if (o.node === d.node) continue;
      const cur = peers.get(o.node);
      const ok = (x: IpvsLoaded) => t === null || x.rec.capturedAt === null || x.rec.capturedAt <= t;
      if (!cur || (ok(o) && (!ok(cur) || (o.rec.capturedAt ?? 0) > (cur.rec.capturedAt ?? 0)))) peers.set(o.node, o);
    }
    const { stale } = staleIpvsReals({
      ipvs: [{ fileId: d.fileId, rec: { ...d.rec, node: d.node } }, ...[...peers.values()].map((p) => ({ fileId: p.fileId, rec: { ...p.rec, node: p.node } }))],
      objects: objects.map((o) => asOf(o, t)).filter((o): o is Located<ObjectRecord> => o !== null),
      events: [],
      files,
    });
    const staleNodes = new Set(stale.map((s) => s.r.node));
    const staleIps = new Set(staleNodes.has(d.node) ? stale.map((s) => s.r.ip) : []);
    const virtuals = d.rec.services.map((s) => {
      const reals = s.reals.map((r) => {
        const ip = stripPort(r.address);
        const stale = staleIps.has(ip);
        return {
          address: r.address,
          port: r.port,
          weight: r.weight,
          activeConns: r.activeConns,
          inactiveConns: r.inactiveConns,
          stale,
          why: stale ? (deletedPods.has(ip) && !livePodIps.has(ip) ? `belonged to deleted pod ${deletedPods.get(ip)}` : haveObjects ? "in no EndpointSlice and no live pod" : "missing on most other nodes") : null,
        };
      });
      return { vip: `${s.proto} ${s.address}:${s.port}`, scheduler: s.scheduler, service: services.get(stripPort(s.address)) ?? null, line: s.line ?? null, reals, staleCount: reals.filter((r) => r.stale).length };
    });
    out.push({ id: d.id, node: d.node, capturedAt: t, path: d.path, line: d.line, virtuals, staleCount: virtuals.reduce((n, v) => n + v.staleCount, 0), hiddenVirtuals: 0 });
  }
  const basis = !dumps.length ? "none" : haveObjects ? "endpointslices" : new Set(dumps.map((d) => d.node)).size >= 3 ? "cross-node-majority" : "none";
  return { dumps: out, basis };
}

interface CounterLoaded {
  rec: CounterRecord;
  path: string;
  node: string;
}

/** Pure: per node, deltas between snapshots summed over CPUs (and per-CPU totals). */
export function conntrackView(counters: CounterLoaded[], selected: string[]): ConntrackNodeDto[] {
  const byNode = new Map<string, CounterLoaded[]>();
  for (const c of counters) (byNode.get(c.node) ?? byNode.set(c.node, []).get(c.node)!).push(c);
  const out: ConntrackNodeDto[] = [];
  for (const [node, list] of [...byNode.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const recs = list.map((l) => ({ ...l.rec, labels: { ...l.rec.labels, node } }));
    const where = new Map<string, { path: string; line: number | null }>();
    for (const l of list) {
      const at = { path: l.path, line: l.rec.prov.line ?? null };
      where.set(`${l.rec.ts}|${l.rec.labels.cpu ?? "all"}`, at);
      if (!where.has(`${l.rec.ts}`)) where.set(`${l.rec.ts}`, at);
    }
    const deltas = conntrackDeltas(recs);
    const points = new Map<string, ConntrackNodeDto["points"][number]>();
    const cpus = new Map<string, ConntrackNodeDto["cpus"][number]>();
    for (const d of deltas) {
      const name = d.name.replace(/^conntrack_/, "");
      const cpu = d.labels.cpu ?? "all";
      if (cpu !== "all") {
        const c = cpus.get(cpu) ?? cpus.set(cpu, { cpu, totals: {}, path: "", line: null }).get(cpu)!;
        c.totals[name] = (c.totals[name] ?? 0) + (d.delta ?? 0);
        const w = where.get(`${d.toTs}|${cpu}`) ?? where.get(`${d.toTs}`);
        if (w) [c.path, c.line] = [w.path, w.line];
      }
      if (!selected.includes(name) || cpu === "all") continue;
      const key = `${d.toTs}`;
      const w = where.get(key) ?? { path: list[0]!.path, line: null };
      const p = points.get(key) ?? points.set(key, { ts: d.toTs, fromTs: d.fromTs, values: {}, path: w.path, line: w.line }).get(key)!;
      const prev = p.values[name];
      p.values[name] = d.delta === null || prev === null ? null : (prev ?? 0) + d.delta;
    }
    let pts = [...points.values()].sort((x, y) => (x.ts ?? 0) - (y.ts ?? 0));
    if (pts.length > MAX_POINTS) {
      // Merge neighbours: sums stay exact, resolution drops (a chart is ~500 px wide anyway).
      const per = Math.ceil(pts.length / MAX_POINTS);
      const merged: typeof pts = [];
      for (let i = 0; i < pts.length; i += per) {
        const chunk = pts.slice(i, i + per);
        const values: Record<string, number | null> = {};
        for (const p of chunk) for (const [k, v] of Object.entries(p.values)) values[k] = v === null || values[k] === null ? null : (values[k] ?? 0) + v;
        merged.push({ ...chunk[chunk.length - 1]!, fromTs: chunk[0]!.fromTs, values });
      }
      pts = merged;
    }
    const snapshots = new Set(list.map((l) => l.rec.ts)).size;
    out.push({ node, counters: selected, points: pts, cpus: [...cpus.values()].sort((x, y) => Number(x.cpu) - Number(y.cpu)), snapshots });
  }
  return out;
}

export async function getNetworkView(incidentId: string, q: NetworkQuery, db: Db = getPrisma()): Promise<NetworkViewDto> {
  await requireIncident(incidentId, db);
  const fileRows = await db.evidenceFile.findMany({ where: { incidentId }, select: { id: true, path: true, node: true, format: true } });
  const files = new Map<string, FileInfo>(fileRows.map((f) => [f.id, { fileId: f.id, path: f.path, node: f.node ?? undefined, format: f.format }]));
  const pathOf = (id: string) => files.get(id)?.path ?? id;
  const nodeOfFile = (id: string) => fileRows.find((f) => f.id === id)?.node ?? null;

  const ipvsRows = await db.evidence.findMany({ where: { incidentId, kind: "ipvs" }, orderBy: { id: "asc" }, take: MAX_IPVS_DUMPS, select: { id: true, fileId: true, line: true, data: true } });
  const dumps: IpvsLoaded[] = ipvsRows.map((r) => {
    const rec = decodeRecordJson(r.data) as IpvsRecord;
    return { id: r.id, fileId: r.fileId, rec, node: rec.node ?? nodeOfFile(r.fileId) ?? pathOf(r.fileId), path: pathOf(r.fileId), line: r.line };
  });
  const objRows = dumps.length ? await db.evidence.findMany({ where: { incidentId, kind: "object" }, take: MAX_OBJECTS, select: { fileId: true, data: true } }) : [];
  const objects = objRows.map((r) => ({ fileId: r.fileId, rec: decodeRecordJson(r.data) as ObjectRecord }));
  const flagged = flagIpvs(dumps, objects, files);
  flagged.dumps.sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : (x.capturedAt ?? 0) - (y.capturedAt ?? 0)));
  for (const d of flagged.dumps) {
    if (q.stale) d.virtuals = d.virtuals.filter((v) => v.staleCount > 0);
    d.virtuals.sort((x, y) => y.staleCount - x.staleCount);
    d.hiddenVirtuals = Math.max(0, d.virtuals.length - MAX_VIRTUALS);
    d.virtuals = d.virtuals.slice(0, MAX_VIRTUALS);
  }

  const counterRows = await db.evidence.findMany({ where: { incidentId, kind: "counter", text: { startsWith: "conntrack_" } }, orderBy: [{ ts: "asc" }, { id: "asc" }], take: MAX_COUNTERS, select: { fileId: true, node: true, data: true } });
  const counters: CounterLoaded[] = counterRows.map((r) => {
    const rec = decodeRecordJson(r.data) as CounterRecord;
    return { rec, path: pathOf(r.fileId), node: rec.labels.node ?? r.node ?? nodeOfFile(r.fileId) ?? pathOf(r.fileId) };
  });
  const counterNames = [...new Set(counters.map((c) => c.rec.name.replace(/^conntrack_/, "")))].filter((n) => n !== "entries").sort();
  const selected = q.counters?.length ? q.counters.filter((c) => counterNames.includes(c)) : DEFAULT_COUNTERS.filter((c) => counterNames.includes(c));
  const conntrack = conntrackView(q.node ? counters.filter((c) => c.node === q.node) : counters, selected);
  return { ipvs: flagged.dumps, endpointsKnown: objects.some((o) => !!o.rec.endpoints), basis: flagged.basis, conntrack, counterNames, selectedCounters: selected };
}
