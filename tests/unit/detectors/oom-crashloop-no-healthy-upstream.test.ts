import { oomCrashloopNoHealthyUpstream } from "@/lib/server/detectors/oom-crashloop-no-healthy-upstream";
import { runDetectorCases } from "@/tests/helpers/detector-cases";
import { cases } from "./cases/oom-crashloop-no-healthy-upstream";

runDetectorCases(oomCrashloopNoHealthyUpstream, cases);
