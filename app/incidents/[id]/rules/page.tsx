import type { Metadata } from "next";
import { RulesQuery } from "@/lib/schemas/views-rules";
import { getRulesView } from "@/lib/server/views/rule-diff";
import { RulesView } from "@/components/views/rules/RulesView";
import { ViewError } from "@/components/views/rules/ViewError";
import { pageAccess } from "@/lib/server/auth/page";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Rule-order diff" };

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function RulesPage({ params, searchParams }: Props) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/rules`);
  const sp = await searchParams;
  const parsed = RulesQuery.safeParse(Object.fromEntries(Object.entries(sp).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  if (!parsed.success) return <ViewError message={`Bad view parameters: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`} />;
  // Load first, render after: JSX built inside try/catch would not catch rendering errors anyway.
  let data: Awaited<ReturnType<typeof getRulesView>>;
  try {
    data = await getRulesView(id, parsed.data);
  } catch (err) {
    return <ViewError message={err instanceof Error ? err.message : "Could not build the diff."} />;
  }
  return <RulesView incidentId={id} data={data} filter={parsed.data.filter} unchanged={parsed.data.unchanged} />;
}
