import type { ClassSpec } from "../generator";
import { conntrackSnatRace } from "./conntrack-snat-race";
import { endpointRemovalRace } from "./endpoint-removal-race";
import { iptablesRuleOrder } from "./iptables-rule-order";
import { ipvsStaleBackends } from "./ipvs-stale-backends";
import { serviceFault } from "./service-fault";

/**
 * The incident classes of the four seed incidents, and localisation in a microservice system; each
 * class id is the detector that must come first.
 */
export const CLASSES: readonly ClassSpec[] = [iptablesRuleOrder, endpointRemovalRace, conntrackSnatRace, ipvsStaleBackends, serviceFault];
