import { LimitError } from "@/lib/server/storage/cas";

export type BundleErrorCode =
  | "upload_too_large"
  | "entry_too_large"
  | "bundle_too_large"
  | "ratio_exceeded"
  | "too_many_entries"
  | "path_too_deep"
  | "path_too_long"
  | "unsafe_path"
  | "link_entry"
  | "special_entry"
  | "nested_archive"
  | "bad_archive"
  | "bad_manifest"
  | "bad_request"
  | "empty_bundle"
  | "aborted";

/**
 * Why a bundle was refused: a size/count limit was hit, the content itself is unacceptable, or the
 * request was malformed (the code says which; lib/server/http/errors.ts gives each its status).
 * `entry` names the offending path when there is one; the message always names entry and limit.
 */
export class BundleError extends Error {
  override readonly name = "BundleError";
  constructor(
    readonly code: BundleErrorCode,
    message: string,
    readonly entry?: string,
    /** Inflated bytes when a byte counter fired; lets tests and logs show how early a bomb was stopped. */
    readonly observed?: number,
  ) {
    super(message);
  }
}

export function isBundleError(error: unknown): error is BundleError {
  return error instanceof BundleError;
}

/** Maps storage limit errors to bundle errors (same code); anything unexpected is rethrown as is. */
export function toBundleError(error: unknown, entry?: string): BundleError {
  if (error instanceof BundleError) return error;
  if (error instanceof LimitError) return new BundleError(error.code, error.message, entry, error.observed);
  throw error;
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
