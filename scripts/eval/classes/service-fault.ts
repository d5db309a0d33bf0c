import type { ClassSpec, World } from "../generator";
import { family, writeFamily, type Family, type IncidentKind, type NearMissKind } from "../microservices";

/**
 * Localisation (detector service-fault): in a microservice system with traces, per-pod metrics and
 * application logs, one service develops a fault — CPU saturation, slower own processing, network
 * delay into it, an exception in its handler, a wrong branch that skips its own calls — and the
 * first hypothesis must be service-fault naming that service (microservices.ts has the mechanisms).
 *
 * Near-misses change the same surface without a fault in any service: a uniform load surge (every
 * service busier and a little slower), a benign rollout, a workload-mix change, an endpoint that is
 * always slow, one service logging every line twice, one service's traffic halving because clients
 * sent fewer requests of that kind. None may name a service at ≥ 0.5.
 */

const INCIDENTS = ["cpu", "latency", "network", "exception", "wrong-return"] as const satisfies readonly IncidentKind[];
const NEAR_MISSES = ["load-surge", "benign-deploy", "mix-change", "slow-endpoint", "log-doubling", "traffic-halving"] as const satisfies readonly NearMissKind[];

/** The kind facts.kind names for each injected fault. */
export const EXPECTED_KIND: Record<IncidentKind, string> = { cpu: "cpu", latency: "latency", network: "network", exception: "errors", "wrong-return": "errors" };

function alertText(w: World, f: Family, kind: IncidentKind | NearMissKind): string {
  const root = f.topo.root.name;
  const pick = <T>(xs: readonly T[]) => w.rng.pick(xs);
  const via = pick(["PagerDuty", "Alertmanager", "Grafana alert", "Datadog monitor"]);
  const ep = pick(f.topo.root.ops).route;
  switch (kind) {
    case "cpu":
    case "latency":
    case "network":
      return pick([`${via}: ${root} p99 latency above ${pick([500, 800, 1000])} ms, alert fired`, `alert fired: latency SLO burn rate on ${root}`, `synthetic check ${ep} slow, paged on-call`]);
    case "exception":
      return pick([`${via}: 5xx rate on ${root} above 2%, alert fired`, `alert fired: error budget burn on ${root}`, `customer reports: requests to ${ep} failing`]);
    case "wrong-return":
      return pick([`alert fired: completed ${ep.split("/")[3]} per minute 40% below forecast`, `customer reports: empty results from ${ep}`, `${via}: business KPI anomaly detected on ${ep}`]);
    case "load-surge":
      return pick([`alert fired: request rate on ${root} above forecast`, `${via}: traffic anomaly detected on ${root}`]);
    case "benign-deploy":
      return `alert fired: ${root} p99 latency above 400 ms`;
    case "mix-change":
      return `${via}: endpoint mix anomaly detected on ${root}`;
    case "slow-endpoint":
      return `alert fired: ${root} p99 latency above 1 s`;
    case "log-doubling":
      return `alert fired: log ingestion for ${f.sc.target?.name ?? root} doubled (quota warning)`;
    case "traffic-halving":
      return `alert fired: request rate of ${f.sc.target?.name ?? root} dropped 50%`;
  }
}

export const serviceFault: ClassSpec = {
  id: "service-fault",
  localises: true,
  build(w, kind) {
    const lag = w.rng.int(0, 180) * 1000;
    if (kind === "incident") {
      const k = w.pickAxis("incident", INCIDENTS);
      const f = family(w, w.rng, { mode: "incident", incident: k });
      const target = f.sc.target!;
      w.expectService = target.name;
      w.expectKind = EXPECTED_KIND[k];
      w.axis("alertLag", `${lag / 1000}s`);
      w.timelineEntries.push({ ts: w.onset + lag, text: alertText(w, f, k) });
      w.timelineEntries.push({ ts: w.onset + lag + w.rng.int(2, 6) * 60_000, text: "on-call investigating, incident channel opened" });
      for (const r of f.rolled) w.timelineEntries.push({ ts: r.at - 5000, text: `deployed ${r.svc.name} ${r.version}` });
      if ((k === "exception" || k === "wrong-return") && w.rng.chance(0.3)) w.timelineEntries.push({ ts: f.sc.to, text: `mitigated: rolled back ${target.name}` });
      writeFamily(w, f, { evidenceSvc: target, kind: k });
      gatewayLog(w, f);
    } else {
      const k = w.pickAxis("nearMiss", NEAR_MISSES);
      const f = family(w, w.rng, { mode: "near-miss", nearMiss: k });
      for (const r of f.rolled) w.timelineEntries.push({ ts: r.at - 5000, text: `deployed ${r.svc.name} ${r.version} (routine release)` });
      if (k !== "benign-deploy" || w.rng.chance(0.5)) {
        w.axis("alertLag", `${lag / 1000}s`);
        w.timelineEntries.push({ ts: w.onset + lag, text: alertText(w, f, k) });
      }
      writeFamily(w, f, { evidenceSvc: null, kind: null });
      gatewayLog(w, f);
    }
    w.redHerrings();
    w.finishContext(kind === "incident" ? `Postmortem: ${w.rng.pick(["degraded", "partial outage of", "errors on"])} ${w.rng.pick(["checkout journey", "public API", "mobile app backend", "booking flow"])}` : "Incident review (no customer impact found)");
  },
};

/** The gateway's own access log (ingress Envoy or nginx), when the bundle is small enough to carry every request. */
function gatewayLog(w: World, f: Family): void {
  if (f.sim.gateway.length > 700 || !w.rng.chance(0.4)) return;
  w.axis("source:gateway-access", "present");
  w.accessLog("gateway-access.log", f.sim.gateway, { formats: ["envoy-text", "envoy-json", "nginx-timings", "nginx-json"] });
}
