import { upstreamIdleTimeoutRace } from "@/lib/server/detectors/upstream-idle-timeout-race";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/upstream-idle-timeout-race";

runDetectorCases(upstreamIdleTimeoutRace, cases);
