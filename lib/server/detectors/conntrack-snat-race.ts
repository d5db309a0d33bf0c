import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { CounterRecord, RequestRecord } from "@/lib/schemas/records";
import { isFailedRequest, type Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { clamp01, describeRequest, describeSpan, groupBy, median } from "./util";

/**
 * conntrack-snat-race: SNAT port allocation races in netfilter drop the first SYN of some outbound
 * connections; TCP retransmits it after the initial RTO (1 s) or again after 3 s, so connect time
 * lands at ~1 s / ~3 s while the median stays small.
 *
 *   connect ms  ▇▇▇▇▇▇▆▃▁ …………………… ▂ ……………………………… ▁
 *               0       100            1000             3000
 *                 normal                ▲ 1st SYN retx    ▲ 2nd SYN retx
 *   conntrack -S: insert_failed 12 → 48 931 between snapshots
 *
 * Sources: connect times (nginx uct, connectMs), request durations when no connect time exists,
 * and span gaps (child server span starting ~1 s/~3 s after its parent client span started).
 * Fires when ≥ 5 values fall in the 1 s/3 s bands, they are ≥ 0.3 % of the population, and the
 * median is < 200 ms. conntrack insert_failed/drop growth and trace gaps corroborate.
 */
const BANDS: [number, number][] = [
  [950, 1200],
  [2950, 3250],
];
const inBand = (ms: number) => BANDS.some(([lo, hi]) => ms >= lo && ms <= hi);
/** A SYN retransmit delays a request that then succeeds; timeouts at 1 s are a different story (retries, client timeouts). */
const succeeded = (r: RequestRecord) => !isFailedRequest(r) && (r.status === null || r.status < 400);

export const conntrackSnatRace: Detector = {
  id: "conntrack-snat-race",
  title: "SYN drops from a conntrack/SNAT race (1 s / 3 s connect times)",
  requires: ["nginx-access", "envoy-access", "xray", "otlp-json", "jaeger-json", "conntrack-stats"],
  specificity: "specific",
  detect(ctx: DetectorContext) {
    const withConnect = ctx.requestSample.filter((r) => typeof r.rec.connectMs === "number" && Number.isFinite(r.rec.connectMs));
    const useConnect = withConnect.length >= 20;
    // Without connect times, fall back to HTTP request durations; TCP records (status null: ztunnel,
    // tcp_proxy) measure whole connection lifetimes, which say nothing about the handshake.
    const httpWithDuration = (r: Located<RequestRecord>) => r.rec.durationMs !== null && r.rec.status !== null;
    const pop = useConnect ? withConnect : ctx.requestSample.filter(httpWithDuration);
    const val = (r: (typeof pop)[number]) => Number(useConnect ? r.rec.connectMs : r.rec.durationMs);
    const values = pop.map(val);
    const med = median(values);
    const banded = (useConnect ? ctx.requests.filter((r) => typeof r.rec.connectMs === "number") : ctx.requests.filter(httpWithDuration)).filter((r) => succeeded(r.rec) && inBand(useConnect ? Number(r.rec.connectMs) : Number(r.rec.durationMs)));
    const bandedSample = pop.filter((r) => succeeded(r.rec) && inBand(val(r))).length;
    const share = values.length ? bandedSample / values.length : 0;

    // Trace gaps: server span of the callee starts ~1 s/~3 s after the caller's client span.
    const byId = new Map(ctx.spans.map((s) => [`${s.rec.traceId}|${s.rec.spanId}`, s]));
    const gapSpans = ctx.spans.filter((s) => {
      if (!s.rec.parentSpanId) return false;
      const parent = byId.get(`${s.rec.traceId}|${s.rec.parentSpanId}`);
      return !!parent && parent.rec.spanKind !== "server" && s.rec.spanKind === "server" && s.rec.status !== "error" && inBand(s.rec.ts - parent.rec.ts);
    });

    // conntrack counters: growth of insert_failed / drop per node between snapshots.
    const ct = ctx.counters.filter((c) => /(^|_)(insert_failed|drop)$/.test(c.rec.name) && c.rec.ts !== null);
    const growth: { node: string; name: string; delta: number; first: Located<CounterRecord>; last: Located<CounterRecord> }[] = [];
    for (const [key, list] of groupBy(ct, (c) => `${c.rec.labels.node ?? ctx.files.get(c.fileId)?.node ?? ctx.files.get(c.fileId)?.path ?? c.fileId}|${c.rec.name}`)) {
      // Sum per-CPU rows per snapshot time, then take last − first.
      const perTs = new Map<number, { sum: number; rec: Located<CounterRecord> }>();
      for (const c of list) {
        const t = c.rec.ts as number;
        const cur = perTs.get(t);
        if (cur) cur.sum += c.rec.value;
        else perTs.set(t, { sum: c.rec.value, rec: c });
      }
      const snaps = [...perTs.entries()].sort((a, b) => a[0] - b[0]);
      if (snaps.length < 2) continue;
      const d = snaps[snaps.length - 1]![1].sum - snaps[0]![1].sum;
      const [node, name] = key.split("|") as [string, string];
      if (d > 0) growth.push({ node, name, delta: d, first: snaps[0]![1].rec, last: snaps[snaps.length - 1]![1].rec });
    }
    const insertFailedGrowth = growth.filter((g) => g.name.endsWith("insert_failed")).reduce((n, g) => n + g.delta, 0);

    const enough = banded.length >= 5 && share >= 0.003 && med !== null && med < 200;
    if (!enough && !(gapSpans.length >= 3 && insertFailedGrowth > 0)) return [];

    let conf = 0.55;
    if (useConnect) conf += 0.05; // connect time isolates the TCP handshake
    if (insertFailedGrowth > 0) conf += 0.15;
    if (gapSpans.length >= 2) conf += 0.08;
    const ones = (useConnect ? banded.map((r) => Number(r.rec.connectMs)) : banded.map((r) => Number(r.rec.durationMs))).filter((v) => v < 2000).length;
    const threes = banded.length - ones;
    if (ones > 0 && ones >= threes) conf += 0.04; // 1 s retransmits outnumber 3 s ones, as TCP backoff predicts

    const evidence: EvidenceRef[] = [];
    for (const r of banded.slice(0, 4)) evidence.push(ctx.cite(r, describeRequest(r.rec), `${useConnect ? "Connect" : "Request"} time sits on the SYN-retransmit step (~1 s/~3 s).`, { traceId: r.rec.traceId }));
    for (const s of gapSpans.slice(0, 3)) evidence.push(ctx.cite(s, describeSpan(s.rec), "The callee started ~1 s/~3 s after the caller's call: the time was lost before the connection existed.", { spanId: s.rec.spanId, traceId: s.rec.traceId }));
    for (const g of growth.slice(0, 4)) {
      evidence.push(ctx.cite(g.first, `${g.node} ${g.first.rec.name}=${g.first.rec.value} (cpu ${g.first.rec.labels.cpu ?? "all"})`, "Snapshot before."));
      evidence.push(ctx.cite(g.last, `${g.node} ${g.last.rec.name}=${g.last.rec.value} (cpu ${g.last.rec.labels.cpu ?? "all"})`, `${g.name} grew by ${g.delta} across CPUs: conntrack failed to insert new tuples (SNAT clash).`));
    }
    const counterEvidence: EvidenceRef[] = [];
    if (!growth.length) counterEvidence.push({ file: "(conntrack -S)", excerpt: "no conntrack insert_failed/drop snapshots with growth", why: "The race is not confirmed at the netfilter layer." });
    const p99 = values.length ? [...values].sort((a, b) => a - b)[Math.floor(0.99 * (values.length - 1))]! : null;
    return [
      {
        detector: "conntrack-snat-race",
        title: `Outbound connects stall ~1 s/~3 s (SYN retransmits): conntrack SNAT race${insertFailedGrowth ? `, insert_failed +${insertFailedGrowth}` : ""}`,
        confidence: clamp01(Math.min(0.9, conf)),
        summary: `${banded.length} outbound ${useConnect ? "connections took" : "requests took"} almost exactly ~1 s or ~3 s (${ones} near 1 s, ${threes} near 3 s) while the median is ${Math.round(med ?? 0)} ms — the signature of a dropped first SYN retransmitted after TCP's 1 s and 3 s timeouts. ${insertFailedGrowth ? `conntrack insert_failed grew by ${insertFailedGrowth}, which is the SNAT port-allocation race in netfilter.` : "conntrack counters were not available to confirm the SNAT race."}`,
        evidence,
        counterEvidence,
        checks: ["conntrack -S on the nodes doing SNAT: watch insert_failed while load runs.", "tcpdump the pod's outbound SYNs: a SYN with no SYN-ACK followed by a retransmit 1 s later confirms the drop.", "Check whether the affected calls leave the node through SNAT/MASQUERADE."],
        remediation: {
          immediate: ["Enable fully-random SNAT port allocation (--random-fully; AWS VPC CNI: AWS_VPC_K8S_CNI_RANDOMIZESNAT=prng) or disable SNAT where possible (AWS_VPC_K8S_CNI_EXTERNALSNAT=true).", "Spread the load over more pods/nodes to reduce concurrent SNAT allocations."],
          longTerm: ["Reuse upstream connections (keepalive pools) so fewer new connections need SNAT.", "Alert on conntrack insert_failed growth and on connect-time p99."],
        },
        facts: { banded: banded.length, near1s: ones, near3s: threes, medianMs: Math.round(med ?? 0), p99Ms: p99 === null ? 0 : Math.round(p99), insertFailedGrowth, traceGaps: gapSpans.length, basis: useConnect ? "connect-time" : "duration" },
      },
    ];
  },
};
