import { circuitBreakerOverflow } from "@/lib/server/detectors/circuit-breaker-overflow";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/circuit-breaker-overflow";

runDetectorCases(circuitBreakerOverflow, cases);
