import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { LatencyQuery } from "@/lib/schemas/views-latency";
import { getIncidentHeader } from "@/lib/server/views/overview";
import { getLatency } from "@/lib/server/views/latency";
import { LatencyView } from "@/components/views/latency/LatencyView";
import { pageAccess } from "@/lib/server/auth/page";

export const metadata: Metadata = { title: "Latency" };
export const dynamic = "force-dynamic";

/** Latency view: server-side aggregation (merged HdrHistograms, bounded comparison sample); ?service= selects. */
export default async function LatencyPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/latency`);
  const sp = await searchParams;
  if (!(await getIncidentHeader(id))) notFound();
  const query = LatencyQuery.safeParse({ service: typeof sp.service === "string" ? sp.service : undefined });
  const data = await getLatency(id, query.success ? query.data : {});
  return <LatencyView incidentId={id} data={data} />;
}
