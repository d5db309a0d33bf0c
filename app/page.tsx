import Link from "next/link";
import { IncidentListQuery } from "@/lib/schemas/api";
import { listIncidents } from "@/lib/server/services/incidents";
import { pageAccess } from "@/lib/server/auth/page";
import { IncidentsTable } from "@/components/incidents/IncidentsTable";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * Validates the URL leniently: a bad value (say `?pageSize=abc`) falls back to its default instead of
 * failing the whole page, so a hand-edited or stale link still shows the list.
 */
function parseQuery(raw: Record<string, string | string[] | undefined>): IncidentListQuery {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== "") flat[key] = first;
  }
  const parsed = IncidentListQuery.safeParse(flat);
  if (parsed.success) return parsed.data;
  const bad = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
  for (const key of bad) delete flat[key];
  const retry = IncidentListQuery.safeParse(flat);
  return retry.success ? retry.data : IncidentListQuery.parse({});
}

export default async function IncidentsPage({ searchParams }: { searchParams: SearchParams }) {
  const { principal } = await pageAccess("viewer", "/");
  const query = parseQuery(await searchParams);
  const data = await listIncidents(query);
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between gap-4">
        <div>
          <h1 className="text-lg font-semibold tracking-tight">Incidents</h1>
          <p className="text-sm text-muted">Uploaded bundles, their analysis status and the most likely root cause.</p>
        </div>
        {principal.role === "viewer" ? null : (
          <Link href="/incidents/new" className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover">
            New incident
          </Link>
        )}
      </div>
      <IncidentsTable data={data} query={query} />
    </div>
  );
}
