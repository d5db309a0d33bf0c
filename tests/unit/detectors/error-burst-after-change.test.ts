import { errorBurstAfterChange } from "@/lib/server/detectors/error-burst-after-change";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/error-burst-after-change";

runDetectorCases(errorBurstAfterChange, cases);
