import type { IpvsRecord, ObjectRecord, RequestRecord, RulesetRecord } from "@/lib/schemas/records";
import type { Located } from "./store";

/**
 * IP ↔ pod ↔ workload ↔ service ↔ node, each mapping with the interval it was observed valid.
 * Pods come and go and IPs are reused, so an IP maps to a *list* of entries; `resolve(ip, ts)`
 * picks the one whose interval covers ts (or the nearest one).
 *
 *   10.0.1.7  ├── pod web-6c9-abc  [created 10:00 ……… deleted 10:15:02]
 *             └── pod api-77f-xyz                      [created 10:16 ………▶
 */
export interface IdentityEntry {
  ip: string;
  pod?: string;
  namespace?: string;
  workload?: string;
  service?: string;
  node?: string;
  labels?: Record<string, string>;
  /** Validity interval in epoch ms; null = unbounded on that side. */
  from: number | null;
  to: number | null;
  sources: string[];
}

export function stripPort(addr: string): string {
  const a = addr.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (v6) return v6[1]!;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/32)?(?::\d+)?$/.exec(a);
  return m ? m[1]! : a;
}

export class IdentityMap {
  private readonly byIp = new Map<string, IdentityEntry[]>();

  get size(): number {
    let n = 0;
    for (const l of this.byIp.values()) n += l.length;
    return n;
  }
  get ipCount(): number {
    return this.byIp.size;
  }
  /** IPs that belonged to more than one pod over the incident. */
  reusedIps(): string[] {
    return [...this.byIp.entries()]
      .filter(([, l]) => new Set(l.map((e) => e.pod).filter(Boolean)).size > 1)
      .map(([ip]) => ip)
      .sort();
  }
  /** Every entry, ordered by ip then start (for reverse lookups such as pod → ips). */
  all(): IdentityEntry[] {
    return [...this.byIp.keys()].sort().flatMap((ip) => this.byIp.get(ip)!);
  }
  entries(ip: string): IdentityEntry[] {
    return this.byIp.get(stripPort(ip)) ?? [];
  }

  /** Merges into an entry for the same ip+pod (or ip without pod), widening its interval. */
  add(e: Omit<IdentityEntry, "sources"> & { source: string }): void {
    const ip = stripPort(e.ip);
    if (!ip) return;
    const list = this.byIp.get(ip) ?? [];
    this.byIp.set(ip, list);
    const covers = (x: IdentityEntry) => e.from === null || ((x.from === null || x.from <= e.from) && (x.to === null || x.to >= e.from));
    const same = e.pod
      ? (list.find((x) => x.pod === e.pod) ?? list.find((x) => !x.pod))
      : (list.find(covers) ?? list[list.length - 1]);
    if (same) {
      same.pod ??= e.pod;
      same.namespace ??= e.namespace;
      same.workload ??= e.workload;
      same.service ??= e.service;
      same.node ??= e.node;
      if (e.labels) same.labels = { ...e.labels, ...(same.labels ?? {}) };
      if (e.from !== null) same.from = same.from === null ? e.from : Math.min(same.from, e.from);
      if (e.to !== null) same.to = same.to === null ? e.to : Math.max(same.to, e.to);
      if (!same.sources.includes(e.source)) same.sources.push(e.source);
      return;
    }
    const { source, ...rest } = e;
    list.push({ ...rest, ip, sources: [source] });
  }

  resolve(ip: string, ts: number | null = null): IdentityEntry | undefined {
    const list = this.entries(ip);
    if (list.length <= 1 || ts === null) return list[0];
    const dist = (e: IdentityEntry) => (e.from !== null && ts < e.from ? e.from - ts : e.to !== null && ts > e.to ? ts - e.to : 0);
    return [...list].sort((a, b) => dist(a) - dist(b))[0];
  }
}

/** `ns/name:port` from kube-proxy comments ("default/web:http cluster IP", "ns2/svc2:p80"). */
export function serviceFromComment(comment: string | undefined): { namespace: string; service: string } | null {
  if (!comment) return null;
  const m = /^"?([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)(?::[^\s"]*)?/i.exec(comment.trim());
  return m ? { namespace: m[1]!, service: m[2]! } : null;
}

export function buildIdentity(input: {
  objects: Located<ObjectRecord>[];
  requests: Located<RequestRecord>[];
  rulesets: Located<RulesetRecord>[];
  ipvs: Located<IpvsRecord>[];
}): IdentityMap {
  const map = new IdentityMap();
  for (const { rec: o } of input.objects) {
    if (o.k8sKind === "Pod") {
      for (const ip of o.ips)
        map.add({
          ip,
          pod: o.name,
          namespace: o.namespace,
          workload: o.owner?.name ?? o.labels.app,
          service: o.service,
          node: o.node,
          labels: o.labels,
          from: o.createdAt ?? null,
          to: o.deletedAt ?? null,
          source: "k8s-objects",
        });
    } else if (o.k8sKind === "Node") {
      for (const ip of o.ips) map.add({ ip, node: o.name, from: o.createdAt ?? null, to: o.deletedAt ?? null, labels: o.labels, source: "k8s-objects" });
    }
  }
  for (const { rec: o } of input.objects) {
    if (!o.endpoints) continue;
    const service = o.service ?? o.labels["kubernetes.io/service-name"];
    for (const ep of o.endpoints) map.add({ ip: ep.ip, pod: ep.pod, node: ep.node, namespace: o.namespace, service, from: o.createdAt ?? null, to: null, source: "endpointslice" });
  }
  for (const { rec: r } of input.requests) {
    const d = r.dest;
    if (d?.ip && (d.workload || d.service)) {
      map.add({
        ip: d.ip,
        pod: r.source === "ztunnel" ? d.workload : undefined,
        workload: d.workload,
        namespace: d.namespace,
        service: d.service,
        node: d.node,
        from: r.ts,
        to: r.ts,
        source: r.source,
      });
    } else if (d?.ip && d.cluster) {
      // Envoy outbound|8080||web.default.svc.cluster.local → service web, namespace default
      const m = /^outbound\|\d+\|[^|]*\|([^.]+)\.([^.]+)\./.exec(d.cluster);
      if (m) map.add({ ip: d.ip, service: m[1], namespace: m[2], from: r.ts, to: r.ts, source: r.source });
    }
  }
  for (const { rec: rs } of input.rulesets) {
    for (const t of rs.tables)
      for (const rule of t.rules) {
        if (!rule.chain.startsWith("KUBE-SEP-") || rule.target !== "DNAT") continue;
        const dest = rule.targetOptions.find((o) => o.option === "to-destination")?.value;
        const svc = serviceFromComment(rule.comment ?? rule.matches.find((m) => m.option === "comment")?.value);
        if (dest) map.add({ ip: dest, service: svc?.service, namespace: svc?.namespace, from: rs.capturedAt, to: rs.capturedAt, source: "iptables" });
      }
  }
  for (const { rec: v } of input.ipvs) {
    for (const s of v.services) for (const r of s.reals) map.add({ ip: r.address, from: v.capturedAt, to: v.capturedAt, source: `ipvs:${v.node ?? "?"}` });
  }
  return map;
}
