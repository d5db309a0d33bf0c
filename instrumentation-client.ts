/**
 * Runs in the browser before the app (Next.js instrumentation-client). Zod compiles fast parsers
 * with `new Function` after probing whether eval is allowed; under the app's CSP (no
 * 'unsafe-eval', proxy.ts) the probe is refused and reported as a CSP violation even though zod
 * falls back. Jitless mode skips the probe: zero violations, same results.
 */
import { z } from "zod";

z.config({ jitless: true });
