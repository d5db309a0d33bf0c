import pg from "pg";

/**
 * A connected client of its own (the pipeline's bulk writes and reads, off Prisma). A connection
 * the server drops (PostgreSQL restart) is reported through the failing query; without a listener
 * its 'error' event would crash the worker thread and fail the file, so it is ignored here.
 */
export async function connectPg(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}
