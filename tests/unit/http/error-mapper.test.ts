import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { HashingBusyError } from "@/lib/server/auth/password";
import { TooManyAttemptsError } from "@/lib/server/auth/throttle";
import { BundleError, type BundleErrorCode } from "@/lib/server/bundle/errors";
import { ConflictError, ForbiddenError, InvalidInputError, MalformedInputError, NotFoundError, NotReadyError, UnauthenticatedError } from "@/lib/server/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { log } from "@/lib/server/log";

/**
 * The one error mapper: what a client gets for each error a service throws — status, the ApiError
 * body, and the headers (no-store always, Retry-After when it should wait).
 */
async function answer(err: unknown) {
  const res = toErrorResponse(err);
  return { status: res.status, body: (await res.json()) as unknown, cache: res.headers.get("cache-control"), retryAfter: res.headers.get("retry-after") };
}

describe("toErrorResponse", () => {
  it.each([
    ["not found", new NotFoundError("incident"), 404, "not_found", "incident not found"],
    ["not found, own message", new NotFoundError("incident", "No incident with id x"), 404, "not_found", "No incident with id x"],
    ["invalid input", new InvalidInputError("too_few", "Pick two"), 422, "too_few", "Pick two"],
    ["malformed input", new MalformedInputError("invalid_json", "The body must be JSON"), 400, "invalid_json", "The body must be JSON"],
    ["conflict", new ConflictError("last_admin", "This is the last admin"), 409, "last_admin", "This is the last admin"],
    ["not ready (a conflict)", new NotReadyError("The analysis has not finished yet"), 409, "not_ready", "The analysis has not finished yet"],
    ["unauthenticated", new UnauthenticatedError("Sign in first"), 401, "unauthenticated", "Sign in first"],
    ["forbidden", new ForbiddenError("cross_origin", "Cross-site request refused."), 403, "cross_origin", "Cross-site request refused."],
  ])("%s → %i", async (_, err, status, code, message) => {
    expect(await answer(err)).toEqual({ status, body: { error: { code, message } }, cache: "no-store", retryAfter: null });
  });

  it("zod → 422 invalid_input with the issues", async () => {
    const err = z.object({ limit: z.number() }).safeParse({ limit: "x" }).error;
    const a = await answer(err);
    expect(a.status).toBe(422);
    expect(a.body).toMatchObject({ error: { code: "invalid_input", message: expect.stringContaining("limit:"), issues: [{ path: "limit" }] } });
  });

  it("sign-in throttling → 429 and busy hashing → 503, both with Retry-After", async () => {
    expect(await answer(new TooManyAttemptsError(30, "address"))).toMatchObject({ status: 429, body: { error: { code: "too_many_attempts" } }, retryAfter: "30" });
    expect(await answer(new HashingBusyError())).toMatchObject({ status: 503, body: { error: { code: "busy" } }, retryAfter: "2" });
  });

  it.each<[BundleErrorCode, number]>([
    ["upload_too_large", 413],
    ["entry_too_large", 413],
    ["bundle_too_large", 413],
    ["ratio_exceeded", 413],
    ["too_many_entries", 413],
    ["bad_request", 400],
    ["aborted", 400],
    ["unsafe_path", 422],
    ["bad_manifest", 422],
    ["empty_bundle", 422],
  ])("bundle refusal %s → %i", async (code, status) => {
    expect(await answer(new BundleError(code, `${code}: refused`, "entry.log"))).toMatchObject({ status, body: { error: { code, message: `${code}: refused` } } });
  });

  it("anything else → 500 without internals, logged server-side", async () => {
    const spy = vi.spyOn(log, "error");
    try {
      const a = await answer(new Error("SQLITE_CORRUPT at /var/lib/secret.db"));
      expect(a.status).toBe(500);
      expect(JSON.stringify(a.body)).not.toContain("secret");
      expect(a.body).toMatchObject({ error: { code: "internal" } });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
