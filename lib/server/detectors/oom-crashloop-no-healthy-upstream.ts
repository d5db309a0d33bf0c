import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { EventRecord, ObjectRecord, RequestRecord, SeriesRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { isFailedRequest, type Located } from "@/lib/server/correlate";
import { Confidence } from "./confidence";
import { workloadOfPod } from "./endpoint-removal-race";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, fmtMs, iso } from "./util";

/**
 * oom-crashloop-no-healthy-upstream: every replica of a service runs into its memory limit under the
 * same load, the kernel's cgroup OOM killer kills them (exit 137, `OOMKilled`), the kubelet restarts
 * them with a growing back-off (CrashLoopBackOff), and while no replica is Ready the endpoint set is
 * empty: the proxies in front answer `503 UH no_healthy_upstream` themselves (ztunnel: "no healthy
 * upstream") — nothing reaches the service at all.
 *
 *   memory  ╱╱╱▏limit ╱╱╱▏      ╱╱╱▏          ▏ = OOM kill (lastState OOMKilled, OOMKilling, drop in the series)
 *   pod-a   ───✗ restart ───✗ back-off ───✗
 *   pod-b   ────✗ restart ───✗ back-off ──✗
 *   proxy        UUUU        UUUUUU     UUUUUUU   U = 503 UH no_healthy_upstream, only while none is Ready
 *
 * What must be true: (1) pods of the service that failed were OOM-killed (the reason, not a restart);
 * (2) the failures are "no healthy upstream" — the proxy had no endpoint, not a refused or slow one;
 * (3) they begin right after kills (the last replica gone). What tells it from its look-alikes: a
 * single OOM kill with spare replicas leaves no UH; a rolling restart or a crash loop for another
 * reason (exit 1, `Error`) has no OOM kill; OOM kills of another service do not explain this one.
 */
const SERIES_GAP_FACTOR = 1.5;
/** A UH episode belongs to a kill that happened at most this long before it began (restart back-off). */
const AFTER_KILL_MS = 90_000;
/** UH failures further apart than this are separate episodes. */
const EPISODE_GAP_MS = 20_000;

interface Kill {
  pod: string;
  service: string;
  /** When the container was killed (best estimate), and how precise that is. */
  ts: EpochMs | null;
  resolutionMs: number;
  basis: string;
  cite: EvidenceRef | null;
}

interface ServiceOom {
  service: string;
  kills: Kill[];
  pods: Set<string>;
  restarts: number;
  crashLoop: boolean;
  memoryAtLimit: { pod: string; peak: number; limit: number; cite: EvidenceRef | null }[];
  /** Container (re)starts and back-offs of the service's pods: when a killed replica came back, or waited to. */
  restartTimes: { ts: EpochMs; cite: EvidenceRef }[];
}

const OOM_TEXT = /\bOOMKill(?:ed|ing)\b|out of memory|oom[-_ ]?kill|exit code:? ?137\b/i;

/** The service a request was addressed to: `cart.shop.svc.cluster.local`, `cart.shop:8080` → `cart`. */
export function serviceOfRequest(r: RequestRecord): string | undefined {
  const name = r.dest?.service ?? r.authority ?? r.dest?.cluster;
  if (!name) return undefined;
  const m = /^outbound\|\d*\|[^|]*\|([^.|]+)/.exec(name);
  if (m) return m[1];
  return name.split(":")[0]!.split(".")[0] || undefined;
}

/** No healthy upstream: the proxy had no endpoint to send the request to. */
export function isNoHealthyUpstream(r: RequestRecord): boolean {
  return (r.flags ?? []).includes("UH") || /no_healthy_upstream|no healthy upstream/i.test(r.error ?? "");
}

function serviceOfPod(pod: string, labels: Record<string, string> | undefined): string {
  return labels?.app ?? labels?.["app.kubernetes.io/name"] ?? workloadOfPod(pod);
}

function seriesCite(ctx: DetectorContext, s: Located<SeriesRecord>, ts: number, text: string, why: string): EvidenceRef {
  return { ...ctx.cite(s as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, text, why), ts: iso(ts) };
}

