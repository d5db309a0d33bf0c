import type { ClassSpec } from "../generator";
import { conntrackSnatRace } from "./conntrack-snat-race";
import { endpointRemovalRace } from "./endpoint-removal-race";
import { iptablesRuleOrder } from "./iptables-rule-order";
import { ipvsStaleBackends } from "./ipvs-stale-backends";
import { upstreamIdleTimeoutRace } from "./upstream-idle-timeout-race";
import { circuitBreakerOverflow } from "./circuit-breaker-overflow";

/** The incident classes of the four seed incidents; each class id is the detector that must come first. */
export const CLASSES: readonly ClassSpec[] = [iptablesRuleOrder, endpointRemovalRace, conntrackSnatRace, ipvsStaleBackends, upstreamIdleTimeoutRace, circuitBreakerOverflow];
