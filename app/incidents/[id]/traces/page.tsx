import type { Metadata } from "next";
import { TracesQuery } from "@/lib/schemas/views-traces";
import { getTracesView } from "@/lib/server/views/traces";
import { TracesView } from "@/components/views/traces/TracesView";
import { ViewError } from "@/components/views/rules/ViewError";
import { pageAccess } from "@/lib/server/auth/page";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Traces" };

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function TracesPage({ params, searchParams }: Props) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/traces`);
  const sp = await searchParams;
  const parsed = TracesQuery.safeParse(Object.fromEntries(Object.entries(sp).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  if (!parsed.success) return <ViewError message={`Bad view parameters: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`} />;
  // Load first, render after: JSX built inside try/catch would not catch rendering errors anyway.
  let data: Awaited<ReturnType<typeof getTracesView>>;
  try {
    data = await getTracesView(id, parsed.data);
  } catch (err) {
    return <ViewError message={err instanceof Error ? err.message : "Could not load traces."} />;
  }
  return <TracesView incidentId={id} data={data} selected={parsed.data.trace ?? null} compare={parsed.data.compare ?? null} />;
}
