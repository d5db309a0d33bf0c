import type { DetectorCases } from "@/tests/helpers/detector-cases";
import { cases as conntrackSnatRace } from "./conntrack-snat-race";
import { cases as endpointRemovalRace } from "./endpoint-removal-race";
import { cases as errorBurstAfterChange } from "./error-burst-after-change";
import { cases as iptablesRuleOrder } from "./iptables-rule-order";
import { cases as ipvsStaleBackends } from "./ipvs-stale-backends";
import { cases as latencyRegression } from "./latency-regression";
import { cases as retryLatencyAmplification } from "./retry-latency-amplification";
import { cases as serviceFault } from "./service-fault";
import { cases as oomCrashloopNoHealthyUpstream } from "./oom-crashloop-no-healthy-upstream";
import { cases as networkPolicyDeny } from "./network-policy-deny";
import { cases as upstreamIdleTimeoutRace } from "./upstream-idle-timeout-race";
import { cases as circuitBreakerOverflow } from "./circuit-breaker-overflow";

/**
 * Every detector's cases by detector id: `<id>.test.ts` beside this folder runs them
 * (runDetectorCases), meta.test.ts counts them.
 */
export const DETECTOR_CASES: Readonly<Record<string, DetectorCases>> = {
  "conntrack-snat-race": conntrackSnatRace,
  "endpoint-removal-race": endpointRemovalRace,
  "error-burst-after-change": errorBurstAfterChange,
  "iptables-rule-order": iptablesRuleOrder,
  "ipvs-stale-backends": ipvsStaleBackends,
  "latency-regression": latencyRegression,
  "retry-latency-amplification": retryLatencyAmplification,
  "service-fault": serviceFault,
  "oom-crashloop-no-healthy-upstream": oomCrashloopNoHealthyUpstream,
  "network-policy-deny": networkPolicyDeny,
  "upstream-idle-timeout-race": upstreamIdleTimeoutRace,
  "circuit-breaker-overflow": circuitBreakerOverflow,
};
