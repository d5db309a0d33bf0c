import { type ApiTokenCreated, ApiTokenDto, type ApiTokenInput } from "@/lib/schemas/auth";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { ConflictError, NotFoundError } from "@/lib/server/errors";
import type { Principal } from "./guard";
import { hashToken, newToken, PREFIX_LENGTH } from "./tokens";

/** API tokens start with this, so a leaked one is recognisable (and never mistaken for a share link). */
export const API_TOKEN_PREFIX = "hst_";

function ownerId(principal: Principal): string {
  if (!principal.id) throw new ConflictError("auth_off", "HINDSIGHT_AUTH=off: the API needs no token.");
  return principal.id;
}

/** A personal token acting with its owner's role (checked at each use). The secret is returned once. */
export async function createApiToken(principal: Principal, input: ApiTokenInput, db: Db = getPrisma()): Promise<ApiTokenCreated> {
  const token = newToken(API_TOKEN_PREFIX);
  const row = await db.apiToken.create({
    data: { name: input.name, tokenHash: hashToken(token), prefix: token.slice(0, API_TOKEN_PREFIX.length + PREFIX_LENGTH), userId: ownerId(principal), expiresAt: input.expiresAt ?? null },
  });
  return { ...toDto(row), token };
}

export async function listApiTokens(principal: Principal, db: Db = getPrisma()): Promise<ApiTokenDto[]> {
  if (!principal.id) return [];
  return (await db.apiToken.findMany({ where: { userId: principal.id }, orderBy: { createdAt: "desc" } })).map(toDto);
}

/** Revokes one of the caller's tokens (someone else's is "not found"). */
export async function revokeApiToken(principal: Principal, id: string, db: Db = getPrisma()): Promise<void> {
  const { count } = await db.apiToken.deleteMany({ where: { id, userId: ownerId(principal) } });
  if (count === 0) throw new NotFoundError("token");
}

function toDto(t: { id: string; name: string; prefix: string; createdAt: Date; expiresAt: Date | null; lastUsedAt: Date | null }): ApiTokenDto {
  return ApiTokenDto.parse({ id: t.id, name: t.name, prefix: t.prefix, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt?.toISOString() ?? null, lastUsedAt: t.lastUsedAt?.toISOString() ?? null });
}
