import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getIncident } from "@/lib/server/services/incidents";
import { pageAccess } from "@/lib/server/auth/page";
import { getOverview } from "@/lib/server/views/overview";
import { IncidentView } from "@/components/incidents/IncidentView";
import { SharePanel } from "@/components/share/SharePanel";
import { roleAtLeast } from "@/lib/schemas/auth";

type Params = Promise<{ id: string }>;

// One database read per request, shared by generateMetadata and the page.
const loadIncident = cache((id: string) => getIncident(id));

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}`);
  const incident = await loadIncident(id);
  return { title: incident ? incident.title || "Incident" : "Incident not found" };
}

export default async function IncidentPage({ params }: { params: Params }) {
  const { id } = await params;
  const { principal } = await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}`);
  const incident = await loadIncident(id);
  if (!incident) notFound();
  // Impact figures need a finished run; while one is running the live panel shows progress instead.
  const overview = await getOverview(id).catch((err: unknown) => {
    console.error("[overview]", err);
    return null;
  });
  return (
    <div className="space-y-5">
      <IncidentView initial={incident} overview={overview} />
      {roleAtLeast(principal.role, "editor") ? <SharePanel incidentId={id} /> : null}
    </div>
  );
}
