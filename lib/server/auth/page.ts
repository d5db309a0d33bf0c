import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { type Role, roleAtLeast } from "@/lib/schemas/auth";
import { safeNext } from "@/lib/http/safe-next";
import { needsSetup, pagePrincipal, type Principal } from "./guard";

/**
 * The page-side guard: server components that load data call this first (the layout's call does
 * not protect a page — they render independently). Nobody signed in → /setup on a fresh install,
 * else /login (back to `next` afterwards). A role below `min` gets `allowed: false`; the page then
 * renders <Forbidden/> instead of loading anything.
 */
export async function pageAccess(min: Role = "viewer", next?: string): Promise<{ principal: Principal; allowed: boolean }> {
  const principal = await requestPrincipal();
  if (!principal) {
    if (await needsSetup()) redirect("/setup");
    const back = safeNext(next, "");
    redirect(back ? `/login?next=${encodeURIComponent(back)}` : "/login");
  }
  return { principal, allowed: roleAtLeast(principal.role, min) };
}

/** Who is signed in, for chrome (top bar) — never redirects. */
export async function currentPrincipal(): Promise<Principal | null> {
  return requestPrincipal();
}

/**
 * One session lookup per request, however many layouts, pages and generateMetadata ask (React's
 * request-scoped cache). A bad credential counts as nobody.
 */
const requestPrincipal = cache(async (): Promise<Principal | null> => pagePrincipal(await headers()));
