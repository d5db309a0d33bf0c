"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { UserMenu, type TopBarUser } from "@/components/auth/UserMenu";

const LINKS = [
  { href: "/", label: "Incidents", match: (p: string) => p === "/" || (p.startsWith("/incidents") && p !== "/incidents/new") },
  { href: "/incidents/new", label: "New incident", match: (p: string) => p === "/incidents/new" },
  { href: "/search", label: "Search", match: (p: string) => p === "/search" },
  { href: "/compare", label: "Compare", match: (p: string) => p === "/compare" },
] as const;

export function TopBar({ user = null }: { user?: TopBarUser | null }) {
  const pathname = usePathname() ?? "/";
  // Signed out (login, setup) and share-link pages get the brand only: no links that lead nowhere.
  const chrome = user !== null && !pathname.startsWith("/s/");
  return (
    <header className="sticky top-0 z-20 border-b border-line bg-surface/95 backdrop-blur supports-[backdrop-filter]:bg-surface/80">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-30 focus:rounded focus:bg-accent focus:px-3 focus:py-1.5 focus:text-accent-fg"
      >
        Skip to content
      </a>
      <div className="mx-auto flex h-12 max-w-[1400px] items-center gap-6 px-4">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-fg">
          <svg aria-hidden="true" viewBox="0 0 32 32" className="size-5">
            <rect width="32" height="32" rx="7" className="fill-accent" />
            <path d="M9 8v16M23 8v16M9 16h14" className="stroke-accent-fg" strokeWidth="3.2" strokeLinecap="round" />
          </svg>
          Hindsight
        </Link>
        {chrome ? (
          <nav aria-label="Main">
            <ul className="flex items-center gap-1">
              {LINKS.filter((link) => link.href !== "/incidents/new" || user?.role !== "viewer").map((link) => {
                const active = link.match(pathname);
                return (
                  <li key={link.href}>
                    <Link
                      href={link.href}
                      aria-current={active ? "page" : undefined}
                      className={`rounded px-2.5 py-1.5 text-sm ${
                        active ? "bg-accent-soft font-medium text-accent" : "text-muted hover:bg-subtle hover:text-fg"
                      }`}
                    >
                      {link.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        ) : null}
        {chrome && user ? <UserMenu user={user} /> : null}
      </div>
    </header>
  );
}
