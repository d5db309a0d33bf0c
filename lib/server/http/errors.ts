import { ZodError } from "zod";
import type { ApiError } from "@/lib/schemas/api";
import { isBundleError } from "@/lib/server/bundle/errors";

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
 * limits/validation → their 413/422, anything else → 500 without internals (logged server-side).
 */
export function toErrorResponse(err: unknown): Response {
  const body = (status: number, error: ApiError["error"]) =>
    Response.json({ error } satisfies ApiError, { status, headers: { "Cache-Control": "no-store" } });
  if (err instanceof ZodError) {
    return body(422, {
      code: "invalid_input",
      message: err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
      issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  if (err instanceof NotFoundError) return body(404, { code: "not_found", message: err.message });
  if (err instanceof HttpError) return body(err.status, { code: err.code, message: err.message });
  if (isBundleError(err)) return body(err.status, { code: err.code, message: err.message });
  console.error("[api] unexpected error:", err);
  return body(500, { code: "internal", message: "Internal error — the server log has the details." });
}
