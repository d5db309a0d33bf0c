/**
 * Domain errors: what services, views, the draft and the auth layer throw when a request cannot be
 * served as asked. Each names what went wrong — a stable `code` and a message safe to show the
 * user — and knows nothing about HTTP: lib/server/http/errors.ts (`toErrorResponse`) is the one
 * place that turns them into a status, for route handlers; pages and the CLI read them directly.
 *
 *   NotFoundError          the thing asked for does not exist (or is not the caller's to see)
 *   InvalidInputError      well-formed input the request cannot be served for (too few ids, empty search…)
 *   MalformedInputError    input that cannot even be read (a body that is not JSON)
 *   ConflictError          the current state forbids it (already set up, last admin, …)
 *   NotReadyError          …because the analysis has not finished yet
 *   UnauthenticatedError   nobody (or an unknown credential) is asking
 *   ForbiddenError         someone is asking who may not (role too low, share token, cross-site write)
 *
 * Bundle refusals (lib/server/bundle/errors.ts BundleError), sign-in throttling (TooManyAttemptsError)
 * and a full hashing queue (HashingBusyError) are domain errors of their own modules.
 */
export abstract class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  /** `new NotFoundError("incident")` → "incident not found"; a message of its own when it helps more. */
  constructor(
    readonly what: string,
    message = `${what} not found`,
  ) {
    super("not_found", message);
  }
}

export class InvalidInputError extends DomainError {}

export class MalformedInputError extends DomainError {}

export class ConflictError extends DomainError {}

export class NotReadyError extends ConflictError {
  constructor(message: string) {
    super("not_ready", message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super("unauthenticated", message);
  }
}

export class ForbiddenError extends DomainError {}