function collect(ctx: DetectorContext): Map<string, ServiceOom> {
  const out = new Map<string, ServiceOom>();
  const podService = new Map<string, string>();
  const limits = new Map<string, number>();
  for (const o of ctx.objects) if (o.rec.k8sKind === "Pod") {
    podService.set(o.rec.name, serviceOfPod(o.rec.name, o.rec.labels));
    for (const c of o.rec.containers ?? []) if (c.memoryLimitBytes) limits.set(`${o.rec.name}/${c.name}`, c.memoryLimitBytes);
  }
  const svcOf = (pod: string) => podService.get(pod) ?? workloadOfPod(pod);
  const entry = (service: string) => out.get(service) ?? out.set(service, { service, kills: [], pods: new Set(), restarts: 0, crashLoop: false, memoryAtLimit: [], restartTimes: [] }).get(service)!;

  for (const o of ctx.objects as Located<ObjectRecord>[]) {
    if (o.rec.k8sKind !== "Pod") continue;
    for (const c of o.rec.containers ?? []) {
      const svc = svcOf(o.rec.name);
      for (const [t, when] of [[c.terminated, "terminated"], [c.lastTerminated, "last terminated"]] as const) {
        if (!t || !(t.reason === "OOMKilled" || (t.exitCode === 137 && /oom/i.test(t.reason ?? "")))) continue;
        const e = entry(svc);
        e.pods.add(o.rec.name);
        e.kills.push({ pod: o.rec.name, service: svc, ts: (t.finishedAt ?? null), resolutionMs: 1000, basis: `containerStatuses ${when} reason OOMKilled`, cite: ctx.cite(o as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, `Pod ${o.rec.namespace ?? ""}/${o.rec.name} container ${c.name}: ${when} OOMKilled (exit ${t.exitCode ?? "?"})${t.finishedAt ? ` at ${iso(t.finishedAt)}` : ""}, restartCount ${c.restartCount ?? "?"}`, `${o.rec.name} was killed for exceeding its memory limit${c.memoryLimitBytes ? ` (${Math.round(c.memoryLimitBytes / 2 ** 20)} MiB)` : ""}.`) });
      }
      if (out.has(svc)) {
        out.get(svc)!.restarts += c.restartCount ?? 0;
        if (c.stateReason === "CrashLoopBackOff") out.get(svc)!.crashLoop = true;
      }
    }
  }
  const restartEvents: { svc: string; e: Located<EventRecord>; backOff: boolean }[] = [];
  const podByUid = new Map<string, string>();
  for (const o of ctx.objects) if (o.rec.k8sKind === "Pod" && o.rec.uid) podByUid.set(o.rec.uid.replace(/-/g, "_"), o.rec.name);
  for (const e of ctx.events as Located<EventRecord>[]) {
    const text = e.rec.text;
    // Kernel / node-problem-detector lines name the pod by its cgroup: `…/kubepods/burstable/pod<uid>/…`.
    const uid = /\bpod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(text)?.[1];
    const byUid = uid ? podByUid.get(uid.replace(/-/g, "_")) : undefined;
    const s = e.rec.subject;
    const podName = byUid ?? (s?.name && (!s.kind || s.kind === "Pod") ? s.name : /\bpod[= ]"?(?:[\w.-]+\/)?([a-z0-9][\w.-]+)"?/.exec(text)?.[1]);
    if (!podName) continue;
    const svc = svcOf(podName);
    if ((e.rec.reason && /^OOM/i.test(e.rec.reason)) || OOM_TEXT.test(text)) {
      const en = entry(svc);
      en.pods.add(podName);
      const ts = e.rec.ts;
      en.kills.push({ pod: podName, service: svc, ts, resolutionMs: 1000, basis: `${e.rec.reason ?? "event"} event`, cite: ctx.cite(e as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, `${iso(ts)} ${e.rec.reason ?? ""} ${podName}: ${text}`.slice(0, 400), `${podName} was OOM-killed.`) });
    } else if (e.rec.reason === "BackOff" || /Back-off restarting failed container/i.test(text)) {
      restartEvents.push({ svc, e, backOff: true });
    } else if ((e.rec.reason === "Started" || e.rec.reason === "Created" || e.rec.reason === "Pulled") && s?.kind === "Pod") {
      restartEvents.push({ svc, e, backOff: false });
    }
  }
  // Restarts count only for services with an OOM kill on record: a crash loop is then an OOM loop
  // when its last terminations were OOMKilled (a snapshot keeps only the last one per container).
  for (const { svc, e, backOff } of restartEvents) {
    const en = out.get(svc);
    if (!en || e.rec.ts === null) continue;
    if (backOff) en.crashLoop = true;
    const stamps = [e.rec.ts, ...(typeof e.rec.firstTs === "number" && e.rec.firstTs !== e.rec.ts ? [e.rec.firstTs] : [])];
    for (const ts of stamps) en.restartTimes.push({ ts, cite: ctx.cite(e as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, `${iso(ts)} ${e.rec.reason ?? ""} ${e.rec.subject?.name ?? ""}: ${e.rec.text}`.slice(0, 400), backOff ? "The kubelet was backing off restarts of a container whose terminations were OOM kills." : "A killed container was started again.") });
  }
  const restartSeries: { svc: string; s: Located<SeriesRecord> }[] = [];
  // Memory series: working set reaching the limit, then dropping (the kill); OOM reason series.
  const memLimit = new Map<string, number>();
  for (const s of ctx.series) {
    const n = s.rec.name;
    const pod = s.rec.labels.pod;
    if (!pod) continue;
    const key = `${pod}/${s.rec.labels.container ?? ""}`;
    const last = s.rec.points.at(-1)?.[1];
    if ((n === "container_spec_memory_limit_bytes" || (n === "kube_pod_container_resource_limits" && s.rec.labels.resource === "memory")) && last && Number.isFinite(last) && last > 0) memLimit.set(key, last);
  }
  for (const s of ctx.series as Located<SeriesRecord>[]) {
    const n = s.rec.name;
    const pod = s.rec.labels.pod;
    if (!pod) continue;
    const svc = svcOf(pod);
    const key = `${pod}/${s.rec.labels.container ?? ""}`;
    if (n === "kube_pod_container_status_last_terminated_reason" && s.rec.labels.reason === "OOMKilled" && s.rec.points.some((p) => p[1] === 1)) {
      const en = entry(svc);
      en.pods.add(pod);
      const first = s.rec.points.find((p) => p[1] === 1)!;
      en.kills.push({ pod, service: svc, ts: first[0], resolutionMs: stepOf(s.rec), basis: "kube-state-metrics last terminated reason OOMKilled", cite: seriesCite(ctx, s, first[0], `${n}{pod="${pod}",reason="OOMKilled"} = 1 from ${iso(first[0])}`, `${pod}'s last termination was an OOM kill.`) });
      continue;
    }
    if (n === "kube_pod_container_status_restarts_total") {
      restartSeries.push({ svc, s });
      continue;
    }
    if (!/^container_memory_(working_set|usage|rss)_bytes$/.test(n)) continue;
    const limit = memLimit.get(key) ?? memLimit.get(`${pod}/`) ?? limits.get(key) ?? [...limits.entries()].find(([k]) => k.startsWith(`${pod}/`))?.[1];
    if (!limit) continue;
    const pts = s.rec.points.filter((p) => Number.isFinite(p[1]));
    const step = stepOf(s.rec);
    let peak = 0;
    let at: [EpochMs, number] | null = null;
    for (let i = 1; i < pts.length; i++) {
      const [t0, v0] = pts[i - 1]!;
      const [t1, v1] = pts[i]!;
      peak = Math.max(peak, v0);
      // A drop from the limit to well below it, within one step or two: the container was killed.
      if (v0 >= 0.9 * limit && v1 < 0.6 * v0 && t1 - t0 <= step * SERIES_GAP_FACTOR + 1) {
        const en = entry(svc);
        en.pods.add(pod);
        en.kills.push({ pod, service: svc, ts: t0, resolutionMs: t1 - t0, basis: "memory working set dropped from its limit", cite: seriesCite(ctx, s, t0, `${n}{pod="${pod}"} ${fmtBytes(v0)} at ${iso(t0)} (limit ${fmtBytes(limit)}), ${fmtBytes(v1)} at ${iso(t1)}`, `${pod}'s memory reached its limit and dropped: the container was killed and restarted.`) });
        at ??= [t0, v0];
      }
    }
    if (at && out.has(svc)) out.get(svc)!.memoryAtLimit.push({ pod, peak, limit, cite: null });
  }
  for (const { svc, s } of restartSeries) {
    const en = out.get(svc);
    if (!en) continue;
    const pts = s.rec.points.filter((p) => Number.isFinite(p[1]));
    for (let i = 1; i < pts.length; i++)
      if (pts[i]![1] > pts[i - 1]![1]) en.restartTimes.push({ ts: pts[i]![0], cite: seriesCite(ctx, s, pts[i]![0], `kube_pod_container_status_restarts_total{pod="${s.rec.labels.pod}"} ${pts[i - 1]![1]} → ${pts[i]![1]} at ${iso(pts[i]![0])}`, "The container restarted.") });
  }
  return out;
}

