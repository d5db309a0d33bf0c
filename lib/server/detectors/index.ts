import type { Detector } from "./types";
import { iptablesRuleOrder } from "./iptables-rule-order";
import { retryLatencyAmplification } from "./retry-latency-amplification";
import { endpointRemovalRace } from "./endpoint-removal-race";
import { ipvsStaleBackends } from "./ipvs-stale-backends";
import { conntrackSnatRace } from "./conntrack-snat-race";
import { latencyRegression } from "./latency-regression";
import { errorBurstAfterChange } from "./error-burst-after-change";
import { serviceFault } from "./service-fault";
import { oomCrashloopNoHealthyUpstream } from "./oom-crashloop-no-healthy-upstream";
import { networkPolicyDeny } from "./network-policy-deny";
import { upstreamIdleTimeoutRace } from "./upstream-idle-timeout-race";
import { circuitBreakerOverflow } from "./circuit-breaker-overflow";

export type { Detector, DetectorContext } from "./types";

/** Every detector, in a fixed order (output order is decided by rank.ts, not by this list). */
export const DETECTORS: readonly Detector[] = [
  iptablesRuleOrder,
  retryLatencyAmplification,
  endpointRemovalRace,
  ipvsStaleBackends,
  conntrackSnatRace,
  latencyRegression,
  errorBurstAfterChange,
  serviceFault,
  oomCrashloopNoHealthyUpstream,
  networkPolicyDeny,
  upstreamIdleTimeoutRace,
  circuitBreakerOverflow,
];
export const DETECTOR_IDS = DETECTORS.map((d) => d.id);
