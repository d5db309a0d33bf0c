import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { CounterRecord, RequestRecord, SpanRecord } from "@/lib/schemas/records";
import { isFailedRequest, type Located } from "@/lib/server/correlate";
import { seriesName } from "@/lib/server/parsers/name-time";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, describeSpan, median } from "./util";

/**
 * conntrack-snat-race: netfilter's SNAT port allocation races when several connections leave a
 * node at once; the loser's conntrack insert fails (`insert_failed`) and its SYN is dropped. TCP
 * retransmits the SYN after the initial RTO (1 s), then after 2 s more (3 s), so the connection is
 * made — and the request succeeds — exactly ~1 s or ~3 s late (seed 003).
 *
 *   connect or extra time  ▇▇▇▇▇▇▆▃▁ ……………………… ▅ ……………………………… ▂ ………
 *                          0    normal spread   1 s + spread    3 s + spread
 *                                               ▲ 1st SYN retx  ▲ 2nd SYN retx    (steps, not a slope)
 *   conntrack -S  insert_failed  12 → 48 931 between two snapshots of the node
 *
 * Values: connect times (nginx $upstream_connect_time, a span's connect-time attribute), else HTTP
 * request durations; span gaps (a callee's server span starting ~1 s/~3 s after its caller's
 * client span). A retransmit adds the RTO to an otherwise normal value, so the bands are
 * [k s − 50 ms, k s + the normal p90 + 100 ms] for k = 1, 3, 7. The step must be sharp, for
 * durations and span gaps alike: the bands hold far more values per millisecond than the ranges
 * between them — a slow upstream (or a CPU-starved callee that starts late) spreads its values
 * over the whole range and does not make steps. Successful requests only: a 1 s client
 * timeout also piles up at 1 s, but it fails.
 * Counters: snapshots of a node ordered by time, else by file name and line (an undated snapshot
 * still has an order); growth = last − first summed over CPUs; a decrease is a reset, not growth.
 */
const RTO_STEPS_MS = [1000, 3000, 7000];
const MIN_BANDED = 5;
const SHARPNESS = 4;
/** insert_failed growth that is evidence by itself (a handful of clashes happens on busy nodes). */
const MIN_INSERT_FAILED = 100;

interface Pop {
  basis: "connect-time" | "duration";
  values: { v: number; loc: Located<RequestRecord> }[];
}

function connectOf(r: RequestRecord): number | null {
  if (typeof r.connectMs === "number" && Number.isFinite(r.connectMs)) return Number(r.connectMs);
  return null;
}

function population(ctx: DetectorContext, list: Located<RequestRecord>[]): Pop {
  const withConnect = list.filter((r) => connectOf(r.rec) !== null);
  if (withConnect.length >= 20) return { basis: "connect-time", values: withConnect.map((loc) => ({ v: connectOf(loc.rec)!, loc })) };
  // TCP records (status null: ztunnel, tcp_proxy) measure whole connection lifetimes, not handshakes.
  return { basis: "duration", values: list.filter((r) => r.rec.durationMs !== null && r.rec.status !== null).map((loc) => ({ v: Number(loc.rec.durationMs), loc })) };
}

/** The SYN-retransmit bands for a population (exported so tests build inputs around the detector's own bands). */
export function bands(values: number[]): { lo: number; hi: number }[] {
  const normal = values.filter((v) => v < 900).sort((a, b) => a - b);
  const p90 = normal.length ? normal[Math.floor(0.9 * (normal.length - 1))]! : 50;
  return RTO_STEPS_MS.map((k) => ({ lo: k - 50, hi: k + Math.min(p90, 400) + 100 }));
}

