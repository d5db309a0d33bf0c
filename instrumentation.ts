/**
 * Runs once when the Next.js server starts (Node runtime only): applies migrations, starts the
 * embedded job worker (SQLite default) and imports the sample incident into an empty database.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { bootServer } = await import("./lib/server/boot");
  await bootServer();
}
