"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const TABS = [
  { slug: "", label: "Overview" },
  { slug: "timeline", label: "Timeline" },
  { slug: "latency", label: "Latency" },
  { slug: "rules", label: "Rules" },
  { slug: "traces", label: "Traces" },
  { slug: "network", label: "Network" },
  { slug: "draft", label: "Draft" },
] as const;

/** Tab navigation shared by the incident views; the active tab carries aria-current="page". */
export function IncidentTabs({ id }: { id: string }) {
  const pathname = usePathname() ?? "";
  const base = `/incidents/${encodeURIComponent(id)}`;
  return (
    <nav aria-label="Incident views" className="-mb-px flex gap-1 overflow-x-auto border-b border-line">
      {TABS.map((t) => {
        const href = t.slug ? `${base}/${t.slug}` : base;
        const active = t.slug ? pathname === href || pathname.startsWith(`${href}/`) : pathname === base;
        return (
          <Link
            key={t.label}
            href={href}
            aria-current={active ? "page" : undefined}
            className={`shrink-0 border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors ${
              active ? "border-accent text-fg" : "border-transparent text-muted hover:border-line-strong hover:text-fg"
            }`}
          >
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
