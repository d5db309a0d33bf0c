import { hashPassword, verifyPassword } from "better-auth/crypto";

/**
 * better-auth's own scrypt (N=16384, r=16: ~32 MiB and tens of ms on a libuv thread per call), behind
 * a process-wide cap (security row 3). Fifty concurrent sign-ins used to run fifty hashes at once:
 * 1.6 GB of scrypt memory and every libuv thread busy, so file reads and the rest of the web process
 * queued behind them (GET / went from 36 ms to 6 s). With the cap, at most HASH_CONCURRENCY run;
 * the rest wait their turn, and when more than HASH_QUEUE are already waiting the auth route answers
 * 503 at once instead of queueing (see `hashingSaturated`).
 */
export const HASH_CONCURRENCY = 2;
export const HASH_QUEUE = 32;

export class HashingBusyError extends Error {
  readonly retryAfterSeconds = 2;
  constructor() {
    super("The server is busy checking passwords: try again in a moment.");
  }
}

class Semaphore {
  active = 0;
  peak = 0;
  runs = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    this.runs += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The permit passes straight to the next waiter (active stays the same), else it is returned.
      if (next) next();
      else this.active -= 1;
    }
  }
}

const holder = globalThis as typeof globalThis & { __hindsightHashing?: Semaphore };
const hashing = (holder.__hindsightHashing ??= new Semaphore(HASH_CONCURRENCY));

/** For better-auth's `emailAndPassword.password`: every hash and verification goes through the cap. */
export const cappedPassword = {
  hash: (password: string) => hashing.run(() => hashPassword(password)),
  verify: (data: { hash: string; password: string }) => hashing.run(() => verifyPassword(data)),
};

/** Throws HashingBusyError when the queue is already full: the caller should not start a hash. */
export function assertHashingCapacity(): void {
  if (hashing.queued >= HASH_QUEUE) throw new HashingBusyError();
}

/** Counters for tests and /api/health (admin): hashes run, peak concurrency, now active/queued. */
export function hashingStats(): { runs: number; peak: number; active: number; queued: number } {
  return { runs: hashing.runs, peak: hashing.peak, active: hashing.active, queued: hashing.queued };
}