function stepOf(s: SeriesRecord): number {
  const p = s.points;
  if (p.length < 2) return 60_000;
  const gaps = p.slice(1).map((x, i) => x[0] - p[i]![0]).sort((a, b) => a - b);
  return gaps[gaps.length >> 1]!;
}
const fmtBytes = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${Math.round(b / 2 ** 20)} MiB`);

function episodes(list: Located<RequestRecord>[]): Located<RequestRecord>[][] {
  const out: Located<RequestRecord>[][] = [];
  for (const r of list) {
    const cur = out[out.length - 1];
    if (cur && (r.rec.ts as number) - (cur[cur.length - 1]!.rec.ts as number) <= EPISODE_GAP_MS) cur.push(r);
    else out.push([r]);
  }
  return out;
}

function uniqueCount(list: Located<RequestRecord>[]): number {
  const ids = new Set<string>();
  let n = 0;
  for (const r of list) {
    const id = r.rec.requestId && r.rec.requestId !== "-" ? r.rec.requestId : null;
    if (id === null) n++;
    else if (!ids.has(id)) {
      ids.add(id);
      n++;
    }
  }
  return n;
}

/** Replicas the service had: pods of it in the bundle, else distinct upstream hosts that answered for it. */
function replicasOf(ctx: DetectorContext, service: string): number {
  const pods = new Set(ctx.objects.filter((o) => o.rec.k8sKind === "Pod" && serviceOfPod(o.rec.name, o.rec.labels) === service).map((o) => o.rec.name));
  if (pods.size) return pods.size;
  const hosts = new Set(ctx.requests.filter((r) => serviceOfRequest(r.rec) === service && !isFailedRequest(r.rec) && r.rec.dest?.ip).map((r) => r.rec.dest!.ip!));
  return hosts.size;
}

export const oomCrashloopNoHealthyUpstream: Detector = {
  id: "oom-crashloop-no-healthy-upstream",
  title: "OOM-killed replicas left the service without endpoints (no healthy upstream)",
  requires: ["k8s-objects", "k8s-events", "prometheus", "envoy-access", "ztunnel-access", "nginx-access"],
  specificity: "specific",
  coverage(ctx) {
    const ooms = collect(ctx);
    const statuses = ctx.objects.filter((o) => o.rec.k8sKind === "Pod" && (o.rec.containers ?? []).some((c) => c.restartCount !== undefined || c.lastTerminated || c.state)).length;
    const memSeries = ctx.series.filter((s) => /^container_memory_(working_set|usage|rss)_bytes$/.test(s.rec.name)).length;
    const uh = ctx.requests.filter((r) => isNoHealthyUpstream(r.rec)).length;
    if (!ctx.requests.length) return { checked: false, detail: "no access logs: cannot see whether requests found no healthy upstream" };
    if (!ooms.size && !statuses && !memSeries && !ctx.events.length) return { checked: false, detail: "no container statuses, events or memory series in the bundle: OOM kills cannot be seen" };
    if (!ooms.size) return { checked: true, detail: `${statuses} pods' container statuses, ${ctx.events.length} events and ${memSeries} memory series examined: no OOM kill${uh ? ` (${uh} no-healthy-upstream failures have another cause)` : ""}` };
    return { checked: true, detail: `OOM kills of ${[...ooms.keys()].join(", ")}, but ${uh ? "the no-healthy-upstream failures were not to that service or not after the kills" : "no request found no healthy upstream: the other replicas kept serving"}` };
  },
  detect(ctx) {
    const ooms = collect(ctx);
    if (!ooms.size) return [];
    const uhAll = ctx.requests.filter((r) => r.rec.ts !== null && isNoHealthyUpstream(r.rec));
    const out = [];
    const failedInWindow = ctx.summary.impact?.failed ?? 0;
    for (const svc of [...ooms.values()].sort((a, b) => (a.service < b.service ? -1 : 1))) {
      const uh = uhAll.filter((r) => serviceOfRequest(r.rec) === svc.service);
      if (uh.length < 3) continue;
      const timed = svc.kills.filter((k) => k.ts !== null).sort((a, b) => a.ts! - b.ts!);
      const eps = episodes(uh);
      const restarts = svc.restartTimes.sort((a, b) => a.ts - b.ts);
      const byKill = (ep: Located<RequestRecord>[]) => {
        const start = ep[0]!.rec.ts as number;
        return timed.some((k) => start >= k.ts! - k.resolutionMs - 5_000 && start <= k.ts! + AFTER_KILL_MS + k.resolutionMs);
      };
      // Without the kill's own time (a snapshot keeps only the last termination), a restart or a
      // back-off of the same pods during the episode or just after it ties it to the crash loop.
      const byRestart = (ep: Located<RequestRecord>[]) => {
        const start = ep[0]!.rec.ts as number;
        const end = ep[ep.length - 1]!.rec.ts as number;
        return restarts.some((r) => r.ts >= start - 5_000 && r.ts <= end + 60_000);
      };
      const alignedEps = eps.filter((ep) => byKill(ep) || byRestart(ep));
      const restartOnly = alignedEps.filter((ep) => !byKill(ep)).length;
      if (!alignedEps.length) continue;
      const explained = alignedEps.flat();
      const total = uniqueCount(explained);
      if (total < 3) continue;
      const share = failedInWindow > 0 ? Math.min(1, total / failedInWindow) : null;
      const alignedShare = alignedEps.length / eps.length;
      const replicas = replicasOf(ctx, svc.service);
      const killedPods = svc.pods.size;
      // Before the first aligned episode: which pods were killed in the 90 s before it.
      const firstStart = alignedEps[0]![0]!.rec.ts as number;
      const downTogether = new Set(timed.filter((k) => k.ts! <= firstStart + k.resolutionMs && k.ts! >= firstStart - AFTER_KILL_MS - k.resolutionMs).map((k) => k.pod)).size;
      const lags = alignedEps.map((ep) => {
        const start = ep[0]!.rec.ts as number;
        const before = timed.filter((k) => k.ts! <= start + k.resolutionMs + 5_000).at(-1);
        return before ? Math.max(0, start - before.ts!) : 0;
      });
      const sources = [...new Set(explained.map((r) => r.rec.source))].sort();

      const c = new Confidence(0.5, `pods of ${svc.service} were OOM-killed and requests to ${svc.service} found no healthy upstream`);
      if (alignedShare >= 0.8) c.add(0.1, `${alignedEps.length} of ${eps.length} no-healthy-upstream episode${eps.length > 1 ? "s" : ""} began within ${fmtMs(AFTER_KILL_MS)} after an OOM kill`);
      else if (alignedShare >= 0.5) c.add(0.05, `${alignedEps.length} of ${eps.length} no-healthy-upstream episodes began right after an OOM kill`);
      else c.add(-0.1, `only ${alignedEps.length} of ${eps.length} no-healthy-upstream episodes began after an OOM kill`, "counter");
      if (replicas >= 1 && killedPods >= replicas) c.add(0.08, `all ${replicas} replica${replicas > 1 ? "s" : ""} of ${svc.service} were OOM-killed: none was left to serve`, "specificity");
      else if (replicas > killedPods) c.add(-0.08, `only ${killedPods} of ${replicas} replicas were OOM-killed: the others could have served`, "counter");
      c.when(restartOnly > 0 && restartOnly === alignedEps.length, -0.05, "the episodes are tied to container restarts of the OOM-killed pods, not to kill times recorded for each", "specificity");
      c.when(svc.memoryAtLimit.length > 0, 0.06, `memory series show ${svc.memoryAtLimit.length} container${svc.memoryAtLimit.length > 1 ? "s" : ""} reaching the memory limit before being killed`, "independence");
      c.when(svc.crashLoop || svc.restarts > killedPods, 0.04, `the containers kept restarting (${svc.crashLoop ? "CrashLoopBackOff / back-off events" : `${svc.restarts} restarts`}): the kills repeated`, "evidence");
      if (share !== null) {
        const pct = Math.round(share * 100);
        if (share >= 0.8) c.add(0.12, `explains ${total} of the ${failedInWindow} failed requests in the incident window (${pct} %)`, "impact");
        else if (share >= 0.5) c.add(0.06, `explains ${total} of the ${failedInWindow} failed requests in the incident window (${pct} %)`, "impact");
        else if (share < 0.2) c.add(-0.2, `explains only ${total} of the ${failedInWindow} failed requests in the incident window (${pct} %)`, "impact");
      }
      c.cap(0.95, "kill times and proxy logs agree in time; the endpoint removal itself is not in the bundle");

      const evidence: EvidenceRef[] = [];
      const byPod = new Map<string, Kill>();
      for (const k of svc.kills) if (k.cite && !byPod.has(k.pod)) byPod.set(k.pod, k);
      evidence.push(...[...byPod.values()].slice(0, 4).map((k) => k.cite!));
      for (const k of svc.kills.filter((k) => k.basis.startsWith("memory")).slice(0, 2)) if (k.cite && !evidence.includes(k.cite)) evidence.push(k.cite);
      if (restartOnly) for (const r of restarts.slice(0, 2)) evidence.push(r.cite);
      for (const ep of alignedEps.slice(0, 3)) {
        const first = ep[0]!;
        const last = ep[ep.length - 1]!;
        evidence.push(ctx.cite(first, describeRequest(first.rec), `First no-healthy-upstream failure of this episode: the proxy had no ready endpoint of ${svc.service}.`, first.rec.traceId ? { traceId: first.rec.traceId } : {}));
        if (last !== first) evidence.push(ctx.cite(last, describeRequest(last.rec), `Last of ${ep.length} in this episode (${fmtMs((last.rec.ts as number) - (first.rec.ts as number))}).`));
      }
      const unaligned = eps.filter((e) => !alignedEps.includes(e));
      const counterEvidence = unaligned.slice(0, 2).map((ep) => ctx.cite(ep[0]!, describeRequest(ep[0]!.rec), "No-healthy-upstream failures not preceded by an OOM kill."));
      const path = sources.includes("ztunnel") ? "ztunnel" : sources.includes("envoy") ? "Envoy" : sources.join("/");
      const range = lags.length ? `${fmtMs(Math.min(...lags))}–${fmtMs(Math.max(...lags))}` : "";
      out.push({
        detector: "oom-crashloop-no-healthy-upstream",
        title: `${svc.service}: ${killedPods} replica${killedPods > 1 ? "s" : ""} OOM-killed${replicas && killedPods >= replicas ? " (all of them)" : ""}, ${total} requests found no healthy upstream`,
        ...c.result(),
        summary: `The containers of ${svc.service} (${[...svc.pods].slice(0, 4).join(", ")}${svc.pods.size > 4 ? ", …" : ""}) were killed for exceeding their memory limit${svc.crashLoop ? " and restarted in a back-off loop" : ""}. While no replica was Ready the service had no endpoints, so ${path} answered ${total} requests with 503 "no healthy upstream" (UH) in ${alignedEps.length} episode${alignedEps.length > 1 ? "s" : ""}, each starting ${range} after an OOM kill${share !== null ? `: ${Math.round(share * 100)} % of the failed requests in the incident window` : ""}. Nothing reached the service: the failures are the proxy's, caused by the kills.`,
        evidence,
        counterEvidence,
        checks: [
          `kubectl describe pod -l app=${svc.service}: Last State Terminated, Reason OOMKilled, Exit Code 137, and the restart count of every replica.`,
          "Compare container_memory_working_set_bytes with the memory limit per container: does every replica climb to the limit under the same load?",
          `istioctl proxy-config endpoints <client pod> --cluster "outbound|<port>||${svc.service}.<ns>.svc.cluster.local": no HEALTHY endpoint while the 503 UH were logged.`,
        ],
        remediation: {
          immediate: [`Raise the memory limit of ${svc.service} (or scale out so the load per replica fits), then confirm the restarts stop.`, "Add a PodDisruptionBudget-independent safety: keep replicas on different load (or rate-limit) so they cannot all hit the limit at once."],
          longTerm: ["Find what drives memory with load (caches without bounds, large responses buffered, JVM heap above the container limit).", "Alert on OOMKilled terminations and on a service with zero ready endpoints, not only on the 503s."],
        },
        explains: share === null || share >= 0.5 ? ["error-burst-after-change", "latency-regression", "retry-latency-amplification"] : [],
        facts: {
          service: svc.service,
          pods: [...svc.pods],
          replicas,
          killedPods,
          downTogether,
          oomKills: svc.kills.length,
          killBasis: [...new Set(svc.kills.map((k) => k.basis))],
          failures: total,
          episodes: alignedEps.length,
          lagsMs: lags.map((l) => Math.round(l)),
          dataPath: path,
        },
      });
    }
    return out;
  },
};
