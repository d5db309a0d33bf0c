import type { ClassSpec } from "../generator";
import { circuitBreakerOverflow } from "./circuit-breaker-overflow";
import { conntrackSnatRace } from "./conntrack-snat-race";
import { endpointRemovalRace } from "./endpoint-removal-race";
import { iptablesRuleOrder } from "./iptables-rule-order";
import { ipvsStaleBackends } from "./ipvs-stale-backends";
import { networkPolicyDeny } from "./network-policy-deny";
import { oomCrashloopNoHealthyUpstream } from "./oom-crashloop-no-healthy-upstream";
import { serviceFault } from "./service-fault";
import { upstreamIdleTimeoutRace } from "./upstream-idle-timeout-race";

/**
 * The incident classes: the four seed incidents, localisation in a microservice system, and the
 * mesh and network classes of issue 18; each class id is the detector that must come first.
 */
export const CLASSES: readonly ClassSpec[] = [
  iptablesRuleOrder,
  endpointRemovalRace,
  conntrackSnatRace,
  ipvsStaleBackends,
  serviceFault,
  oomCrashloopNoHealthyUpstream,
  networkPolicyDeny,
  upstreamIdleTimeoutRace,
  circuitBreakerOverflow,
];
