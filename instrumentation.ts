/**
 * Runs once when the Next.js server starts (Node runtime only): applies migrations, starts the
 * embedded job worker (SQLite default) and imports the sample incident into an empty database;
 * in production, offers the request gate (security headers, malformed URLs) and the page cache's
 * front door to scripts/server.mjs.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { bootServer } = await import("./lib/server/boot");
  await bootServer();
  if (process.env.NODE_ENV === "production") {
    (await import("./lib/server/http/gate")).installGate();
    (await import("./lib/server/page-cache/front")).installPageFront();
  }
}
