import path from "node:path";

/**
 * Root of the Hindsight checkout. Set by bin/hindsight.mjs and scripts/start.mjs so the CLI works
 * from any directory; the web server runs from the root already.
 */
export function projectRoot(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.HINDSIGHT_ROOT || process.cwd());
}
