import { conntrackSnatRace } from "@/lib/server/detectors/conntrack-snat-race";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/conntrack-snat-race";

runDetectorCases(conntrackSnatRace, cases);
