/** Shared classes of the small account forms (login, setup, users, tokens, shares). */
export const INPUT =
  "mt-1 h-9 w-full rounded-md border border-line-strong bg-surface px-2.5 text-sm placeholder:text-faint focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30 disabled:opacity-60";
export const PRIMARY =
  "rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover focus:outline-none focus-visible:ring-2 focus-visible:ring-ring/50 disabled:opacity-60";
export const SECONDARY =
  "rounded-md border border-line-strong bg-surface px-3 py-1.5 text-sm font-medium hover:bg-subtle focus:outline-none focus-visible:ring-2 focus-visible:ring-ring/50 disabled:opacity-50";
export const DANGER =
  "rounded-md border border-red-300 bg-surface px-2.5 py-1 text-xs font-medium text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-400/50 disabled:opacity-50 dark:border-red-400/40 dark:text-red-300 dark:hover:bg-red-400/10";

/** `{error: {message}}` from our API, or better-auth's `{message}`, or the status line. */
export async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string }; message?: string };
    return body.error?.message ?? body.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/** JSON request to our own API (same origin; the session cookie goes along). */
export async function sendJson(url: string, method: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
}
