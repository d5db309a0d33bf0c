import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { RequestRecord } from "@/lib/schemas/records";
import type { Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { Confidence } from "./confidence";
import { describeRequest, fmtMs, quantile } from "./util";

/**
 * latency-regression: tail latency (p99/p999) shifted between windows or between cohorts, and
 * nothing more specific is known. Generic by design: rank.ts keeps it below specific explanations.
 *
 *   p99   before ▁▁▁▁ │during ▇▇▇▇▇▇ │after ▁▁▁       → window shift 120 ms → 920 ms
 *   cohort node=canary-1 ▇▇▇  vs rest ▁▁            → concentrated on canary-1
 *
 * Window shift: p99(during) vs p99(before) from the uniform request sample. Cohort shift: each
 * node / namespace / version-label cohort vs all other requests. A shift counts when
 * p99 ≥ 2 × reference, ≥ +50 ms, and both sides have ≥ MIN_N requests.
 */
const MIN_N = 30;
/** HTTP durations only (TCP records carry connection lifetimes). */
const durations = (rs: Located<RequestRecord>[]) => rs.filter((r) => r.rec.status !== null).map((r) => r.rec.durationMs).filter((d): d is NonNullable<typeof d> => d !== null).map(Number);

export const latencyRegression: Detector = {
  id: "latency-regression",
  title: "Tail latency regression between windows or cohorts",
  requires: ["envoy-access", "nginx-access", "ztunnel-access"],
  specificity: "generic",
  coverage(ctx) {
    const n = ctx.requestSample.filter((r) => r.rec.durationMs !== null && r.rec.status !== null).length;
    if (n < 2 * MIN_N) return { checked: false, detail: `only ${n} HTTP request durations in the bundle (at least ${2 * MIN_N} needed)` };
    return { checked: true, detail: `${n} request durations compared between windows and per node, namespace and version: no p99 shift of 2× or more` };
  },
  detect(ctx: DetectorContext) {
    const sample = ctx.requestSample.filter((r) => r.rec.durationMs !== null && r.rec.ts !== null);
    const shifts: { dim: string; key: string; p99: number; ref: number; p999: number; n: number; members: Located<RequestRecord>[] }[] = [];
    const { onsetMs, recoveryMs } = ctx.window;
    if (onsetMs !== null) {
      const before = sample.filter((r) => (r.rec.ts as number) < onsetMs);
      const during = sample.filter((r) => (r.rec.ts as number) >= onsetMs && (recoveryMs === null || (r.rec.ts as number) < recoveryMs));
      const b = quantile(durations(before), 0.99);
      const d = quantile(durations(during), 0.99);
      if (before.length >= MIN_N && during.length >= MIN_N && b !== null && d !== null && d >= 2 * b && d - b >= 50)
        shifts.push({ dim: "window", key: "during vs before", p99: d, ref: b, p999: quantile(durations(during), 0.999) ?? d, n: during.length, members: during });
    }
    const dims: [string, (r: Located<RequestRecord>) => string | undefined][] = [
      ["node", (r) => r.rec.dest?.node ?? (r.rec.dest?.ip ? ctx.identity.resolve(r.rec.dest.ip, r.rec.ts)?.node : undefined) ?? ctx.files.get(r.fileId)?.node],
      ["namespace", (r) => r.rec.dest?.namespace ?? (r.rec.dest?.ip ? ctx.identity.resolve(r.rec.dest.ip, r.rec.ts)?.namespace : undefined)],
      ["version", (r) => { const l = r.rec.dest?.ip ? ctx.identity.resolve(r.rec.dest.ip, r.rec.ts)?.labels : undefined; return l?.version ?? l?.["app.kubernetes.io/version"]; }],
    ];
    for (const [dim, keyOf] of dims) {
      const groups = new Map<string, Located<RequestRecord>[]>();
      for (const r of sample) {
        const k = keyOf(r);
        if (k) (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
      }
      if (groups.size < 2) continue;
      for (const [key, members] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const rest = [...groups.entries()].filter(([k]) => k !== key).flatMap(([, v]) => v);
        const p = quantile(durations(members), 0.99);
        const ref = quantile(durations(rest), 0.99);
        if (members.length >= MIN_N && rest.length >= MIN_N && p !== null && ref !== null && p >= 2 * ref && p - ref >= 50)
          shifts.push({ dim, key, p99: p, ref, p999: quantile(durations(members), 0.999) ?? p, n: members.length, members });
      }
    }
    if (!shifts.length) return [];
    shifts.sort((a, b) => b.p99 / b.ref - a.p99 / a.ref || (a.dim < b.dim ? -1 : 1));
    const top = shifts[0]!;
    const ratio = top.p99 / top.ref;
    const c = new Confidence(0.5, `tail latency rose ${ratio.toFixed(1)}× ${top.dim === "window" ? "during the incident window" : `on ${top.dim} ${top.key}`}`, );
    c.add(Math.min(0.12, (ratio - 2) * 0.03), "the larger the shift, the less likely it is noise");
    c.when(shifts.length > 1, 0.04, `the shift shows in ${shifts.length} comparisons`, "independence");
    c.cap(0.68, "a latency shift is a symptom; by itself it names no mechanism");
    const evidence: EvidenceRef[] = [...top.members]
      .sort((a, b) => Number(b.rec.durationMs) - Number(a.rec.durationMs) || ((a.rec.ts as number) - (b.rec.ts as number)))
      .slice(0, 5)
      .map((r) => ctx.cite(r, describeRequest(r.rec), `Tail request in ${top.dim}=${top.key}: p99 ${fmtMs(top.p99)} vs ${fmtMs(top.ref)}.`, { traceId: r.rec.traceId }));
    const where = shifts.filter((s) => s.dim !== "window").map((s) => `${s.dim}=${s.key}`);
    return [
      {
        detector: "latency-regression",
        title: `p99 latency ${fmtMs(top.ref)} → ${fmtMs(top.p99)} (${ratio.toFixed(1)}×) ${top.dim === "window" ? "during the incident" : `on ${top.dim} ${top.key}`}`,
        ...c.result(),
        summary: `Tail latency shifted: p99 ${fmtMs(top.ref)} → ${fmtMs(top.p99)} and p999 ${fmtMs(top.p999)} ${top.dim === "window" ? "between the pre-incident window and the incident window" : `for ${top.dim} ${top.key} compared with the rest`}. ${where.length ? `The shift is concentrated in ${where.slice(0, 4).join(", ")}.` : "It is not concentrated in one node, namespace or version."} No more specific cause is established by this detector.`,
        evidence,
        counterEvidence: [],
        checks: ["Compare the slow cohort with the rest: versions, node pools, recent changes.", "Break the slow requests down per hop with traces to find where the time goes."],
        remediation: { immediate: where.length ? [`Shift traffic away from ${where[0]} while investigating.`] : [], longTerm: ["Alert on p99/p999 at 2× baseline per cohort, not only on averages."] },
        facts: { dimension: top.dim, cohort: top.key, p99Ms: Math.round(top.p99), referenceP99Ms: Math.round(top.ref), p999Ms: Math.round(top.p999), ratio: Number(ratio.toFixed(2)), concentratedIn: where },
      },
    ];
  },
};
