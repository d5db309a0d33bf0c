import { FAULT_KIND_LABEL, type EvidenceRef } from "@/lib/schemas/hypothesis";
import type { EventRecord, SeriesRecord } from "@/lib/schemas/records";
import type { Located } from "@/lib/server/correlate";
import { minEpoch, type EpochMs } from "@/lib/schemas/time";
import { LOCALISE, localise, pathDelta, type Suspect } from "@/lib/server/correlate/localise";
import type { BailPoint } from "@/lib/server/correlate/trace-bailout";
import { detectMetricChanges } from "@/lib/server/correlate/metric-change";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { fmtMs, iso, round3 } from "./util";

/**
 * service-fault: which service the incident started in, and how (latency, errors, CPU, memory,
 * network), from traces, metrics and application logs (correlate/localise.ts combines them).
 *
 *   split ▼ (measured onset; else the timeline's first alert; else the metrics' own change points)
 *   traces   cart self time ×2.8 ……… frontend's time only grew by cart's (not blamed)
 *   metrics  cart CPU 1.5 → 23 mcores (z 33) at 04:37
 *   paths    checkout's PlaceOrder stopped calling payment in 28 % of orders
 *   logs     payment: 40 error lines in the window, 0 before
 *   bails    frontend and checkout stop right after calling productcatalog (0 before)
 *            ─────────▶ suspect cartservice (pod cartservice-…-wc2lz), kind cpu
 *
 * Generic (it names where, not the mechanism): a specific mechanism detector that explains the
 * same symptoms outranks it (rank.ts); it explains the generic latency/error symptoms it covers.
 * Confidence grows with the suspect's combined signal, with independent signals agreeing, and with
 * its lead over the runner-up; a split that only the metrics give is capped.
 */
const MIN_SCORE = 0.25;
/** A metrics-only split counts changes at least this strong (robust z). */
const SPLIT_MIN_Z = 15;


type Split = { ms: EpochMs; basis: "onset" | "alert" | "metrics"; loc?: Located<EventRecord>; detail: string };

function splitOf(ctx: DetectorContext): Split | null {
  if (ctx.window.onsetMs !== null) return { ms: ctx.window.onsetMs, basis: "onset", detail: `the measured onset at ${iso(ctx.window.onsetMs)}` };
  const alert = ctx.events.filter((e) => e.rec.source === "timeline" && e.rec.reason === "alert" && e.rec.ts !== null).sort((a, b) => a.rec.ts! - b.rec.ts!)[0];
  if (alert) return { ms: alert.rec.ts!, basis: "alert", loc: alert, detail: `the first alert of the timeline (${iso(alert.rec.ts)})` };
  // No onset, no alert: the metrics say when — where changes of several services start together.
  const ms = metricConsensus(ctx.series.map((s) => s.rec));
  if (ms === null) return null;
  return { ms, basis: "metrics", detail: `the metrics' own change point at ${iso(ms)}` };
}

/**
 * A fault moves several services' series at once (its own CPU or latency, its callers' latency and
 * traffic); one noisy p99 series jumping on its own does not. Every changed series (its own best
 * split, robust z ≥ SPLIT_MIN_Z) votes for the minute its episode starts; a minute's support is the
 * number of distinct services with a change starting within one minute of it, then their capped z.
 *
 *   svc A cpu      ····▲···········      minute 10:04: A, B, C  → 3 services  ◀ split
 *   svc B p95      ····▲···········      minute 10:17: D        → 1 service
 *   svc C traffic  ·····▲··········
 *   svc D p99      ·················▲   (a noisy series on its own)
 *
 * With one service only, its strongest change decides (the confidence is capped either way).
 */
function metricConsensus(series: readonly SeriesRecord[]): EpochMs | null {
  const votes = detectMetricChanges(series)
    .filter((c) => c.changed && c.score >= SPLIT_MIN_Z && c.firstAbnormalTs !== null && (c.orientation === "bad" || c.orientation === "symptom"))
    .map((c) => ({ ts: c.firstAbnormalTs!, who: c.entity.service ?? c.entity.pod ?? c.seriesKey, z: Math.min(c.score, 50) }));
  if (!votes.length) return null;
  let best: { ts: EpochMs; services: number; z: number } | null = null;
  for (const v of votes) {
    const near = votes.filter((u) => Math.abs(u.ts - v.ts) <= 60_000);
    const services = new Set(near.map((u) => u.who)).size;
    const z = near.reduce((a, u) => a + u.z, 0);
    const ts = minEpoch(near.map((u) => u.ts));
    if (!best || services > best.services || (services === best.services && (z > best.z || (z === best.z && ts < best.ts)))) best = { ts, services, z };
  }
  return best!.ts;
}

const bailText = (p: BailPoint) => `${p.stops.window} of ${p.reach.window} window ${p.caller} requests that got that far, ${p.stops.reference} of ${p.reach.reference} before`;