/** Values per ms inside the bands vs between them (0.5 s–6.5 s outside the bands). */
function sharpness(values: number[], b: { lo: number; hi: number }[]): number {
  const inB = values.filter((v) => b.some((x) => v >= x.lo && v <= x.hi)).length;
  const widthIn = b.reduce((n, x) => n + (x.hi - x.lo), 0);
  const outside = values.filter((v) => v >= 500 && v <= 6500 && !b.some((x) => v >= x.lo && v <= x.hi)).length;
  const widthOut = 6000 - b.filter((x) => x.lo < 6500).reduce((n, x) => n + (Math.min(6500, x.hi) - x.lo), 0);
  return outside === 0 ? Number.POSITIVE_INFINITY : inB / widthIn / (outside / widthOut);
}

interface Growth { node: string; name: string; delta: number; first: Located<CounterRecord>; last: Located<CounterRecord>; snapshots: number; reset: boolean; dated: boolean }

/** Per node and counter: snapshots in order, last − first over every CPU. */
function counterGrowth(ctx: DetectorContext): Growth[] {
  const rel = ctx.counters.filter((c) => /^conntrack_(insert_failed|drop|early_drop)$/.test(c.rec.name) || /(^|_)(insert_failed)$/.test(c.rec.name));
  const pathOf = (fileId: string) => ctx.files.get(fileId)?.path ?? fileId;
  // Without a node, a series is the file name with its capture time cut out (`…-0905.txt` and
  // `…-1025.txt` are one series), else the file itself.
  const nodeOf = (c: Located<CounterRecord>) => c.rec.labels.node ?? ctx.files.get(c.fileId)?.node ?? seriesName(pathOf(c.fileId)) ?? pathOf(c.fileId);
  // Snapshots: within a file, a new one starts at a new timestamp or when a CPU repeats.
  interface Snap { key: string; ts: number | null; path: string; line: number; sum: number; rec: Located<CounterRecord>; cpus: Set<string> }
  const series = new Map<string, Snap[]>();
  const sorted = [...rel].sort((a, b) => (pathOf(a.fileId) < pathOf(b.fileId) ? -1 : pathOf(a.fileId) > pathOf(b.fileId) ? 1 : 0) || (a.rec.prov.line ?? 0) - (b.rec.prov.line ?? 0));
  for (const c of sorted) {
    const k = `${nodeOf(c)}\u0000${c.rec.name}`;
    const list = series.get(k) ?? series.set(k, []).get(k)!;
    const cur = list[list.length - 1];
    const cpu = c.rec.labels.cpu ?? "all";
    const path = pathOf(c.fileId);
    if (cur && cur.path === path && cur.ts === (c.rec.ts as number | null) && !cur.cpus.has(cpu)) {
      cur.sum += c.rec.value;
      cur.cpus.add(cpu);
    } else list.push({ key: k, ts: c.rec.ts as number | null, path, line: c.rec.prov.line ?? 0, sum: c.rec.value, rec: c, cpus: new Set([cpu]) });
  }
  const out: Growth[] = [];
  for (const [k, snaps] of series) {
    if (snaps.length < 2) continue;
    const dated = snaps.every((s) => s.ts !== null);
    // Time order when every snapshot is dated; otherwise the order of file names (natural) and lines.
    const ordered = dated ? [...snaps].sort((a, b) => a.ts! - b.ts! || a.line - b.line) : [...snaps].sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }) || a.line - b.line);
    const reset = ordered.some((s, i) => i > 0 && s.sum < ordered[i - 1]!.sum);
    const [node, name] = k.split("\u0000") as [string, string];
    const first = ordered[0]!;
    const last = ordered[ordered.length - 1]!;
    out.push({ node, name, delta: last.sum - first.sum, first: first.rec, last: last.rec, snapshots: ordered.length, reset, dated });
  }
  return out.sort((a, b) => b.delta - a.delta || (a.node < b.node ? -1 : 1));
}

function spanConnect(s: SpanRecord): number | null {
  for (const [k, v] of Object.entries(s.attrs)) if (/connect[_.-]?time/i.test(k) && typeof v === "number" && Number.isFinite(v)) return v < 50 && !/ms/i.test(k) ? v * 1000 : v;
  return null;
}

