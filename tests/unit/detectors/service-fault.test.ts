import { serviceFault } from "@/lib/server/detectors/service-fault";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/service-fault";

runDetectorCases(serviceFault, cases);
