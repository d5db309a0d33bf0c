import type { Metadata } from "next";
import { NetworkQuery } from "@/lib/schemas/views-network";
import { getNetworkView } from "@/lib/server/views/network";
import { NetworkView } from "@/components/views/network/NetworkView";
import { ViewError } from "@/components/views/rules/ViewError";
import { pageAccess } from "@/lib/server/auth/page";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Network state" };

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function NetworkPage({ params, searchParams }: Props) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/network`);
  const sp = await searchParams;
  const parsed = NetworkQuery.safeParse(Object.fromEntries(Object.entries(sp).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  if (!parsed.success) return <ViewError message={`Bad view parameters: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`} />;
  // Load first, render after: JSX built inside try/catch would not catch rendering errors anyway.
  let data: Awaited<ReturnType<typeof getNetworkView>>;
  try {
    data = await getNetworkView(id, parsed.data);
  } catch (err) {
    return <ViewError message={err instanceof Error ? err.message : "Could not load network state."} />;
  }
  return <NetworkView incidentId={id} data={data} node={parsed.data.node ?? null} staleOnly={parsed.data.stale} />;
}