export const conntrackSnatRace: Detector = {
  id: "conntrack-snat-race",
  title: "SYN drops from a conntrack/SNAT race (1 s / 3 s connect times)",
  requires: ["nginx-access", "envoy-access", "xray", "otlp-json", "jaeger-json", "conntrack-stats"],
  specificity: "specific",
  coverage(ctx) {
    const pop = population(ctx, ctx.requestSample);
    if (pop.values.length >= 20) return { checked: true, detail: `${pop.values.length} ${pop.basis === "connect-time" ? "connect times" : "request durations"} examined: no ~1 s / ~3 s retransmit steps` };
    if (ctx.spans.length >= 20) return { checked: true, detail: `${ctx.spans.length} spans examined: no callee starting ~1 s / ~3 s after its caller` };
    return { checked: false, detail: "no access logs with connect times or durations and no traces to look for SYN-retransmit delays" };
  },
  detect(ctx: DetectorContext) {
    const sample = population(ctx, ctx.requestSample);
    const all = population(ctx, ctx.requests);
    const values = sample.values.map((x) => x.v);
    const med = median(values);
    const b = bands(values);
    const inBand = (v: number) => b.some((x) => v >= x.lo && v <= x.hi);
    const banded = all.values.filter((x) => !isFailedRequest(x.loc.rec) && (x.loc.rec.status === null || x.loc.rec.status < 400) && inBand(x.v));
    const sharp = sharpness(values.filter((v, i) => !isFailedRequest(sample.values[i]!.loc.rec)), b);
    const slow = all.values.filter((x) => x.v >= 900 && !isFailedRequest(x.loc.rec));

    // Trace gaps: the callee's server span starts ~1 s/~3 s after the caller's client span; or a
    // span's own connect-time attribute in a band.
    // A starved callee (CPU contention, a full accept queue) also starts late, but by any amount:
    // only gaps that pile up *at* the retransmit times, far denser there than between them, are
    // SYN retransmits — the same sharpness test as the request durations.
    const byId = new Map(ctx.spans.map((s) => [`${s.rec.traceId}|${s.rec.spanId}`, s]));
    const gaps: { v: number; s: Located<SpanRecord> }[] = [];
    const connectSpans: Located<SpanRecord>[] = [];
    for (const s of ctx.spans) {
      const c = spanConnect(s.rec);
      if (c !== null && c >= 950 && inBand(c)) connectSpans.push(s);
      if (!s.rec.parentSpanId || s.rec.spanKind !== "server" || s.rec.status === "error") continue;
      const parent = byId.get(`${s.rec.traceId}|${s.rec.parentSpanId}`);
      if (parent && parent.rec.spanKind !== "server" && parent.rec.service !== s.rec.service) gaps.push({ v: s.rec.ts - parent.rec.ts, s });
    }
    const gapBands = bands(gaps.map((g) => g.v));
    const inGapBand = (v: number) => gapBands.some((x) => v >= x.lo && v <= x.hi);
    const gapSharp = sharpness(gaps.map((g) => g.v), gapBands);
    const gapSpans = [...connectSpans, ...(gapSharp >= SHARPNESS ? gaps.filter((g) => inGapBand(g.v)).map((g) => g.s) : [])];

    const growth = counterGrowth(ctx);
    const insertFailed = growth.filter((g) => g.name.endsWith("insert_failed") && !g.reset);
    const insertFailedGrowth = insertFailed.reduce((n, g) => n + Math.max(0, g.delta), 0);
    const countersPresent = growth.some((g) => g.name.endsWith("insert_failed"));

    const steps = banded.length >= MIN_BANDED && med !== null && med < 200 && sharp >= SHARPNESS;
    // The counters are the mechanism itself (a failed conntrack insert drops the SYN): their growth
    // is evidence even when the logs in the bundle saw few of the delayed connections — the clients
    // that retried may not be the ones whose logs were collected.
    const countersAlone = !steps && gapSpans.length < 3 && insertFailedGrowth >= MIN_INSERT_FAILED;
    if (!steps && !countersAlone && !(gapSpans.length >= 3 && (insertFailedGrowth > 0 || gapSpans.length >= 5))) return [];

    const ones = banded.filter((x) => x.v < 2000).length;
    const threes = banded.length - ones;
    const explainedSlow = slow.length ? banded.filter((x) => x.v >= 900).length / slow.length : null;

    const c = countersAlone
      ? new Confidence(0.4, `conntrack insert_failed grew by ${insertFailedGrowth}: new connections lost their SYN to a failed conntrack insert (the SNAT clash)`)
      : new Confidence(0.5, steps ? `${banded.length} successful ${all.basis === "connect-time" ? "connections took" : "requests took"} almost exactly 1 s or 3 s longer than usual — TCP's SYN-retransmit steps` : `${gapSpans.length} traced calls reached the callee almost exactly 1 s or 3 s after the caller started them`);
    c.when(steps && all.basis === "connect-time", 0.08, "the delay is in the connect time: it happened before the connection existed");
    c.when(steps && sharp >= 10, 0.05, "the delays form sharp steps at the retransmit times, not a spread of slow responses");
    c.when(gapSpans.length >= 2, steps ? 0.06 : 0.1, `${gapSpans.length} traces show the callee starting ~1 s/~3 s after its caller's call`, "independence");
    c.when(ones > 0 && ones >= threes, 0.03, `1 s delays (${ones}) outnumber 3 s ones (${threes}), as TCP's doubling backoff predicts`);
    if (countersAlone) {
      c.when(banded.length > 0, Math.min(0.12, 0.04 * banded.length), `${banded.length} successful request${banded.length > 1 ? "s" : ""} in the logs took ~1 s/~3 s longer than usual, as a retransmitted SYN does`, "independence");
      c.when(insertFailed.filter((g) => g.delta > 0).length > 1, 0.04, `insert_failed grew on ${new Set(insertFailed.filter((g) => g.delta > 0).map((g) => g.node)).size} nodes / ${insertFailed.filter((g) => g.delta > 0).length} counters`);
      c.cap(banded.length ? 0.6 : 0.45, "the counters show the race; the logs in the bundle show little of its latency");
    } else if (insertFailedGrowth > 0) c.add(0.15, `conntrack insert_failed grew by ${insertFailedGrowth} on ${[...new Set(insertFailed.filter((g) => g.delta > 0).map((g) => g.node))].join(", ")}${insertFailed.some((g) => !g.dated) ? " (snapshots ordered by file name: their times are not all known)" : ""}`, "independence");
    else if (countersPresent) c.add(-0.15, "conntrack insert_failed did not grow between the snapshots", "counter");
    if (explainedSlow !== null && steps) {
      if (explainedSlow >= 0.6) c.add(0.05, `explains ${Math.round(explainedSlow * 100)} % of the successful requests slower than 0.9 s`, "impact");
      else if (explainedSlow < 0.3) c.add(-0.1, `explains only ${Math.round(explainedSlow * 100)} % of the successful requests slower than 0.9 s`, "impact");
    }
    c.cap(0.92, "latency steps and counters point at the race; a packet capture would prove it");

    const evidence: EvidenceRef[] = [];
    for (const x of banded.slice(0, 4)) evidence.push(ctx.cite(x.loc, describeRequest(x.loc.rec), `${all.basis === "connect-time" ? "Connect" : "Request"} time ${Math.round(x.v)} ms sits on a SYN-retransmit step (~1 s/~3 s).`, { traceId: x.loc.rec.traceId }));
    for (const s of gapSpans.slice(0, 3)) evidence.push(ctx.cite(s, describeSpan(s.rec), "The callee started ~1 s/~3 s after the caller's call: the time was lost before the connection existed.", { spanId: s.rec.spanId, traceId: s.rec.traceId }));
    for (const g of insertFailed.filter((x) => x.delta > 0).slice(0, 4)) {
      evidence.push(ctx.cite(g.first, `${g.node} ${g.first.rec.name}=${g.first.rec.value} (cpu ${g.first.rec.labels.cpu ?? "all"})`, "First snapshot."));
      evidence.push(ctx.cite(g.last, `${g.node} ${g.last.rec.name}=${g.last.rec.value} (cpu ${g.last.rec.labels.cpu ?? "all"})`, `${g.name} grew by ${g.delta} across CPUs over ${g.snapshots} snapshots: conntrack failed to insert new tuples (SNAT clash).`));
    }
    const counterEvidence: EvidenceRef[] = [];
    if (countersPresent && insertFailedGrowth === 0) {
      const g = growth.find((x) => x.name.endsWith("insert_failed"))!;
      counterEvidence.push(ctx.cite(g.last, `${g.node} ${g.last.rec.name}=${g.last.rec.value}`, `insert_failed did not grow over ${g.snapshots} snapshots${g.reset ? " (a counter reset in between)" : ""}.`));
    }
    const p99 = values.length ? [...values].sort((a, b2) => a - b2)[Math.floor(0.99 * (values.length - 1))]! : null;
    const countersText = insertFailedGrowth ? `conntrack insert_failed grew by ${insertFailedGrowth}, which is the SNAT port-allocation race in netfilter.` : countersPresent ? "conntrack insert_failed did not grow between the snapshots in the bundle, which argues against the SNAT race." : "No conntrack -S snapshots are in the bundle to confirm the race at the netfilter layer (not checked).";
    return [
      {
        detector: "conntrack-snat-race",
        title: `Outbound connects stall ~1 s/~3 s (SYN retransmits): conntrack SNAT race${insertFailedGrowth ? `, insert_failed +${insertFailedGrowth}` : ""}`,
        ...c.result(),
        summary: countersAlone
          ? `conntrack insert_failed grew by ${insertFailedGrowth} between the snapshots${banded.length ? ` and ${banded.length} request${banded.length > 1 ? "s" : ""} in the logs took ~1 s/~3 s longer than usual` : ", while the logs in the bundle show no retransmit-shaped delays"}: each failed insert drops a SYN that TCP retransmits after 1 s and 3 s, which is the SNAT port-allocation race in netfilter.`
          : `${steps ? `${banded.length} outbound ${all.basis === "connect-time" ? "connections took" : "requests took"} almost exactly ~1 s or ~3 s (${ones} near 1 s, ${threes} near 3 s) while the median is ${Math.round(med ?? 0)} ms` : `${gapSpans.length} traced calls started ~1 s/~3 s late`} — the signature of a dropped first SYN retransmitted after TCP's 1 s and 3 s timeouts. ${countersText}`,
        evidence,
        counterEvidence,
        checks: ["conntrack -S on the nodes doing SNAT: watch insert_failed while load runs.", "tcpdump the pod's outbound SYNs: a SYN with no SYN-ACK followed by a retransmit 1 s later confirms the drop.", "Check whether the affected calls leave the node through SNAT/MASQUERADE."],
        remediation: {
          immediate: ["Enable fully-random SNAT port allocation (--random-fully; AWS VPC CNI: AWS_VPC_K8S_CNI_RANDOMIZESNAT=prng) or disable SNAT where possible (AWS_VPC_K8S_CNI_EXTERNALSNAT=true).", "Spread the load over more pods/nodes to reduce concurrent SNAT allocations."],
          longTerm: ["Reuse upstream connections (keepalive pools) so fewer new connections need SNAT.", "Alert on conntrack insert_failed growth and on connect-time p99."],
        },
        explains: explainedSlow === null || explainedSlow >= 0.5 ? ["latency-regression"] : [],
        facts: { banded: banded.length, near1s: ones, near3s: threes, medianMs: Math.round(med ?? 0), p99Ms: p99 === null ? 0 : Math.round(p99), insertFailedGrowth, traceGaps: gapSpans.length, basis: all.basis },
      },
    ];
  },
};
