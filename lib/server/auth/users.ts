import { type CreateUserInput, Role, type SetupInput, type UpdateUserInput, UserDto } from "@/lib/schemas/auth";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { ConflictError, NotFoundError } from "@/lib/server/errors";
import { authFor, getAuth } from "./auth";
import { authEnabled } from "./mode";
import { signInThrottle } from "./throttle";

const SETUP_KEY = "setup.admin";

/**
 * First start: creates the admin while no account exists and signs them in. A Setting row taken
 * first makes two racing /setup requests produce one admin (the loser gets 409). Returns the
 * session cookie(s) better-auth issued.
 */
export async function setupAdmin(input: SetupInput, db: Db = getPrisma(), headers: Headers = new Headers()): Promise<{ user: UserDto; setCookie: string[] }> {
  if (!authEnabled()) throw new ConflictError("auth_off", "HINDSIGHT_AUTH=off: there are no accounts to set up.");
  if (await db.user.findFirst({ select: { id: true } })) throw new ConflictError("already_setup", "An account already exists: sign in instead.");
  try {
    await db.setting.create({ data: { key: SETUP_KEY, value: new Date().toISOString() } });
  } catch {
    throw new ConflictError("already_setup", "Setup is already done (or in progress): sign in instead.");
  }
  let user: UserDto;
  try {
    user = await createUser({ ...input, role: "admin" }, db);
  } catch (err) {
    await db.setting.delete({ where: { key: SETUP_KEY } }).catch(() => undefined);
    throw err;
  }
  const auth = await authFor(headers);
  const signedIn = await auth.api.signInEmail({ body: { email: input.email, password: input.password }, headers, returnHeaders: true });
  return { user, setCookie: signedIn.headers.getSetCookie() };
}

/** An account with a password (hashed by better-auth) and a role. Email is unique (409). */
export async function createUser(input: CreateUserInput, db: Db = getPrisma()): Promise<UserDto> {
  if (await db.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
    throw new ConflictError("email_taken", `An account for ${input.email} already exists.`);
  }
  const auth = await getAuth();
  const created = await auth.api.signUpEmail({ body: { name: input.name, email: input.email, password: input.password } });
  const row = await db.user.update({ where: { id: created.user.id }, data: { role: input.role } });
  return toDto(row);
}

export async function listUsers(db: Db = getPrisma()): Promise<UserDto[]> {
  return (await db.user.findMany({ orderBy: { createdAt: "asc" } })).map(toDto);
}

/** Role change; the last admin cannot be demoted (nobody could manage users any more). */
export async function updateUser(id: string, input: UpdateUserInput, db: Db = getPrisma()): Promise<UserDto> {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw new NotFoundError("user");
  if (user.role === "admin" && input.role !== "admin") await assertAnotherAdmin(db, id);
  return toDto(await db.user.update({ where: { id }, data: { role: input.role } }));
}

/** Deletes an account; its sessions and API tokens go with it (cascade), its share links stay. */
export async function deleteUser(id: string, db: Db = getPrisma()): Promise<void> {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw new NotFoundError("user");
  if (user.role === "admin") await assertAnotherAdmin(db, id);
  await db.user.delete({ where: { id } });
}

/**
 * An admin ends an account's sign-in lockout/backoff (lib/server/auth/throttle.ts) in this web
 * process; the clearing is written to the audit log. Returns whether the account had any.
 */
export async function clearSignInLockout(id: string, by: { id: string | null; name: string }, db: Db = getPrisma()): Promise<{ cleared: boolean }> {
  const user = await db.user.findUnique({ where: { id }, select: { email: true } });
  if (!user) throw new NotFoundError("user");
  return { cleared: signInThrottle().clearAccount(user.email, by) };
}

async function assertAnotherAdmin(db: Db, id: string): Promise<void> {
  const others = await db.user.count({ where: { role: "admin", id: { not: id } } });
  if (others === 0) throw new ConflictError("last_admin", "This is the last admin: make someone else admin first.");
}

function toDto(u: { id: string; name: string; email: string; role: string; createdAt: Date }): UserDto {
  return UserDto.parse({ id: u.id, name: u.name, email: u.email, role: Role.catch("viewer").parse(u.role), createdAt: u.createdAt.toISOString() });
}
