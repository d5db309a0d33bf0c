import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketOutcome, isFailedBucket, isFailedRequest } from "@/lib/server/correlate/requests";

/** The one definition of a failed request, and the aggregates that must agree with it. */
describe("failed requests", () => {
  it.each([
    [{ status: 503, flags: ["UF"] }, true],
    [{ status: 500 }, true],
    [{ status: 504, flags: ["UT"] }, true],
    [{ status: null, error: "connection failed: Connection refused (os error 111)" }, true],
    [{ status: 0, flags: ["UC"] }, true],
    [{ status: 0, flags: ["UH"] }, true],
    [{ status: 0, flags: ["DC"] }, false],
    // Envoy logs the client's hang-up with its details as the error text: still the client's side.
    [{ status: 0, flags: ["DC"], error: "downstream_remote_disconnect" }, false],
    [{ status: null, flags: ["DPE"], error: "http1.codec_error" }, false],
    [{ status: 0, flags: ["DC", "UC"], error: "upstream_reset_before_response_started" }, true],
    [{ status: 0, flags: ["-"], error: "connection refused" }, true],
    [{ status: 0 }, false],
    [{ status: null }, false],
    [{ status: 404, flags: ["NR"] }, false],
    [{ status: 499 }, false],
    [{ status: 200, error: "via_upstream" }, false],
    [{ status: 200, flags: ["URX"] }, false],
  ] as const)("%j failed: %s", (r, want) => {
    expect(isFailedRequest({ status: r.status, flags: "flags" in r ? [...r.flags] : undefined, error: "error" in r ? r.error : undefined })).toBe(want);
  });

  it("the per-second aggregates' (status, flag) pair fails exactly when the request does", () => {
    const flag = fc.constantFrom("-", "DC", "DPE", "UF", "UH", "UT", "URX", "UC", "NR", "RL", "UAEX");
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(null), fc.constant(0), fc.integer({ min: 100, max: 599 })),
        fc.option(fc.array(flag, { maxLength: 3 }), { nil: undefined }),
        fc.option(fc.constantFrom("", "-", "connection refused", "via_upstream", "downstream_remote_disconnect"), { nil: undefined }),
        (status, flags, error) => {
          const r = { status, flags, error };
          const b = bucketOutcome(r);
          expect(isFailedBucket(b.status, b.flag)).toBe(isFailedRequest(r));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
