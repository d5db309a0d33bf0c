import { z } from "zod";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Once an entry (or a compressed stream) has inflated more than this many bytes, its compression ratio
 * is checked against `maxRatio`. The grace window keeps small, highly repetitive files (a 200 KB log of
 * identical lines) from tripping the ratio cap while still stopping a bomb after ~1 MiB of work.
 */
export const RATIO_GRACE_BYTES = 1 * MiB;

const byteCount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * Limits applied while receiving and unpacking a bundle. Stored with each Bundle (`Bundle.limits`) so a
 * rejection can be explained later with the limits that were in force.
 */
export const BundleLimits = z
  .object({
    /** Bytes accepted on the wire for one upload request (all files together). */
    maxUploadBytes: byteCount.default(2 * GiB),
    /** Real (inflated) bytes of one bundle entry, counted while streaming — never trusted from headers. */
    maxEntryBytes: byteCount.default(2 * GiB),
    /** Real (inflated) bytes of all entries of one bundle together. */
    maxBundleBytes: byteCount.default(4 * GiB),
    /** Largest inflated/compressed ratio, enforced once a stream has inflated more than RATIO_GRACE_BYTES. */
    maxRatio: z.number().positive().default(200),
    /** Entries (files, directories, links) in one bundle, counted before extraction where the format allows. */
    maxEntries: z.number().int().positive().default(10_000),
    /** Path segments of one entry path (`a/b/c.log` has 3). */
    maxDepth: z.number().int().positive().default(32),
    /** Characters of one normalised entry path. */
    maxPathLength: z.number().int().positive().default(1024),
  })
  .strict();
export type BundleLimits = z.infer<typeof BundleLimits>;

export const DEFAULT_LIMITS: BundleLimits = BundleLimits.parse({});

/** Environment variable for each limit (documented in docs/BUNDLES.md). */
export const LIMIT_ENV_VARS = {
  maxUploadBytes: "HINDSIGHT_MAX_UPLOAD_BYTES",
  maxEntryBytes: "HINDSIGHT_MAX_ENTRY_BYTES",
  maxBundleBytes: "HINDSIGHT_MAX_BUNDLE_BYTES",
  maxRatio: "HINDSIGHT_MAX_RATIO",
  maxEntries: "HINDSIGHT_MAX_ENTRIES",
  maxDepth: "HINDSIGHT_MAX_DEPTH",
  maxPathLength: "HINDSIGHT_MAX_PATH_LENGTH",
} as const satisfies Record<keyof BundleLimits, string>;

const UNIT: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
  t: 1024 * GiB,
  tb: 1024 * GiB,
  tib: 1024 * GiB,
};

/**
 * Parses `2147483648`, `2GiB`, `512 MiB`, `64m`, `1.5g` (binary units: operators think in the same
 * units `ls -lh` prints). Returns null when the text is not a number with a known unit.
 */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const factor = UNIT[(match[2] ?? "").toLowerCase()];
  if (factor === undefined) return null;
  return Math.round(Number(match[1]) * factor);
}

/**
 * Limits from `HINDSIGHT_MAX_*` variables; unset or empty variables keep the default. A malformed value
 * throws (naming the variable) instead of silently falling back, so a typo cannot lift a limit.
 */
export function limitsFromEnv(env: Record<string, string | undefined> = process.env): BundleLimits {
  const raw: Record<string, number> = {};
  for (const [key, name] of Object.entries(LIMIT_ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value.trim() === "") continue;
    const kind = key === "maxRatio" ? "number" : key.endsWith("Bytes") ? "size" : "whole number";
    const text = value.trim();
    const parsed =
      kind === "size" ? parseSize(text) : kind === "number" ? Number(text) : /^\d+$/.test(text) ? Number(text) : null;
    if (parsed === null || !Number.isFinite(parsed)) {
      throw new Error(`${name}=${JSON.stringify(value)} is not a valid ${kind}`);
    }
    raw[key] = parsed;
  }
  const result = BundleLimits.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? "");
    const name = LIMIT_ENV_VARS[key as keyof BundleLimits] ?? key;
    throw new Error(`${name}: ${issue?.message ?? "invalid value"}`);
  }
  return result.data;
}
