import { z } from "zod";
import { clientAddress } from "@/lib/server/http/client-address";
import { NotFoundError } from "@/lib/server/errors";
import { authFor, CLIENT_ADDRESS_HEADER } from "./auth";
import { authEnabled } from "./mode";
import { assertHashingCapacity } from "./password";
import { type Outcome, signInThrottle } from "./throttle";

/**
 * better-auth's HTTP endpoints, limited to the ones Hindsight uses. Everything else it offers
 * (sign-up, email flows, account deletion, …) is "not found": accounts are created only by /setup
 * and by admins. Around the two that compute a password hash:
 *
 *   sign-in          throttled per client address and per account before better-auth runs (no hash
 *                    for a refused attempt), and only when the hashing queue has room;
 *   change-password  always revokes the account's other sessions — `revokeOtherSessions` is not the
 *                    client's to choose (security row 8) — and also needs room in the hashing queue.
 *
 * better-auth sees the client address we resolved (CLIENT_ADDRESS_HEADER, overwritten here), never
 * one the client wrote, for its own generic limits and the Session row.
 */
const ALLOWED = new Set(["GET /get-session", "POST /sign-in/email", "POST /sign-out", "POST /change-password"]);

// Any string: a body better-auth would accept must never skip the throttle.
const SignInBody = z.object({ email: z.string() }).loose();
const ChangePasswordBody = z.object({}).loose();

export async function callAuthEndpoint(request: Request): Promise<Response> {
  const method = request.method.toUpperCase();
  const path = new URL(request.url).pathname.replace(/^\/api\/auth/, "").replace(/\/+$/, "");
  if (!authEnabled() || !ALLOWED.has(`${method} ${path}`)) throw new NotFoundError("Auth endpoint");
  const address = clientAddress(request.headers);
  const headers = new Headers(request.headers);
  headers.set(CLIENT_ADDRESS_HEADER, address);
  let body: string | undefined = method === "GET" ? undefined : await request.text();
  let email: string | null = null;
  if (path === "/sign-in/email" || path === "/change-password") {
    const json = parseJson(body);
    if (path === "/sign-in/email") {
      // A body without an email never reaches a hash (better-auth refuses it): nothing to count.
      const parsed = SignInBody.safeParse(json);
      email = parsed.success ? parsed.data.email : null;
    } else {
      const parsed = ChangePasswordBody.safeParse(json);
      if (parsed.success) body = JSON.stringify({ ...parsed.data, revokeOtherSessions: true });
    }
    assertHashingCapacity();
    if (email !== null) signInThrottle().begin(address, email);
  }
  const forwarded = new Request(request.url, { method, headers, body });
  if (email === null) return (await authFor(request.headers)).handler(forwarded);
  let outcome: Outcome = "undecided";
  try {
    const response = await (await authFor(request.headers)).handler(forwarded);
    // 401: wrong email or password (better-auth answers both alike).
    outcome = response.ok ? "succeeded" : response.status === 401 ? "failed" : "undecided";
    return response;
  } finally {
    signInThrottle().end(address, email, outcome);
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}
