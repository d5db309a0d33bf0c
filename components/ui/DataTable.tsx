"use client";

import type { ReactNode } from "react";
import { flexRender, type Table } from "@tanstack/react-table";
import { integer } from "@/components/format";
import { SortIndicator } from "./SortIndicator";

/** Server-side sorting: the URL holds the column and direction; a header click asks for the next. */
export interface DataTableSort {
  column: string;
  dir: "asc" | "desc";
  onToggle(columnId: string): void;
}

/**
 * A TanStack table of one page of server rows: column widths from `meta.width`, numeric columns
 * right-aligned (`meta.numeric`), sortable headers when `sort` is given (columns that can sort:
 * accessor columns not marked `enableSorting: false`), and one full-width cell saying why there
 * are no rows. Used by the incidents list and the search results.
 *
 * `rows`: "line" rows are one line high (truncate inside cells); "wrap" rows grow with their text.
 */
export function DataTable<T>({
  table,
  caption,
  className,
  pending = false,
  sort,
  rows = "line",
  empty,
}: {
  table: Table<T>;
  caption: string;
  /** The table's own classes, e.g. its min-width. */
  className: string;
  pending?: boolean;
  sort?: DataTableSort;
  rows?: "line" | "wrap";
  /** Shown across the table when the page has no rows. */
  empty: ReactNode;
}) {
  const columns = table.getVisibleLeafColumns();
  const align = (numeric: boolean | undefined) => (numeric ? "text-right" : "text-left");
  return (
    <div className={`overflow-x-auto rounded-lg border border-line bg-surface transition-opacity ${pending ? "opacity-60" : ""}`} aria-busy={pending}>
      <table className={`w-full table-fixed border-collapse text-sm ${className}`}>
        <caption className="sr-only">{caption}</caption>
        <colgroup>
          {columns.map((c) => (
            <col key={c.id} style={{ width: c.columnDef.meta?.width === "auto" ? undefined : c.columnDef.meta?.width }} />
          ))}
        </colgroup>
        <thead className="border-b border-line bg-subtle/60 text-xs text-muted">
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((header) => {
                const numeric = header.column.columnDef.meta?.numeric;
                const label = flexRender(header.column.columnDef.header, header.getContext());
                if (!sort || !header.column.getCanSort()) {
                  return (
                    <th key={header.id} scope="col" className={`px-3 py-2 font-medium ${align(numeric)}`}>
                      {label}
                    </th>
                  );
                }
                const active = sort.column === header.column.id;
                return (
                  <th key={header.id} scope="col" aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"} className={`px-3 py-2 font-medium ${align(numeric)}`}>
                    <button
                      type="button"
                      onClick={() => sort.onToggle(header.column.id)}
                      className={`inline-flex items-center gap-1 rounded hover:text-fg ${active ? "text-fg" : ""} ${numeric ? "flex-row-reverse" : ""}`}
                    >
                      {label}
                      <SortIndicator direction={active ? sort.dir : null} />
                    </button>
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id} className={`border-b border-line last:border-b-0 hover:bg-subtle/60 ${rows === "wrap" ? "align-top" : ""}`}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} className={`overflow-hidden px-3 ${rows === "wrap" ? "py-2" : "h-10"} ${align(cell.column.columnDef.meta?.numeric)}`}>
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
          {table.getRowModel().rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="px-3 py-12 text-center">
                {empty}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Pages of a server-paginated list: rows per page, "51–75 of 312", first / previous / next / last.
 * The page and its size live in the URL; `onPage` and `onPageSize` write them.
 */
export function Paginator({
  label,
  id,
  page,
  pageSize,
  total,
  pageSizes,
  onPage,
  onPageSize,
}: {
  /** The nav's accessible name ("Pagination", "Result pages"). */
  label: string;
  /** Id of the rows-per-page select (its label points at it). */
  id: string;
  page: number;
  pageSize: number;
  total: number;
  pageSizes: readonly number[];
  onPage(page: number): void;
  onPageSize(pageSize: number): void;
}) {
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav aria-label={label} className="flex flex-wrap items-center gap-3 text-sm">
      <div className="flex items-center gap-2">
        <label htmlFor={id} className="text-xs text-muted">
          Rows per page
        </label>
        <select id={id} value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))} className="num h-7 rounded-md border border-line-strong bg-surface px-1.5 text-sm">
          {pageSizes.includes(pageSize) ? null : <option value={pageSize}>{pageSize}</option>}
          {pageSizes.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
      <p className="num text-xs text-muted">
        {integer(from)}–{integer(to)} of {integer(total)}
      </p>
      <div className="ml-auto flex items-center gap-1">
        <PageButton label="First page" disabled={page <= 1} onClick={() => onPage(1)}>
          «
        </PageButton>
        <PageButton label="Previous page" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          ‹ Prev
        </PageButton>
        <span className="num px-2 text-xs text-muted">
          Page {integer(page)} of {integer(pageCount)}
        </span>
        <PageButton label="Next page" disabled={page >= pageCount} onClick={() => onPage(page + 1)}>
          Next ›
        </PageButton>
        <PageButton label="Last page" disabled={page >= pageCount} onClick={() => onPage(pageCount)}>
          »
        </PageButton>
      </div>
    </nav>
  );
}

function PageButton({ label, disabled, onClick, children }: { label: string; disabled: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      disabled={disabled}
      onClick={onClick}
      className="h-7 min-w-7 rounded-md border border-line bg-surface px-2 text-sm hover:bg-subtle disabled:cursor-not-allowed disabled:opacity-40 disabled:hover:bg-surface"
    >
      {children}
    </button>
  );
}