function describe(s: Suspect): string[] {
  const out: string[] = [];
  const lat = s.trace?.latency;
  if (s.signals.trace > 0.05 && s.trace?.kind === "latency" && lat?.operation) out.push(`its own time in ${lat.operation} grew ×${(lat.ratio ?? 1).toFixed(1)} (+${fmtMs(lat.excessMsPerTrace)} per request)`);
  const net = s.trace?.network;
  if (s.signals.trace > 0.05 && s.trace?.kind === "network" && net) out.push(`calls ${net.edges.map((e) => `${e.caller} → ${e.callee}`).slice(0, 3).join(", ")} spent ×${(net.ratio ?? 1).toFixed(1)} longer between client and server (+${fmtMs(net.excessMsPerTrace)} per request)`);
  const err = s.trace?.errors;
  if (s.signals.trace > 0.05 && s.trace?.kind === "errors" && err) out.push(`${err.window} failing spans start in it (${err.reference} before)`);
  const m = s.metric?.kind ? s.metric.byKind[s.metric.kind] : undefined;
  if (s.signals.metric > 0.05 && m) out.push(`${m.metric} went ${m.direction}${m.ratio !== null ? ` ×${m.ratio.toFixed(1)}` : ""} (robust z ${m.score.toFixed(0)})${m.firstAbnormalTs !== null ? ` from ${iso(m.firstAbnormalTs)}` : ""}`);
  if (s.signals.path > 0.05 && s.path) out.push(`${s.path.operation} made ${s.path.call} ${s.path.perCall.reference.toFixed(2)} → ${s.path.perCall.window.toFixed(2)} times per call`);
  if (s.signals.logs > 0.05 && s.logs) out.push(`${s.logs.window} error log lines in the window (${s.logs.reference} outside it)`);
  const bp = s.bail?.points[0];
  if (s.signals.bail > 0.05 && s.bail && bp && s.bail.score >= s.signals.bail - 1e-9) {
    out.push(
      s.bail.role === "callee"
        ? `${s.bail.callers.join(" and ")} stop their requests right after calling it (${bailText(bp)})`
        : bp.after
          ? `its ${bp.operation} stops right after calling ${bp.after} (${bailText(bp)}) while ${bp.after}'s other callers go on`
          : `its ${bp.operation} stops before making any call (${bailText(bp)})`,
    );
  }
  const cv = s.callerView;
  // Shown when the callers' view, not the service's own series, carries its metric signal.
  if (cv && s.signals.metric > 0.05 && (s.metric?.score ?? 0) / LOCALISE.METRIC_FULL_Z < s.signals.metric - 1e-9) {
    out.push(
      `${cv.caller}'s calls got slower (${cv.metric}${cv.ratio !== null ? ` ×${cv.ratio.toFixed(1)}` : ""}, robust z ${cv.score.toFixed(0)}) and ` +
        (cv.candidates.length > 1 ? `it is one of ${cv.candidates.length} callees that can explain it (${cv.candidates.join(", ")}): their other callers saw no change` : `it is the only callee that can explain it: ${cv.caller}'s other callees are also called by callers that saw no change`),
    );
  }
  if (s.signals.bail > 0.05 && s.silenced) out.push(`it stopped calling ${s.silenced.callees.map((c) => `${c.service} (${c.metric}${c.ratio !== null ? ` ×${c.ratio.toFixed(2)}` : ""})`).join(", ")} while its own traffic went on`);
  return out;
}

