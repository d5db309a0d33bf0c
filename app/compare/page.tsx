import type { Metadata } from "next";
import { Suspense } from "react";
import { CompareQuery, MAX_COMPARE, type CompareDto } from "@/lib/schemas/compare";
import { pageAccess } from "@/lib/server/auth/page";
import { DomainError } from "@/lib/server/errors";
import { describeError } from "@/lib/server/http/errors";
import { getComparison } from "@/lib/server/services/compare";
import { listIncidents } from "@/lib/server/services/incidents";
import { getIncidentHeader } from "@/lib/server/views/overview";
import { Alert } from "@/components/ui/Alert";
import { EmptyState } from "@/components/ui/EmptyState";
import { ComparePicker } from "@/components/compare/ComparePicker";
import { CompareView } from "@/components/compare/CompareView";

export const metadata: Metadata = { title: "Compare incidents" };
export const dynamic = "force-dynamic";

type Search = Promise<Record<string, string | string[] | undefined>>;
const PICKER_OPTIONS = 200;

type Loaded = { kind: "ok"; data: CompareDto } | { kind: "error"; status: number; message: string } | { kind: "none" };

/**
 * /compare?ids=a,b[,c[,d]]&service&ra&rb — everything the comparison shows is in the URL. Fewer than
 * two or more than four ids, or unknown ones, get a message saying what to do instead of a chart.
 */
export default async function ComparePage({ searchParams }: { searchParams: Search }) {
  await pageAccess("viewer", "/compare");
  const sp = await searchParams;
  const flat = Object.fromEntries(Object.entries(sp).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : Array.isArray(v) && v[0] !== undefined ? [[k, v[0]]] : [])));
  const parsed = CompareQuery.safeParse(flat);
  const query = parsed.success ? parsed.data : CompareQuery.parse({ ids: "" });
  const options = (await listIncidents({ page: 1, pageSize: PICKER_OPTIONS, sort: "createdAt", dir: "desc" })).items;

  let loaded: Loaded = { kind: "none" };
  if (!parsed.success) loaded = { kind: "error", status: 422, message: `This comparison link is malformed (${parsed.error.issues.map((i) => i.message).join("; ")}). Choose the incidents again below.` };
  else if (query.ids.length >= 2) {
    loaded = await getComparison(query).then(
      (data): Loaded => ({ kind: "ok", data }),
      (err: unknown): Loaded => {
        // What the service refused (too few ids, unknown incident…), with the status the API would answer.
        const answer = err instanceof DomainError ? describeError(err) : null;
        if (answer) return { kind: "error", status: answer.status, message: answer.error.message };
        console.error("[compare]", err);
        return { kind: "error", status: 500, message: "The comparison could not be built — the server log has the details." };
      },
    );
  }
  const known = new Map(options.map((o) => [o.id, o.title]));
  if (loaded.kind === "ok") for (const inc of loaded.data.incidents) known.set(inc.id, inc.title);
  // Selected incidents older than the picker's list: one small read each (the URL holds a handful).
  for (const id of query.ids.filter((x) => !known.has(x)).slice(0, 10)) {
    const header = await getIncidentHeader(id);
    if (header) known.set(id, header.title);
  }
  const selected = query.ids.map((id) => ({ id, title: known.get(id) ?? null }));

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Compare incidents</h1>
        <p className="text-sm text-muted">
          Two to {MAX_COMPARE} incidents side by side: key figures, timelines aligned at onset, hypotheses in common, iptables across incidents, latency overlaid.
          The address of this page reproduces the comparison.
        </p>
      </div>
      <Suspense fallback={null}>
        <ComparePicker selected={selected} options={options.map((o) => ({ id: o.id, title: o.title, createdAt: o.createdAt, status: o.status }))} service={query.service ?? null} span={query.span ?? null} />
      </Suspense>
      {loaded.kind === "error" ? (
        <Alert tone={loaded.status >= 500 ? "error" : "warning"} role="alert" title={loaded.status === 404 ? "Unknown incident" : loaded.status === 422 ? "Cannot compare these" : "Comparison failed"}>
          {loaded.message}
          {loaded.status === 404 ? " Remove it above, or pick another incident to compare." : null}
        </Alert>
      ) : null}
      {loaded.kind === "none" ? (
        <EmptyState title={query.ids.length === 1 ? "Pick one more incident to compare" : "Pick two or more incidents to compare"}>
          {options.length < 2
            ? "A comparison needs at least two incidents, and there are fewer than two so far: upload another bundle first."
            : `Add incidents with “Add an incident” above (up to ${MAX_COMPARE}), or tick them in the incidents list and choose Compare.`}
        </EmptyState>
      ) : null}
      {loaded.kind === "ok" ? (
        <Suspense fallback={null}>
          <CompareView data={loaded.data} />
        </Suspense>
      ) : null}
    </div>
  );
}
