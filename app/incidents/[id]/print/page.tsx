import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { NotFoundError, NotReadyError } from "@/lib/server/errors";
import { printableDraft } from "@/lib/server/services/cached-reads";
import { Markdown } from "@/components/draft/markdown";
import { PrintButton } from "@/components/draft/PrintButton";
import { pageAccess } from "@/lib/server/auth/page";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Postmortem (print)" };

/**
 * Print-friendly draft: one column, black on white, links shown with their targets, no app chrome
 * when printed (the incident header and tabs are hidden by the print stylesheet below).
 */
export default async function PrintPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await pageAccess("viewer", `/incidents/${encodeURIComponent(id)}/print`);
  let markdown: string;
  try {
    markdown = await printableDraft(id);
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    if (err instanceof NotReadyError) return <p className="text-sm">The analysis has not finished yet.</p>;
    throw err;
  }
  return (
    <div className="draft-print mx-auto max-w-3xl bg-white p-6 text-black">
      <style>{`
        @media print {
          @page { margin: 16mm; }
          body { background: #fff !important; color: #000 !important; }
          body header, body nav, .no-print { display: none !important; }
          .draft-print { max-width: none; padding: 0; }
          .draft-print a { color: #000; text-decoration: underline; }
          .draft-print table, .draft-print pre, .draft-print li { break-inside: avoid; }
          .draft-print h2 { break-after: avoid; }
        }
        .draft-print h2 { margin-top: 1.5rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
      `}</style>
      <div className="no-print mb-4 flex justify-end">
        <PrintButton />
      </div>
      <article data-testid="print-article">
        <Markdown source={markdown} />
      </article>
    </div>
  );
}
