import { endpointRemovalRace } from "@/lib/server/detectors/endpoint-removal-race";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/endpoint-removal-race";

runDetectorCases(endpointRemovalRace, cases);
