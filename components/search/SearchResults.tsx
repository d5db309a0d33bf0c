"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { SEARCH_PAGE_SIZES, type SearchHit, type SearchPlace, type SearchResultDto } from "@/lib/schemas/search";
import { absoluteTime, integer } from "@/components/format";
import { ConfidencePill } from "@/components/incidents/IncidentsTable";
import { DataTable, Paginator } from "@/components/ui/DataTable";
import { searchHref, type SearchFormValues } from "./url";

const PLACE_LABEL: Record<SearchPlace, string> = {
  title: "title",
  summary: "summary",
  hypothesis: "hypothesis",
  timeline: "timeline",
  draft: "draft",
  filters: "filters",
};

const col = createColumnHelper<SearchHit>();

const columns = [
  col.accessor("title", {
    header: "Incident",
    meta: { width: "22%" },
    cell: (info) => (
      <Link href={`/incidents/${encodeURIComponent(info.row.original.incidentId)}`} className="line-clamp-2 font-medium text-fg hover:text-accent hover:underline" title={info.getValue()}>
        {info.getValue() || <span className="italic text-muted">(untitled)</span>}
      </Link>
    ),
  }),
  col.accessor("where", {
    header: "Where",
    meta: { width: "7rem" },
    cell: (info) => <span className="rounded bg-subtle px-1.5 py-0.5 text-xs font-medium">{PLACE_LABEL[info.getValue()]}</span>,
  }),
  col.display({
    id: "match",
    header: "What matched",
    meta: { width: "auto" },
    cell: (info) => {
      const h = info.row.original;
      return (
        <div className="min-w-0 space-y-0.5 py-1">
          <Link href={h.href} prefetch={false} className="block text-xs font-medium text-accent hover:underline">
            {h.detail}
            {h.more > 0 ? <span className="font-normal text-muted"> · +{integer(h.more)} more</span> : null}
          </Link>
          {h.snippet ? (
            <p className="text-sm break-words">
              <span className="text-muted">{h.snippet.before}</span>
              <mark className="rounded-sm bg-amber-200 px-0.5 text-fg dark:bg-amber-400/30">{h.snippet.match}</mark>
              <span className="text-muted">{h.snippet.after}</span>
            </p>
          ) : null}
        </div>
      );
    },
  }),
  col.accessor("occurredAt", {
    header: "Date",
    meta: { width: "10.5rem" },
    cell: (info) => <span className="num font-mono text-xs text-muted">{absoluteTime(info.getValue()).replace(/:\d\d UTC$/, " UTC")}</span>,
  }),
  col.accessor("topHypothesis", {
    header: "Top hypothesis",
    meta: { width: "24%" },
    cell: (info) => {
      const h = info.row.original;
      if (!h.topHypothesis) return <span className="text-faint">—</span>;
      return (
        <span className="flex min-w-0 items-center gap-2">
          <ConfidencePill value={h.topConfidence} />
          <span className="line-clamp-2 text-xs" title={h.topHypothesis}>
            {h.topHypothesis}
          </span>
        </span>
      );
    },
  }),
];

/** One row per incident and place that matched; pages come from the server (the URL's page). */
export function SearchResults({ data, values }: { data: SearchResultDto; values: SearchFormValues }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const table = useReactTable({
    data: data.hits,
    columns,
    getRowId: (h, i) => `${h.incidentId}:${h.where}:${i}`,
    getCoreRowModel: getCoreRowModel(),
    manualPagination: true,
    rowCount: data.total,
  });
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const go = (page: number, pageSize = data.pageSize) => startTransition(() => router.push(searchHref({ ...values, page, pageSize })));

  return (
    <section aria-labelledby="results-heading" className="space-y-3">
      <div className="flex flex-wrap items-baseline gap-x-3">
        <h2 id="results-heading" className="text-sm font-semibold">
          Results
        </h2>
        <p className="num text-xs text-muted" aria-live="polite">
          {pending ? "Loading…" : `${integer(data.total)} match${data.total === 1 ? "" : "es"} in ${integer(data.incidents)} incident${data.incidents === 1 ? "" : "s"}`}
        </p>
      </div>
      {data.notes.map((n) => (
        <p key={n} role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-1.5 text-xs text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200">
          {n}
        </p>
      ))}
      <DataTable
        table={table}
        caption={`Search results, page ${data.page} of ${pages}: incident, where it matched, the text around the match, date and top hypothesis`}
        className="min-w-[900px]"
        pending={pending}
        rows="wrap"
        empty={
          data.total > 0 ? (
            <>
              <p className="font-medium">This page is past the end of the results.</p>
              <button type="button" className="mt-1 text-accent underline" onClick={() => go(1)}>
                Go to the first page
              </button>
            </>
          ) : (
            <>
              <p className="font-medium">Nothing matches.</p>
              <p className="mt-1 text-muted">Try a shorter word, fewer filters, or a wider date range. Text matches titles, summaries, drafts, human timeline entries and hypotheses.</p>
            </>
          )
        }
      />
      {data.total > 0 ? (
        <Paginator
          label="Result pages"
          id="search-page-size"
          page={data.page}
          pageSize={data.pageSize}
          total={data.total}
          pageSizes={SEARCH_PAGE_SIZES}
          onPage={(page) => go(page)}
          onPageSize={(pageSize) => go(1, pageSize)}
        />
      ) : null}
    </section>
  );
}
