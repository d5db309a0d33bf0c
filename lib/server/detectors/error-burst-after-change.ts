import type { EventRecord } from "@/lib/schemas/records";
import { durationMs, elapsed, epochMs, type EpochMs } from "@/lib/schemas/time";
import type { Located } from "@/lib/server/correlate";
import { MIN_ERRORS } from "@/lib/server/correlate/window";
import { isFailedRequest } from "@/lib/server/correlate/requests";
import type { Detector, DetectorContext } from "./types";
import { Confidence } from "./confidence";
import { fmtMs, iso, round3 } from "./util";

/**
 * error-burst-after-change: the error rate changes shortly after a change event.
 *
 *   change (deploy / rollout / upgrade / config)  ▼
 *   error rate   ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▂▇█▇▅▂▁
 *                                       ▲ first abnormal 10 s bucket, lag ≤ 15 min
 *
 * Change events: k8s ScalingReplicaSet/rollout/upgrade reasons, and human-timeline or event text
 * that says deploy/rollout/upgrade/canary/config/release (mitigations excluded: they come after).
 * The error change point is the first bucket whose error rate exceeds max(2 %, 3 × baseline).
 * Closer changes score higher; the start of the latest cluster of changes before the onset is blamed.
 */
const MAX_LAG_MS = durationMs(15 * 60_000);
const CLUSTER_GAP_MS = durationMs(5 * 60_000);
const CHANGE_REASONS = /^(ScalingReplicaSet|DeploymentRollout|RollingUpdate|Upgrade|NodeUpgrade|ConfigChanged|change|deploy|Deployed|Rebooted)$/i; // timeline parser classifies change entries as `deploy`;
const CHANGE_TEXT = /\b(deploy(ed|ment)?|roll(ing)?[- ]?out|rollout restart|upgrad(e|ed|ing)|canary|config(uration)? change|release[d]?|helm (upgrade|install)|scaled up replica set)\b/i;

function isChange(e: EventRecord): boolean {
  // An application's own log line ("connection released", "upgrade header") names no change to the
  // system; changes come from the cluster (events, objects), the operators' timeline and system logs.
  if (e.source === "app") return false;
  const reason = (e.reason ?? "").toLowerCase();
  if (["alert", "mitigation", "resolution"].includes(reason)) return false;
  if (/roll(ed)?[- ]?back/i.test(e.text)) return false;
  return CHANGE_REASONS.test(e.reason ?? "") || CHANGE_TEXT.test(e.text);
}

