import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { NotFoundError, NotReadyError } from "@/lib/server/errors";
import { getDraft } from "@/lib/server/services/draft";
import { DraftEditor } from "@/components/draft/DraftEditor";
import { pageAccess } from "@/lib/server/auth/page";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Postmortem draft" };

/** The postmortem draft editor (issue 6), inside the incident layout's "Draft" tab. */
export default async function DraftPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/draft`);
  let draft: Awaited<ReturnType<typeof getDraft>> | null = null;
  try {
    draft = await getDraft(id);
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    if (!(err instanceof NotReadyError)) throw err;
  }
  if (!draft) {
    return <p className="rounded border border-zinc-200 p-4 text-sm text-zinc-600 dark:border-zinc-800">The draft is generated when the analysis finishes. Come back when the run is complete.</p>;
  }
  return <DraftEditor initial={draft} />;
}
