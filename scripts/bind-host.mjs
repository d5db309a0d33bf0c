// Which address `npm start` binds to (scripts/start.mjs). HINDSIGHT_AUTH=off has no accounts —
// everyone who reaches the server is admin — so only this machine may reach it: a HOSTNAME that
// would expose it (0.0.0.0, a LAN address, a name) is overridden with 127.0.0.1, with a warning.
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** @returns {{ host: string | null, authOff: boolean, warning: string | null }} host null: Next.js's default (all interfaces) */
export function bindHost(env = process.env) {
  const authOff = (env.HINDSIGHT_AUTH ?? "").trim().toLowerCase() === "off";
  const wanted = env.HOSTNAME && env.HOSTNAME !== "0.0.0.0" ? env.HOSTNAME : null;
  if (!authOff) return { host: wanted, authOff, warning: null };
  if (wanted && LOOPBACK.has(wanted)) return { host: wanted, authOff, warning: null };
  const warning = env.HOSTNAME
    ? `[hindsight] HINDSIGHT_AUTH=off: refusing HOSTNAME=${env.HOSTNAME} (single-user mode has no accounts); binding to 127.0.0.1 only`
    : null;
  return { host: "127.0.0.1", authOff, warning };
}