export const serviceFault: Detector = {
  id: "service-fault",
  title: "Service where the fault started (traces, metrics, application logs)",
  requires: ["otlp-json", "jaeger-json", "xray", "prometheus", "app-json", "app-logfmt", "app-text"],
  specificity: "generic",
  coverage(ctx) {
    if (!ctx.spans.length && !ctx.series.length) return { checked: false, detail: "no traces and no metric series to localise a fault with" };
    if (!splitOf(ctx)) return { checked: false, detail: `${ctx.spans.length} spans and ${ctx.series.length} series, but no onset, no alert and no strong metric change to compare before and after` };
    return { checked: true, detail: `${ctx.spans.length} spans and ${ctx.series.length} series compared before and after the onset: no service stands out` };
  },
  detect(ctx) {
    if (!ctx.spans.length && !ctx.series.length) return [];
    const split = splitOf(ctx);
    if (!split) return [];
    const logs = ctx.events.filter((e) => e.rec.source === "app");
    const L = localise({ spans: ctx.spans.map((s) => s.rec), series: ctx.series.map((s) => s.rec), logs: logs.map((e) => e.rec), splitMs: split.ms });
    const top = L.suspects[0];
    if (!top || top.score < MIN_SCORE) return [];
    const second = L.suspects[1];
    const lead = top.score - (second?.score ?? 0);
    const strongSignals = Object.values(top.signals).filter((x) => x >= 0.2).length;

    const c = new Confidence(0.25 + 0.35 * top.score, `${top.service} carries the strongest combined change after ${split.detail} (score ${top.score.toFixed(2)})`);
    c.when(strongSignals >= 2, 0.08, "independent signals (traces, metrics, paths, logs) agree on it", "independence");
    if (second) c.add(lead >= 0.3 ? 0.06 : lead < 0.1 ? -0.12 : 0, lead >= 0.3 ? `well ahead of the next suspect (${second.service}, ${second.score.toFixed(2)})` : `barely ahead of ${second.service} (${second.score.toFixed(2)})`, "impact");
    c.when(L.suspects.some((s) => s.explainedBy === top.service), 0.04, `its callers' latency is explained by it (${L.suspects.filter((s) => s.explainedBy === top.service).map((s) => s.service).join(", ")})`);
    // Below 0.5: the series that set the split is then judged by its own change point, so it always looks changed.
    if (split.basis === "metrics") c.cap(0.45, "no measured onset or alert: the before/after split comes from the metrics themselves, and the strongest of them set it");
    c.cap(0.85, "localisation names where the fault shows first, not the mechanism inside the service");

    const evidence: EvidenceRef[] = [];
    if (split.loc) evidence.push(ctx.cite(split.loc, split.loc.rec.text, "The split between reference and window."));
    const m = top.metric?.kind ? top.metric.byKind[top.metric.kind] : undefined;
    if (m && top.signals.metric > 0.05) {
      const loc = ctx.series[m.seriesIndex] as Located<SeriesRecord> | undefined;
      if (loc) evidence.push(ctx.cite(loc, `${m.metric}{${Object.entries(loc.rec.labels).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`).join(",")}}`, `Went ${m.direction}${m.ratio !== null ? ` ×${m.ratio.toFixed(2)}` : ""} (robust z ${m.score.toFixed(1)}) from ${iso(m.firstAbnormalTs) ?? "?"}.`));
    }
    const cv = top.callerView;
    const cvLoc = cv && top.signals.metric > 0.05 ? (ctx.series[cv.seriesIndex] as Located<SeriesRecord> | undefined) : undefined;
    if (cv && cvLoc) evidence.push(ctx.cite(cvLoc, `${cv.metric}{${Object.entries(cvLoc.rec.labels).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`).join(",")}}`, `${cv.caller}'s client-side latency rose (robust z ${cv.score.toFixed(1)}); callees it can be: ${cv.candidates.join(", ")}.`));
    for (const ex of top.trace && top.signals.trace > 0.05 ? top.trace.examples.slice(0, 3) : []) {
      const loc = ctx.spans[ex.index];
      if (loc) evidence.push(ctx.cite(loc, `${ex.service} ${ex.operation} ${fmtMs(ex.durationMs)} (own ${fmtMs(ex.selfMs)})`, "A slow span of the suspect in the window.", { spanId: ex.spanId, traceId: ex.traceId }));
    }
    if (top.signals.bail > 0.05) {
      for (const p of top.bail?.points.slice(0, 2) ?? []) {
        const loc = p.examples[0] !== undefined ? ctx.spans[p.examples[0]] : undefined;
        if (loc) evidence.push(ctx.cite(loc, `${p.caller} ${p.operation}${loc.rec.durationMs !== null ? ` ${fmtMs(loc.rec.durationMs)}` : ""}: ${p.prefix.length ? `calls ${p.prefix.join(" → ")}, then stops` : "stops before any call"}`, `Stops here in ${p.stops.window} of ${p.reach.window} window requests (${p.stops.reference} of ${p.reach.reference} before).`, { spanId: loc.rec.spanId, traceId: loc.rec.traceId }));
      }
      for (const c of top.silenced?.callees.slice(0, 2) ?? []) {
        const loc = ctx.series[c.seriesIndex] as Located<SeriesRecord> | undefined;
        if (loc) evidence.push(ctx.cite(loc, `${c.metric}{${Object.entries(loc.rec.labels).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`).join(",")}}`, `${c.service} went quiet${c.ratio !== null ? ` (×${c.ratio.toFixed(2)})` : ""}: ${top.service}, its only caller, stopped calling it.`));
      }
    }
    for (const i of top.logs && top.signals.logs > 0.05 ? top.logs.examples : []) {
      const loc = logs[i];
      if (loc) evidence.push(ctx.cite(loc, loc.rec.text.slice(0, 200), "An error line of the suspect in the window."));
    }
    const counterEvidence: EvidenceRef[] = [];
    if (second && lead < 0.1) {
      const ex = second.trace?.examples[0];
      const loc = ex ? ctx.spans[ex.index] : undefined;
      if (loc && ex) counterEvidence.push(ctx.cite(loc, `${ex.service} ${ex.operation} ${fmtMs(ex.durationMs)}`, `${second.service} changed almost as much (${second.score.toFixed(2)}).`, { spanId: ex.spanId, traceId: ex.traceId }));
    }

    // Runners-up with a real signal of their own are alternatives, each below the leader.
    const topConfidence = c.result().confidence;
    const alternatives = L.suspects.slice(1, 3).filter((s) => s.score >= MIN_SCORE && !s.explainedBy);
    const alternativeHyps = alternatives.map((s) => {
      const where2 = s.pod ? `${s.service} (pod ${s.pod})` : s.service;
      const ca = new Confidence(Math.min(0.25 + 0.35 * s.score, topConfidence - 0.1), `${s.service} changed too after ${split.detail} (score ${s.score.toFixed(2)}), less than ${top.service} (${top.score.toFixed(2)})`);
      ca.cap(Math.max(0, topConfidence - 0.1), "an alternative ranks below the leading suspect");
      const ev: EvidenceRef[] = [];
      const ex = s.trace?.examples[0];
      const sl = ex ? ctx.spans[ex.index] : undefined;
      if (sl && ex) ev.push(ctx.cite(sl, `${ex.service} ${ex.operation} ${fmtMs(ex.durationMs)} (own ${fmtMs(ex.selfMs)})`, "A slow span of this suspect in the window.", { spanId: ex.spanId, traceId: ex.traceId }));
      const mk = s.metric?.kind ? s.metric.byKind[s.metric.kind] : undefined;
      const ml = mk ? (ctx.series[mk.seriesIndex] as Located<SeriesRecord> | undefined) : undefined;
      if (mk && ml) ev.push(ctx.cite(ml, mk.metric, `Went ${mk.direction} (robust z ${mk.score.toFixed(1)}).`));
      return {
        detector: "service-fault",
        title: `Alternative: fault started in ${where2}: ${FAULT_KIND_LABEL[s.kind]}`,
        ...ca.result(),
        summary: `${where2} also changed after ${split.detail}: ${describe(s).join("; ") || "weak signals"}. It ranks below ${top.service}.`,
        evidence: ev,
        counterEvidence: [],
        checks: [`Look at ${where2} around ${iso(split.ms)}.`],
        remediation: { immediate: [], longTerm: [] },
        explains: [],
        facts: { service: s.service, pod: s.pod ?? "", kind: s.kind, score: round3(s.score), alternativeTo: top.service },
      };
    });

    const what = describe(top);
    const where = top.pod ? `${top.service} (pod ${top.pod})` : top.service;
    const explained = L.suspects.filter((s) => s.explainedBy === top.service).map((s) => s.service);
    return [
      {
        detector: "service-fault",
        title: `Fault started in ${where}: ${FAULT_KIND_LABEL[top.kind]}`,
        ...c.result(),
        summary:
          `Compared before and after ${split.detail}, ${where} changed first and most: ${what.join("; ") || "several weak signals agree"}.` +
          (explained.length ? ` ${explained.join(", ")} slowed only with it (their callee).` : "") +
          (second ? ` Next suspects: ${L.suspects.slice(1, 3).map((s) => `${s.service} (${s.score.toFixed(2)})`).join(", ")}.` : ""),
        evidence,
        counterEvidence,
        checks: [`Look at ${where} around ${iso(split.ms)}: deploys, restarts, resource limits, its own logs.`, "Compare its traces before and after the split in the Traces view."],
        remediation: {
          immediate: [top.kind === "cpu" || top.kind === "memory" ? `Relieve ${top.service}: scale it out or raise its ${top.kind} limit; find what is consuming it.` : top.kind === "network" ? `Check the network path to ${top.service} (node, CNI, sidecar, tc/netem rules).` : `Roll back or restart ${top.service} if it changed recently.`],
          longTerm: [`Alert on ${top.service}'s own latency, errors and saturation, not only on the front end.`],
        },
        explains: top.score >= 0.5 ? ["latency-regression", "error-burst-after-change"] : [],
        facts: {
          service: top.service,
          pod: top.pod ?? "",
          kind: top.kind,
          score: round3(top.score),
          splitBasis: split.basis,
          traceSignal: round3(top.signals.trace),
          metricSignal: round3(top.signals.metric),
          pathSignal: round3(top.signals.path),
          logSignal: round3(top.signals.logs),
          bailSignal: round3(top.signals.bail),
          pathChange: top.path ? round3(pathDelta(top.path)) : 0,
          runnersUp: L.suspects.slice(1, 4).map((s) => `${s.service} ${s.score.toFixed(2)}`),
          referenceTraces: L.counts.referenceTraces,
          windowTraces: L.counts.windowTraces,
        },
      },
      ...alternativeHyps,
    ];
  },
};
