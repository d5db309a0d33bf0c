import type { ReactNode } from "react";
import Link from "next/link";
import { notFound } from "next/navigation";
import { IncidentStatus } from "@/lib/schemas/api";
import { getIncidentHeader } from "@/lib/server/views/overview";
import { pageAccess } from "@/lib/server/auth/page";
import { StatusBadge } from "@/components/ui/StatusBadge";
import { IncidentTabs } from "@/components/incidents/IncidentTabs";

export const dynamic = "force-dynamic";

/** Incident header (title, status) and the tab navigation shared by every incident view. */
export default async function IncidentLayout({ children, params }: { children: ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}`);
  const incident = await getIncidentHeader(id);
  if (!incident) notFound();
  return (
    <div className="space-y-4">
      <header className="space-y-3">
        <p className="text-xs text-muted">
          <Link href="/" className="hover:text-fg hover:underline">
            Incidents
          </Link>{" "}
          / <span className="font-mono">{incident.id}</span>
        </p>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <h1 className="min-w-0 text-xl font-semibold tracking-tight break-words">{incident.title || "(untitled)"}</h1>
          <StatusBadge status={IncidentStatus.catch("new").parse(incident.status)} />
          {incident.isSample ? <span className="rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">sample</span> : null}
        </div>
        <IncidentTabs id={incident.id} />
      </header>
      {children}
    </div>
  );
}
