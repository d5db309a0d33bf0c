import { iptablesRuleOrder } from "@/lib/server/detectors/iptables-rule-order";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/iptables-rule-order";

runDetectorCases(iptablesRuleOrder, cases);
