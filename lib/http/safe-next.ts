/**
 * The one check for every redirect to a caller-supplied path (`/login?next=…` on the server, the
 * login form's navigation after sign-in, pageAccess's way back): only a path on this origin.
 *
 * A prefix test is not enough — browsers strip tabs and newlines inside URLs and read `\` as `/`,
 * so `/\t/evil.example/x` becomes `//evil.example/x`, another host (security row 2). The value is
 * therefore parsed the way a browser would and kept only when it stays on the base origin; any
 * control character or backslash is refused outright rather than interpreted.
 */
const BASE = "http://hindsight.invalid";

export function safeNext(raw: unknown, fallback = "/"): string {
  if (typeof raw !== "string" || raw === "" || raw.length > 2048) return fallback;
  if (/[\u0000-\u001F\u007F-\u009F\\]/.test(raw)) return fallback;
  if (!raw.startsWith("/") || raw.startsWith("//")) return fallback;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return fallback;
  }
  // `/.//evil.example` parses to the path `//evil.example`: protocol-relative once it is a Location.
  if (url.origin !== BASE || url.pathname.startsWith("//")) return fallback;
  // Re-serialised from the parsed URL, so what the browser follows is exactly what was checked.
  return `${url.pathname}${url.search}${url.hash}`;
}
