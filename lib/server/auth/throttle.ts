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
 * Only wrong passwords count, but an attempt holds its place in the budget while it runs (50
 * concurrent guesses must not all pass a check that is only updated after each hash); a successful
 * sign-in clears its account's failures. The state
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
  failures: number;
  /** Attempts begun and not yet finished: they count against the budget while they run. */
  inflight: number;
  last: number;
  blockedUntil: number;
  locked: boolean;
}

/** Backoff after the n-th failure beyond the free ones (n ≥ 1): base · 2^(n-1), capped. */
export function backoffMs(policy: Policy, beyond: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(beyond - 1, 30));
}

class Counter {
  private readonly states = new Map<string, State>();
  constructor(private readonly policy: Policy) {}

  private get(key: string, now: number): State {
    let s = this.states.get(key);
    if (s && s.inflight === 0 && now - s.last > this.policy.forgetMs && now >= s.blockedUntil) {
      this.states.delete(key);
      s = undefined;
    }
    if (!s) {
      if (this.states.size >= MAX_KEYS) this.states.delete(this.states.keys().next().value!); // least recently used
      s = { failures: 0, inflight: 0, last: now, blockedUntil: 0, locked: false };
    }
    // Re-inserted so the Map's order stays "least recently used first" for the eviction above.
    this.states.delete(key);
    this.states.set(key, s);
    return s;
  }

  /**
   * Seconds to wait, or 0 when an attempt may start now: not while backing off, and past the free
   * budget only one attempt at a time (so a burst cannot run many guesses before the first fails).
   */
  waitSeconds(key: string, now: number): number {
    const s = this.states.get(key);
    if (!s) return 0;
    if (s.blockedUntil > now) return Math.ceil((s.blockedUntil - now) / 1000);
    return s.inflight > 0 && s.failures + s.inflight >= this.policy.free ? 1 : 0;
  }

  begin(key: string, now: number): void {
    const s = this.get(key, now);
    s.inflight += 1;
    s.last = now;
  }

  /** A wrong password: backoff once past the free budget. Returns true when this reached the cap (a lockout). */
  fail(key: string, now: number): boolean {
    const s = this.get(key, now);
    s.inflight = Math.max(0, s.inflight - 1);
    s.failures += 1;
    s.last = now;
    const beyond = s.failures - this.policy.free + 1;
    if (beyond < 1) return false;
    const ms = backoffMs(this.policy, beyond);
    s.blockedUntil = now + ms;
    if (ms >= this.policy.maxMs && !s.locked) return (s.locked = true);
    return false;
  }

  /** The attempt ended without a verdict on the password (bad request, server error). */
  release(key: string): void {
    const s = this.states.get(key);
    if (s) s.inflight = Math.max(0, s.inflight - 1);
  }

  clear(key: string): boolean {
    return this.states.delete(key);
  }

  locked(key: string, now: number): boolean {
    const s = this.states.get(key);
    return !!s && s.locked && s.blockedUntil > now;
  }
}

/** The account counter's key: the email as typed, case-folded (cut to 320 characters, the longest valid address, to bound memory). */
export function accountKey(email: string): string {
  return email.trim().toLowerCase().slice(0, 320);
}

export type Outcome = "succeeded" | "failed" | "undecided";

export class SignInThrottle {
  private readonly byAddress = new Counter(ADDRESS_POLICY);
  private readonly byAccount = new Counter(ACCOUNT_POLICY);

  /**
   * Call before the password is checked. Throws TooManyAttemptsError when either counter is
   * backing off (or already has its last allowed attempt running); otherwise the attempt counts
   * against both until `end` reports how it went.
   */
  begin(address: string, email: string, now = Date.now()): void {
    const account = accountKey(email);
    const waitAccount = this.byAccount.waitSeconds(account, now);
    if (waitAccount > 0) throw new TooManyAttemptsError(waitAccount, "account");
    const waitAddress = this.byAddress.waitSeconds(address, now);
    if (waitAddress > 0) throw new TooManyAttemptsError(waitAddress, "address");
    this.byAddress.begin(address, now);
    this.byAccount.begin(account, now);
  }

  /**
   * How an attempt begun with `begin` ended. A right password clears the account's failures (the
   * address keeps its own: one valid account must not reset a guesser's budget); a wrong one counts
   * against both; anything else (malformed request, server error) only ends the attempt.
   */
  end(address: string, email: string, outcome: Outcome, now = Date.now()): void {
    const account = accountKey(email);
    if (outcome === "succeeded") {
      this.byAddress.release(address);
      this.byAccount.clear(account);
    } else if (outcome === "failed") {
      this.byAddress.fail(address, now);
      if (this.byAccount.fail(account, now)) audit("sign-in.lockout", { account, address, minutes: Math.round(ACCOUNT_POLICY.maxMs / 60_000) });
    } else {
      this.byAddress.release(address);
      this.byAccount.release(account);
    }
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
