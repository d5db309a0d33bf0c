/**
 * HINDSIGHT_AUTH=off is single-user mode: no accounts, everyone who can reach the server acts as
 * an admin — which is why scripts/start.mjs then binds to 127.0.0.1 only. Anything else (unset,
 * "on") means accounts and roles are enforced.
 */
export function authEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.HINDSIGHT_AUTH ?? "").trim().toLowerCase() !== "off";
}
