import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { SpanRecord } from "@/lib/schemas/records";
import type { Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { Confidence } from "./confidence";
import { describeRequest, describeSpan, fmtMs, groupBy, isResetOrRefused, isRetryRequest, isTimeoutRequest, median, round } from "./util";

/**
 * retry-latency-amplification: each failed attempt at a hop costs a fixed step (per-try timeout or
 * the time to a reset), retries stack the steps, and the end-to-end time crosses the caller's timeout.
 *
 *   client ──────────────────────────────────────────────────┤ 1 s timeout → 504 UT
 *   hop A   ├─try1 200ms─┤├─try2 200ms─┤├─try3 200ms─┤├─try4 200ms─┤├─…
 *              RST/UF        RST/UF        RST/UF        RST/UF
 *
 * Step: median duration of failed sibling client spans to the same peer (traces), else
 * duration / attempts for access-log lines with attempts > 1 or URX, else failed-attempt durations.
 * Timeout: median duration of 504/UT requests (and 504 server spans), rounded to 50 ms.
 * Fires only when both retries and timeouts are present and the timeout is ≥ 2 steps.
 */
interface RetryGroup {
  traceId: string;
  peer: string;
  spans: Located<SpanRecord>[];
}

export const retryLatencyAmplification: Detector = {
  id: "retry-latency-amplification",
  title: "Retries add latency in steps until a client timeout is crossed",
  requires: ["envoy-access", "nginx-access", "ztunnel-access", "xray", "otlp-json", "jaeger-json"],
  specificity: "specific",
  coverage(ctx) {
    if (!ctx.requests.length && !ctx.spans.length) return { checked: false, detail: "no access logs or traces to see retries and timeouts in" };
    return { checked: true, detail: `${ctx.requests.length} requests and ${ctx.spans.length} spans examined: no retries stacking up to a client timeout` };
  },
  detect(ctx: DetectorContext) {
    const reqs = ctx.requests;
    const retries = reqs.filter((r) => isRetryRequest(r.rec) || (isResetOrRefused(r.rec) && (r.rec.status === 503 || r.rec.status === 0)));
    const timeouts = reqs.filter((r) => isTimeoutRequest(r.rec) && r.rec.durationMs !== null);

    // Traces: sibling client spans (same parent, same peer) where earlier attempts failed.
    const clientSpans = ctx.spans.filter((s) => s.rec.spanKind === "client" && s.rec.parentSpanId);
    const groups: RetryGroup[] = [];
    for (const [, list] of groupBy(clientSpans, (s) => `${s.rec.traceId}|${s.rec.parentSpanId}|${s.rec.peer ?? s.rec.name}`)) {
      if (list.length < 2) continue;
      const failed = list.filter((s) => s.rec.status === "error" || s.rec.fault || (s.rec.httpStatus ?? 0) >= 500);
      if (!failed.length) continue;
      groups.push({ traceId: list[0]!.rec.traceId, peer: list[0]!.rec.peer ?? list[0]!.rec.name, spans: list });
    }
    const spanTimeouts = ctx.spans.filter((s) => (s.rec.httpStatus === 504 || /timeout|deadline/i.test(s.rec.statusMessage ?? "")) && s.rec.durationMs !== null && s.rec.spanKind !== "client");

    if ((retries.length < 5 && groups.length < 2) || timeouts.length + spanTimeouts.length < 3) return [];

    const stepCandidates: number[] = [];
    for (const g of groups)
      for (const s of g.spans) if ((s.rec.status === "error" || s.rec.fault) && s.rec.durationMs !== null) stepCandidates.push(s.rec.durationMs);
    let stepBasis = "failed sibling client spans in traces";
    if (stepCandidates.length < 3) {
      stepBasis = "access-log duration ÷ attempts";
      for (const r of retries) if (r.rec.durationMs !== null && (r.rec.attempts ?? 0) > 1) stepCandidates.push(r.rec.durationMs / r.rec.attempts!);
    }
    if (stepCandidates.length < 3) {
      stepBasis = "durations of failed attempts in access logs";
      for (const r of retries) if (r.rec.durationMs !== null) stepCandidates.push(r.rec.durationMs);
    }
    const stepRaw = median(stepCandidates);
    const timeoutRaw = median([...timeouts.map((r) => r.rec.durationMs as number), ...spanTimeouts.map((s) => s.rec.durationMs as number)]);
    if (stepRaw === null || timeoutRaw === null || stepRaw <= 0) return [];
    const step = round(stepRaw, 10);
    const timeout = round(timeoutRaw, 50);
    if (timeout < 2 * step) return [];

    const spread = median(stepCandidates.map((x) => Math.abs(x - stepRaw))) ?? 0;
    const c = new Confidence(0.55, `failed attempts are retried and calls end at the ~${fmtMs(timeout)} client timeout`);
    c.when(spread / stepRaw < 0.25, 0.1, `each retry costs a consistent ~${fmtMs(step)} (a per-try timeout or reset time, not random slowness)`);
    c.when(groups.length >= 2, 0.08, `${groups.length} traces show repeated sibling calls to the same peer`, "independence");
    c.when(retries.length >= 5, 0.05, `${retries.length} retried or reset requests in the access logs`);
    c.when(timeouts.length >= 10 || spanTimeouts.length >= 3, 0.04, `${timeouts.length + spanTimeouts.length} calls timed out`);
    c.cap(0.85, "retries amplify a failure; they are rarely the first cause");

    const hops = [...new Set([...groups.map((g) => g.spans[0]!.rec.service), ...retries.map((r) => r.rec.client?.workload ?? ctx.files.get(r.fileId)?.node ?? r.rec.source)])].filter(Boolean).slice(0, 8);
    const stepsToTimeout = Math.ceil(timeout / step);
    const evidence: EvidenceRef[] = [];
    for (const r of [...timeouts].sort((a, b) => (b.rec.durationMs ?? 0) - (a.rec.durationMs ?? 0)).slice(0, 3))
      evidence.push(ctx.cite(r, describeRequest(r.rec), `Request ended at ${fmtMs(r.rec.durationMs ?? 0)}, the ~${fmtMs(timeout)} client timeout.`, { traceId: r.rec.traceId }));
    for (const r of retries.slice(0, 3)) evidence.push(ctx.cite(r, describeRequest(r.rec), "A hop failed (reset/refused) and was retried, adding a latency step."));
    const worst = [...groups].sort((a, b) => b.spans.length - a.spans.length || (a.traceId < b.traceId ? -1 : 1))[0];
    if (worst)
      for (const s of worst.spans.slice(0, 5))
        evidence.push(ctx.cite(s, describeSpan(s.rec), `Attempt to ${worst.peer} in trace ${worst.traceId}: ${worst.spans.length} sibling attempts.`, { spanId: s.rec.spanId, traceId: s.rec.traceId }));

    return [
      {
        detector: "retry-latency-amplification",
        title: `Retries add ~${fmtMs(step)} per attempt and push calls past the ${fmtMs(timeout)} timeout`,
        ...c.result(),
        summary: `Failed attempts (resets/refusals) are retried and each costs about ${fmtMs(step)}, so after ~${stepsToTimeout} attempts a call crosses the ${fmtMs(timeout)} client timeout and surfaces as 504/UT. ${retries.length} retried or reset requests and ${timeouts.length + spanTimeouts.length} timeouts were found${groups.length ? `, and ${groups.length} traces show repeated sibling calls to the same peer` : ""}.`,
        evidence,
        counterEvidence: [],
        checks: ["Find why the first attempt fails (resets/refusals at the network layer) — retries only amplify it.", "Check per-try timeouts and retry budgets in the route/VirtualService config against the client timeout."],
        remediation: {
          immediate: ["Reduce retry attempts or per-try timeout on the affected routes so calls fail fast instead of timing out.", "Fix or roll back whatever makes the first attempt fail."],
          longTerm: ["Budget retries across hops (retry only at one layer) and keep Σ per-try timeouts below the caller's timeout.", "Alert on upstream retry rate (envoy upstream_rq_retry) as well as 5xx."],
        },
        facts: { stepMs: step, timeoutMs: timeout, stepBasis, attemptsToTimeout: stepsToTimeout, retriedRequests: retries.length, timeouts: timeouts.length + spanTimeouts.length, retriedTraces: groups.length, hops },
      },
    ];
  },
};
