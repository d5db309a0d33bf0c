import { createHash, randomBytes } from "node:crypto";

/**
 * Bearer secrets for share links and API tokens: 32 bytes (256 bits) from the OS CSPRNG, base64url
 * (43 characters). Only their SHA-256 is stored, so a copy of the database does not yield working
 * links or tokens; a high-entropy secret needs no salt or slow hash (nothing to brute-force).
 */
export const TOKEN_BYTES = 32;
/** Characters of the token kept in clear to tell links apart in a list (~36 of the 256 bits). */
export const PREFIX_LENGTH = 6;

export function newToken(prefix = ""): string {
  return `${prefix}${randomBytes(TOKEN_BYTES).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Only the shape of a token we issue reaches the database (a 10 kB path segment does not). */
export function plausibleToken(token: string, prefix = ""): boolean {
  return token.length === prefix.length + 43 && token.startsWith(prefix) && /^[A-Za-z0-9_-]+$/.test(token.slice(prefix.length));
}

/** lastUsedAt is written at most once a minute per token: reads stay reads under load. */
export const LAST_USED_THROTTLE_MS = 60_000;
export function shouldTouch(lastUsedAt: Date | null, now = Date.now()): boolean {
  return !lastUsedAt || now - lastUsedAt.getTime() >= LAST_USED_THROTTLE_MS;
}
