import { networkPolicyDeny } from "@/lib/server/detectors/network-policy-deny";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/network-policy-deny";

runDetectorCases(networkPolicyDeny, cases);
