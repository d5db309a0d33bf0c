/**
 * Password-guessing limits (security rows 1, 3 and 4), checked by the auth route before
 * better-auth computes any hash, so a refused attempt costs a map lookup rather than 32 MiB and
 * ~50 ms of scrypt.
 *
 * Two counters per attempt, both must allow it:
 *   - the client address (lib/server/http/client-address.ts — never a header the client chose):
 *     10 attempts, then exponential backoff;
 *   - the account (the email as typed, case-folded; unknown emails too, so probing is no cheaper):
 *     5 failures, then exponential backoff. When the backoff reaches its cap the account is
 *     *locked out*: an audit entry is written, and it stays locked for LOCK_MS unless an admin clears
 *     it (DELETE /api/users/:id/lockout). The lock is time-bounded on purpose — otherwise anyone
 *     could lock the only admin out for good by typing their email.
 *
 * An attempt is counted when it starts (50 concurrent guesses must not all pass a check that is
 * only updated after each hash); a successful sign-in then clears its account's counter. The state
 * is in this process's memory: with several web processes each enforces its own limits, so the
 * effective budget is multiplied by their number (still bounded; docs/SECURITY.md).
 */
import { audit } from "@/lib/server/audit";

export class TooManyAttemptsError extends Error {
  constructor(readonly retryAfterSeconds: number, readonly scope: "address" | "account") {
    super(scope === "account" ? "Too many failed sign-ins for this account: wait before trying again, or ask an admin to clear the lockout." : "Too many sign-in attempts from this address: wait before trying again.");
  }
}

interface Policy {
  free: number;
  baseMs: number;
  maxMs: number;
  /** Counters forget an address/account this long after its last attempt. */
  forgetMs: number;
}

export const ADDRESS_POLICY: Policy = { free: 10, baseMs: 30_000, maxMs: 3_600_000, forgetMs: 3_600_000 };
export const ACCOUNT_POLICY: Policy = { free: 5, baseMs: 30_000, maxMs: 3_600_000, forgetMs: 24 * 3_600_000 };
const MAX_KEYS = 50_000;

interface State {
  attempts: number;
  last: number;
  blockedUntil: number;
  locked: boolean;
}

/** Backoff after the n-th counted attempt beyond the free ones (n ≥ 1): base · 2^(n-1), capped. */
export function backoffMs(policy: Policy, beyond: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(beyond - 1, 30));
}

class Counter {
  private readonly states = new Map<string, State>();
  constructor(private readonly policy: Policy) {}

  private get(key: string, now: number): State {
    let s = this.states.get(key);
    if (s && now - s.last > this.policy.forgetMs && now >= s.blockedUntil) {
      this.states.delete(key);
      s = undefined;
    }
    if (!s) {
      if (this.states.size >= MAX_KEYS) this.states.delete(this.states.keys().next().value!); // oldest first
      s = { attempts: 0, last: now, blockedUntil: 0, locked: false };
    }
    // Re-inserted so the Map's order stays "least recently used first" for the eviction above.
    this.states.delete(key);
    this.states.set(key, s);
    return s;
  }

  /** Seconds to wait, or 0 when an attempt may start now. */
  waitSeconds(key: string, now: number): number {
    const s = this.states.get(key);
    return s && s.blockedUntil > now ? Math.ceil((s.blockedUntil - now) / 1000) : 0;
  }

  /** Counts an attempt that is allowed to start; returns whether this one reached the cap (a lockout). */
  count(key: string, now: number): boolean {
    const s = this.get(key, now);
    s.attempts += 1;
    s.last = now;
    const beyond = s.attempts - this.policy.free + 1;
    if (beyond >= 1) {
      const ms = backoffMs(this.policy, beyond);
      s.blockedUntil = now + ms;
      if (ms >= this.policy.maxMs && !s.locked) return (s.locked = true);
    }
    return false;
  }

  clear(key: string): boolean {
    return this.states.delete(key);
  }

  locked(key: string, now: number): boolean {
    const s = this.states.get(key);
    return !!s && s.locked && s.blockedUntil > now;
  }
}

export function accountKey(email: string): string {
  return email.trim().toLowerCase();
}

export class SignInThrottle {
  private readonly byAddress = new Counter(ADDRESS_POLICY);
  private readonly byAccount = new Counter(ACCOUNT_POLICY);

  /**
   * Call before the password is checked. Throws TooManyAttemptsError when either counter is
   * backing off; otherwise counts the attempt against both.
   */
  begin(address: string, email: string, now = Date.now()): void {
    const account = accountKey(email);
    const waitAccount = this.byAccount.waitSeconds(account, now);
    if (waitAccount > 0) throw new TooManyAttemptsError(waitAccount, "account");
    const waitAddress = this.byAddress.waitSeconds(address, now);
    if (waitAddress > 0) throw new TooManyAttemptsError(waitAddress, "address");
    this.byAddress.count(address, now);
    if (this.byAccount.count(account, now)) {
      audit("sign-in.lockout", { account, address, minutes: Math.round(ACCOUNT_POLICY.maxMs / 60_000) });
    }
  }

  /** The password was right: the account starts afresh (the address keeps its count). */
  succeeded(email: string): void {
    this.byAccount.clear(accountKey(email));
  }

  /** Whether the account is locked out (backoff at its cap). */
  isLocked(email: string, now = Date.now()): boolean {
    return this.byAccount.locked(accountKey(email), now);
  }

  /** An admin ends an account's lockout and backoff; true when there was one. */
  clearAccount(email: string, by: { id: string | null; name: string }): boolean {
    const cleared = this.byAccount.clear(accountKey(email));
    audit("sign-in.lockout-cleared", { account: accountKey(email), by: by.id ?? by.name, hadState: cleared });
    return cleared;
  }
}

const holder = globalThis as typeof globalThis & { __hindsightSignInThrottle?: SignInThrottle };

/** The process-wide throttle (one per web process; survives dev hot reloads). */
export function signInThrottle(): SignInThrottle {
  return (holder.__hindsightSignInThrottle ??= new SignInThrottle());
}
