"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { SEARCH_PAGE_SIZES, type SearchHit, type SearchPlace, type SearchResultDto } from "@/lib/schemas/search";
import { absoluteTime, integer } from "@/components/format";
import { ConfidencePill } from "@/components/incidents/IncidentsTable";
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
  const from = data.total === 0 ? 0 : (data.page - 1) * data.pageSize + 1;
  const to = Math.min(data.total, data.page * data.pageSize);

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
      <div className={`overflow-x-auto rounded-lg border border-line bg-surface ${pending ? "opacity-60" : ""}`} aria-busy={pending}>
        <table className="w-full min-w-[900px] table-fixed border-collapse text-sm">
          <caption className="sr-only">
            Search results, page {data.page} of {pages}: incident, where it matched, the text around the match, date and top hypothesis
          </caption>
          <colgroup>
            {table.getVisibleLeafColumns().map((c) => (
              <col key={c.id} style={{ width: c.columnDef.meta?.width === "auto" ? undefined : c.columnDef.meta?.width }} />
            ))}
          </colgroup>
          <thead className="border-b border-line bg-subtle/60 text-xs text-muted">
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => (
                  <th key={h.id} scope="col" className="px-3 py-2 text-left font-medium">
                    {flexRender(h.column.columnDef.header, h.getContext())}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id} className="border-b border-line align-top last:border-b-0 hover:bg-subtle/60">
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} className="overflow-hidden px-3 py-2">
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))}
            {data.hits.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="px-3 py-10 text-center">
                  {data.total > 0 ? (
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
                  )}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {data.total > 0 ? (
        <nav aria-label="Result pages" className="flex flex-wrap items-center gap-3 text-sm">
          <div className="flex items-center gap-2">
            <label htmlFor="search-page-size" className="text-xs text-muted">
              Rows per page
            </label>
            <select id="search-page-size" value={data.pageSize} onChange={(e) => go(1, Number(e.target.value))} className="num h-7 rounded-md border border-line-strong bg-surface px-1.5 text-sm">
              {(SEARCH_PAGE_SIZES as readonly number[]).includes(data.pageSize) ? null : <option value={data.pageSize}>{data.pageSize}</option>}
              {SEARCH_PAGE_SIZES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <p className="num text-xs text-muted">
            {integer(from)}–{integer(to)} of {integer(data.total)}
          </p>
          <div className="ml-auto flex items-center gap-1">
            <button type="button" disabled={data.page <= 1} onClick={() => go(data.page - 1)} className="h-7 rounded-md border border-line bg-surface px-2 text-sm hover:bg-subtle disabled:cursor-not-allowed disabled:opacity-40">
              ‹ Prev
            </button>
            <span className="num px-2 text-xs text-muted">
              Page {integer(data.page)} of {integer(pages)}
            </span>
            <button type="button" disabled={data.page >= pages} onClick={() => go(data.page + 1)} className="h-7 rounded-md border border-line bg-surface px-2 text-sm hover:bg-subtle disabled:cursor-not-allowed disabled:opacity-40">
              Next ›
            </button>
          </div>
        </nav>
      ) : null}
    </section>
  );
}