export const errorBurstAfterChange: Detector = {
  id: "error-burst-after-change",
  title: "Error-rate change point shortly after a change event",
  requires: ["k8s-events", "timeline", "klog", "envoy-access", "nginx-access", "ztunnel-access"],
  specificity: "generic",
  coverage(ctx) {
    const changes = ctx.events.filter((e) => e.rec.ts !== null && isChange(e.rec)).length;
    if (!changes) return { checked: false, detail: "no change events (deploys, rollouts, upgrades, config changes) in the bundle" };
    if (ctx.buckets.filter((b) => b.count >= 5).length < 3) return { checked: false, detail: `${changes} change events, but too little request traffic to measure an error rate` };
    return { checked: true, detail: `${changes} change events and the error rate around them: no rise after a change` };
  },
  detect(ctx: DetectorContext) {
    const usable = ctx.buckets.filter((b) => b.count >= 5);
    if (usable.length < 3) return [];
    const rates = usable.map((b) => b.errors / b.count);
    const base = [...rates].sort((a, b) => a - b)[Math.floor(0.25 * (rates.length - 1))]!;
    const limit = Math.max(0.02, 3 * base);
    const idx = rates.findIndex((r, i) => r > limit && usable[i]!.errors >= MIN_ERRORS);
    if (idx < 0) return [];
    const bucket = usable[idx]!;
    const peakRate = Math.max(...rates);
    // Onset instant: the first failing request in the first abnormal bucket, or the correlated window
    // onset when that is earlier (latency can lead errors). A change must come before it.
    const firstErr = ctx.requests.find((r) => r.rec.ts !== null && (r.rec.ts as EpochMs) >= bucket.start && isFailedRequest(r.rec));
    const onset = epochMs(Math.min(firstErr ? (firstErr.rec.ts as EpochMs) : bucket.start, ctx.window.onsetMs ?? Number.POSITIVE_INFINITY));
    const changes = ctx.events
      .filter((e) => e.rec.ts !== null && isChange(e.rec) && (e.rec.ts as EpochMs) <= onset && elapsed(e.rec.ts as EpochMs, onset) <= MAX_LAG_MS)
      .sort((a, b) => (b.rec.ts as EpochMs) - (a.rec.ts as EpochMs));
    if (!changes.length) return [];
    // A rollout is a cluster of change events (deploy note, ScalingReplicaSet up/down, …): blame the
    // start of the latest cluster (events ≤ CLUSTER_GAP_MS apart), not its last step.
    let start = 0;
    while (start + 1 < changes.length && elapsed(changes[start + 1]!.rec.ts as EpochMs, changes[start]!.rec.ts as EpochMs) <= CLUSTER_GAP_MS) start++;
    const change: Located<EventRecord> = changes[start]!;
    const cluster = changes.slice(0, start + 1);
    const lag = durationMs(Math.max(0, elapsed(change.rec.ts as EpochMs, onset)));
    const c = new Confidence(0.45, "the error rate rose after a change event");
    c.add(round3(0.15 * (1 - lag / MAX_LAG_MS)), `the errors began ${fmtMs(lag)} after the change (the closer, the stronger the link)`);
    c.when(peakRate >= 0.1, 0.05, `errors peaked at ${(peakRate * 100).toFixed(1)} % of requests`, "impact");
    c.cap(0.66, "timing alone does not show that the change caused the errors");
    const evidence = cluster
      .slice(-4)
      .reverse()
      .map((c, i) => ctx.cite(c, `${iso(c.rec.ts)} [${c.rec.source}] ${c.rec.reason ?? ""} ${c.rec.text}`.slice(0, 2000), i === 0 ? "The change that precedes the error burst." : "Part of the same change (rollout step)."));
    if (firstErr) evidence.push(ctx.cite(firstErr, `${iso(firstErr.rec.ts)} ${firstErr.rec.source} status=${firstErr.rec.status ?? "-"} ${firstErr.rec.error ?? (firstErr.rec.flags ?? []).join(",")}`, `First error in the first abnormal bucket (error rate ${(rates[idx]! * 100).toFixed(1)} % vs baseline ${(base * 100).toFixed(1)} %).`));
    return [
      {
        detector: "error-burst-after-change",
        title: `Errors rose ${fmtMs(lag)} after: ${change.rec.text.slice(0, 120)}`,
        ...c.result(),
        summary: `The error rate crossed ${(limit * 100).toFixed(1)} % (baseline ${(base * 100).toFixed(1)} %, peak ${(peakRate * 100).toFixed(1)} %) at ${iso(onset)}, ${fmtMs(lag)} after a change event (${change.rec.source}: ${change.rec.text.slice(0, 160)}). Timing alone does not prove the change caused it, but it is the first thing to check or roll back.`,
        evidence,
        counterEvidence: [],
        checks: ["Diff the change (manifests, versions, node images) and check whether errors are confined to what it touched.", "Roll back in a canary and watch the error rate."],
        remediation: { immediate: ["Roll back or pause the change."], longTerm: ["Gate rollouts on error-rate SLOs with automatic rollback."] },
        facts: { changeAt: iso(change.rec.ts) ?? "", onsetAt: iso(onset) ?? "", changeEvents: cluster.length, lagMs: Math.round(lag), baselineErrorRate: base, peakErrorRate: peakRate },
      },
    ];
  },
};
