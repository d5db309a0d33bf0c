import { Readable } from "node:stream";
import { expect } from "vitest";
import { BundleError } from "@/lib/server/bundle/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { listFiles } from "./make-archives";

export const bufferInput = (name: string, data: Buffer | string) => ({ name, stream: Readable.from([Buffer.from(data)]) });

/**
 * Awaits a rejection and checks it is a BundleError with this code and message fragments, which the
 * API answers with this status.
 */
export async function expectBundleError(
  promise: Promise<unknown>,
  code: string,
  status: number,
  ...fragments: string[]
): Promise<BundleError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "expected a rejection").toBeInstanceOf(BundleError);
  const be = error as BundleError;
  expect({ code: be.code, status: toErrorResponse(be).status }).toEqual({ code, status });
  for (const f of fragments) expect(be.message).toContain(f);
  return be;
}

/** Nothing stored: no blob and no temp file below dataDir. */
export async function expectNothingStored(dataDir: string): Promise<void> {
  expect(await listFiles(dataDir)).toEqual([]);
}

/** Everything below `root` lives under `root/data` (nothing escaped the data dir). */
export async function expectOnlyUnderData(root: string): Promise<void> {
  const outside = (await listFiles(root)).filter((p) => !p.startsWith("data/") && !p.startsWith("data\\"));
  expect(outside).toEqual([]);
}
