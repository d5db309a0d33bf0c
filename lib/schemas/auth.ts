import { z } from "zod";

/**
 * Roles, strongest first. admin: everything incl. users; editor: upload, re-analyse, clock skew,
 * draft, share links; viewer: read only. One source for the DB string, the API and the UI.
 */
export const Role = z.enum(["admin", "editor", "viewer"]);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };
/** Whether `role` is at least `min` (admin ≥ editor ≥ viewer). */
export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}

const Email = z.string().trim().toLowerCase().email().max(254);
/** better-auth's limits: 8..128 characters. */
const Password = z.string().min(8, "at least 8 characters").max(128);
const Name = z.string().trim().min(1).max(100);

/** POST /api/setup — the first admin, only while no account exists. */
export const SetupInput = z.object({ name: Name, email: Email, password: Password }).strict();
export type SetupInput = z.infer<typeof SetupInput>;

/** POST /api/users (admin) */
export const CreateUserInput = z.object({ name: Name, email: Email, password: Password, role: Role }).strict();
export type CreateUserInput = z.infer<typeof CreateUserInput>;

/** PATCH /api/users/:id (admin) */
export const UpdateUserInput = z.object({ role: Role }).strict();
export type UpdateUserInput = z.infer<typeof UpdateUserInput>;

export const UserDto = z.object({ id: z.string(), name: z.string(), email: z.string(), role: Role, createdAt: z.string() });
export type UserDto = z.infer<typeof UserDto>;

/** Who is asking: a signed-in user, an API token's owner, or the single local user (HINDSIGHT_AUTH=off). */
export const PrincipalDto = z.object({
  id: z.string().nullable(),
  name: z.string(),
  email: z.string().nullable(),
  role: Role,
  via: z.enum(["session", "token", "local"]),
});
export type PrincipalDto = z.infer<typeof PrincipalDto>;

/** POST /api/tokens */
export const ApiTokenInput = z
  .object({ name: z.string().trim().min(1).max(100), expiresAt: z.coerce.date().optional() })
  .strict()
  .refine((v) => !v.expiresAt || v.expiresAt.getTime() > Date.now(), { message: "must be in the future", path: ["expiresAt"] });
export type ApiTokenInput = z.infer<typeof ApiTokenInput>;

export const ApiTokenDto = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ApiTokenDto = z.infer<typeof ApiTokenDto>;

/** The token itself is shown once, at creation. */
export const ApiTokenCreated = ApiTokenDto.extend({ token: z.string() });
export type ApiTokenCreated = z.infer<typeof ApiTokenCreated>;
