import { retryLatencyAmplification } from "@/lib/server/detectors/retry-latency-amplification";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/retry-latency-amplification";

runDetectorCases(retryLatencyAmplification, cases);
