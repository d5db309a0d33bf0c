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

/**
 * Classes still below the goal of `npm run eval` (≥ 95 % top-1 over ≥ 200 variants, 0 false
 * alarms) or not yet measured at that size: `npm run eval` runs and reports them like the others,
 * but the quick subset of the unit tests does not hold them to the goal yet. docs/DIAGNOSIS.md has
 * their latest numbers. Remove a class from here once it is measured at goal.
 */
export const CANDIDATE_CLASSES: ReadonlySet<string> = new Set(["service-fault", "oom-crashloop-no-healthy-upstream", "network-policy-deny", "upstream-idle-timeout-race", "circuit-breaker-overflow"]);
