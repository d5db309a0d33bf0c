import { ZodError } from "zod";
import type { ApiError } from "@/lib/schemas/api";
import { HashingBusyError } from "@/lib/server/auth/password";
import { TooManyAttemptsError } from "@/lib/server/auth/throttle";
import { type BundleErrorCode, isBundleError } from "@/lib/server/bundle/errors";
import { ConflictError, type DomainError, ForbiddenError, InvalidInputError, MalformedInputError, NotFoundError, UnauthenticatedError } from "@/lib/server/errors";
import { log } from "@/lib/server/log";

/**
 * Domain error (lib/server/errors.ts) → HTTP status: the one place a service's failure becomes a
 * status. A subclass answers with its parent's status (NotReadyError is a ConflictError: 409).
 */
const STATUS: ReadonlyArray<readonly [abstract new (...args: never[]) => DomainError, number]> = [
  [MalformedInputError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [InvalidInputError, 422],
];

/** Why a bundle was refused → status: a limit hit 413, a malformed request 400, unacceptable content 422. */
const BUNDLE_STATUS: Readonly<Record<BundleErrorCode, 400 | 413 | 422>> = {
  upload_too_large: 413,
  entry_too_large: 413,
  bundle_too_large: 413,
  ratio_exceeded: 413,
  too_many_entries: 413,
  bad_request: 400,
  aborted: 400,
  path_too_deep: 422,
  path_too_long: 422,
  unsafe_path: 422,
  link_entry: 422,
  special_entry: 422,
  nested_archive: 422,
  bad_archive: 422,
  bad_manifest: 422,
  empty_bundle: 422,
};

/** What a route answers for an error: status, the ApiError body, and Retry-After seconds when it should wait. */
export interface ErrorAnswer {
  status: number;
  error: ApiError["error"];
  retryAfter?: number;
}

/**
 * The status and body for an error a client may see, or null for anything unexpected (a bug or
 * an outage: a 500 whose details stay in the server log). zod → 422 with issues, domain errors by
 * the table above, bundle limits/validation → their 413/422/400, sign-in throttling → 429 / busy
 * hashing → 503 (both with Retry-After).
 */
export function describeError(err: unknown): ErrorAnswer | null {
  if (err instanceof ZodError) {
    return {
      status: 422,
      error: {
        code: "invalid_input",
        message: err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
        issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    };
  }
  for (const [kind, status] of STATUS) if (err instanceof kind) return { status, error: { code: err.code, message: err.message } };
  if (err instanceof TooManyAttemptsError) return { status: 429, error: { code: "too_many_attempts", message: err.message }, retryAfter: err.retryAfterSeconds };
  if (err instanceof HashingBusyError) return { status: 503, error: { code: "busy", message: err.message }, retryAfter: err.retryAfterSeconds };
  if (isBundleError(err)) return { status: BUNDLE_STATUS[err.code], error: { code: err.code, message: err.message } };
  return null;
}

/** The one error mapper for route handlers (see describeError); anything else → 500 without internals (logged server-side). */
export function toErrorResponse(err: unknown): Response {
  const answer = describeError(err);
  if (!answer) log.error({ err }, "api: unexpected error");
  const { status, error, retryAfter } = answer ?? { status: 500, error: { code: "internal", message: "Internal error — the server log has the details." } };
  return Response.json({ error } satisfies ApiError, { status, headers: { "Cache-Control": "no-store", ...(retryAfter ? { "Retry-After": String(retryAfter) } : {}) } });
}
