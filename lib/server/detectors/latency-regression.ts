import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { RequestRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
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
/**
 * A route: method + path without query, ids folded (`/api/profile/96774` → `/api/profile/:id`), and the
 * destination, so a mix change is not mistaken for a regression.
 */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f-]{27,})$/i;
function routeOf(r: RequestRecord): string {
  const path = (r.path ?? "").split("?")[0]!.split("/").map((seg) => (ID_SEGMENT.test(seg) ? ":id" : seg)).join("/");
  return `${r.method ?? ""} ${r.authority ?? r.dest?.service ?? ""}${path}`;
}

/**
 * Share of the slow requests of a shifted group that were as slow as usual *for their route* in the
 * reference group. A regression makes the same kind of request slower; a group that merely holds
 * more of a normally slow call (a report export during a load test) has shifted its mix, not its
 * latency.
 *
 *   reference  GET /cart 10 ms … GET /export 3.6 s
 *   group      GET /cart 11 ms … GET /export 3.7 s ×4   → slow requests usual for their route: 100 %
 */
function usualForRoute(group: Located<RequestRecord>[], reference: Located<RequestRecord>[], refP99: number): { slow: number; usual: number } {
  const byRoute = new Map<string, number[]>();
  for (const r of reference) {
    if (r.rec.durationMs === null || r.rec.status === null) continue;
    const route = routeOf(r.rec);
    (byRoute.get(route) ?? byRoute.set(route, []).get(route)!).push(Number(r.rec.durationMs));
  }
  let slow = 0;
  let usual = 0;
  for (const r of group) {
    const d = r.rec.durationMs === null || r.rec.status === null ? null : Number(r.rec.durationMs);
    if (d === null || d < Math.max(2 * refP99, refP99 + 50)) continue;
    slow++;
    const ref = byRoute.get(routeOf(r.rec));
    const p90 = ref && ref.length >= 3 ? quantile(ref, 0.9) : null;
    if (p90 !== null && p90 >= 0.5 * d) usual++;
  }
  return { slow, usual };
}
/** Above this share of "usual for the route", a shift is a change of mix and not reported. */
const MIX_SHARE = 0.6;
function isMixChange(group: Located<RequestRecord>[], reference: Located<RequestRecord>[], refP99: number): boolean {
  const { slow, usual } = usualForRoute(group, reference, refP99);
  return slow > 0 && usual / slow >= MIX_SHARE;
}
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
      const before = sample.filter((r) => (r.rec.ts as EpochMs) < onsetMs);
      const during = sample.filter((r) => (r.rec.ts as EpochMs) >= onsetMs && (recoveryMs === null || (r.rec.ts as EpochMs) < recoveryMs));
      const b = quantile(durations(before), 0.99);
      const d = quantile(durations(during), 0.99);
      // The reference for routes is everything outside the window: a route first seen after
      // recovery is still its own baseline.
      const outside = sample.filter((r) => (r.rec.ts as EpochMs) < onsetMs || (recoveryMs !== null && (r.rec.ts as EpochMs) >= recoveryMs));
      if (before.length >= MIN_N && during.length >= MIN_N && b !== null && d !== null && d >= 2 * b && d - b >= 50 && !isMixChange(during, outside, b))
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
        if (members.length >= MIN_N && rest.length >= MIN_N && p !== null && ref !== null && p >= 2 * ref && p - ref >= 50 && !isMixChange(members, rest, ref))
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
      .sort((a, b) => Number(b.rec.durationMs) - Number(a.rec.durationMs) || ((a.rec.ts as EpochMs) - (b.rec.ts as EpochMs)))
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
