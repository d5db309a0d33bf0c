import { ipvsStaleBackends } from "@/lib/server/detectors/ipvs-stale-backends";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/ipvs-stale-backends";

runDetectorCases(ipvsStaleBackends, cases);
