import type { Metadata } from "next";
import { Suspense } from "react";
import { notFound, redirect } from "next/navigation";
import { getIncidentHeader } from "@/lib/server/views/overview";
import { fileIdForPath, getTimelineFirstView, getTimelineMeta, resolveEvidenceLink } from "@/lib/server/views/timeline";
import { TimelineView } from "@/components/views/timeline/TimelineView";
import { pageAccess } from "@/lib/server/auth/page";

type Params = Promise<{ id: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

export const metadata: Metadata = { title: "Timeline" };
export const dynamic = "force-dynamic";

/**
 * Timeline view. Evidence links arrive as ?file=<path>&line=<n>; they are resolved here to the
 * stored record and redirected to ?record=<id> (the canonical, shareable form).
 */
export default async function TimelinePage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/timeline`);
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? (sp[k] as string) : undefined);
  if (!(await getIncidentHeader(id))) notFound();
  let notice: string | null = null;
  const file = one("file");
  if (file) {
    const rest = new URLSearchParams();
    for (const [k, v] of Object.entries(sp)) if (typeof v === "string" && k !== "file" && k !== "line") rest.set(k, v);
    const line = Number(one("line"));
    if (Number.isInteger(line) && line > 0) {
      const record = await resolveEvidenceLink(id, file, line);
      if (record !== null) {
        rest.set("record", String(record));
        redirect(`/incidents/${encodeURIComponent(id)}/timeline?${rest}`);
      }
      notice = `No stored record for ${file}:${line} — the file may not have been parsed. Showing the whole timeline.`;
    } else {
      const fileId = await fileIdForPath(id, file);
      if (fileId) {
        rest.set("fileId", fileId);
        redirect(`/incidents/${encodeURIComponent(id)}/timeline?${rest}`);
      }
      notice = `No file ${file} in this incident. Showing the whole timeline.`;
    }
  }
  const meta = await getTimelineMeta(id);
  // The first page of rows and the chart come with the HTML: no round trip before anything shows.
  const urlParams = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) if (typeof v === "string") urlParams.set(k, v);
  const initial = await getTimelineFirstView(id, meta, urlParams);
  return (
    <Suspense fallback={<p className="text-sm text-muted">Loading timeline…</p>}>
      <TimelineView incidentId={id} meta={meta} notice={notice} initial={initial} />
    </Suspense>
  );
}
