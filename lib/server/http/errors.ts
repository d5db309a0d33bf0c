import { ZodError } from "zod";
import type { ApiError } from "@/lib/schemas/api";
import { HashingBusyError } from "@/lib/server/auth/password";
import { TooManyAttemptsError } from "@/lib/server/auth/throttle";
import { isBundleError } from "@/lib/server/bundle/errors";
import { log } from "@/lib/server/log";

export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
  }
}

/** A client error with a status and a message safe to show. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The one error mapper for route handlers: zod → 422 with issues, not found → 404, bundle
 * limits/validation → their 413/422, sign-in throttling → 429 / busy hashing → 503 (both with
 * Retry-After), anything else → 500 without internals (logged server-side).
 */
export function toErrorResponse(err: unknown): Response {
  const body = (status: number, error: ApiError["error"], retryAfter?: number) =>
    Response.json({ error } satisfies ApiError, { status, headers: { "Cache-Control": "no-store", ...(retryAfter ? { "Retry-After": String(retryAfter) } : {}) } });
  if (err instanceof ZodError) {
    return body(422, {
      code: "invalid_input",
      message: err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
      issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  if (err instanceof NotFoundError) return body(404, { code: "not_found", message: err.message });
  if (err instanceof HttpError) return body(err.status, { code: err.code, message: err.message });
  if (err instanceof TooManyAttemptsError) return body(429, { code: "too_many_attempts", message: err.message }, err.retryAfterSeconds);
  if (err instanceof HashingBusyError) return body(503, { code: "busy", message: err.message }, err.retryAfterSeconds);
  if (isBundleError(err)) return body(err.status, { code: err.code, message: err.message });
  log.error({ err }, "api: unexpected error");
  return body(500, { code: "internal", message: "Internal error — the server log has the details." });
}
