import { latencyRegression } from "@/lib/server/detectors/latency-regression";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/latency-regression";

runDetectorCases(latencyRegression, cases);
