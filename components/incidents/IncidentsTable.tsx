"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, useTransition } from "react";
import {
  createColumnHelper,
  getCoreRowModel,
  useReactTable,
  type RowSelectionState,
  type SortingState,
} from "@tanstack/react-table";
import { IncidentStatus, type IncidentListDto, type IncidentListQuery, type IncidentSummaryDto } from "@/lib/schemas/api";
import { MAX_COMPARE } from "@/lib/schemas/compare";
import { humanBytes, integer, percent } from "@/components/format";
import { StatusBadge } from "@/components/ui/StatusBadge";
import { RelativeTime } from "@/components/ui/RelativeTime";
import { DataTable, Paginator } from "@/components/ui/DataTable";

type SortKey = IncidentListQuery["sort"];
const SORT_KEYS: readonly SortKey[] = ["title", "createdAt", "status", "fileCount", "totalBytes", "topConfidence"];
const PAGE_SIZES = [10, 25, 50, 100, 200] as const;
const DEFAULTS = { page: 1, pageSize: 25, sort: "createdAt", dir: "desc" } as const;

const col = createColumnHelper<IncidentSummaryDto>();

const columns = [
  // Row checkboxes pick incidents for /compare (selection survives paging: rows are keyed by id).
  col.display({
    id: "select",
    header: () => <span className="sr-only">Select for comparison</span>,
    meta: { width: "2.5rem" },
    cell: ({ row }) => (
      <input
        type="checkbox"
        checked={row.getIsSelected()}
        disabled={!row.getCanSelect()}
        onChange={row.getToggleSelectedHandler()}
        aria-label={`Select ${row.original.title || row.original.id} for comparison`}
        title={row.getCanSelect() ? "Select for comparison" : `At most ${MAX_COMPARE} incidents can be compared`}
        className="block size-4 accent-[var(--hs-accent)] disabled:opacity-40"
      />
    ),
  }),
  col.accessor("title", {
    header: "Title",
    meta: { width: "auto" },
    cell: (info) => {
      const row = info.row.original;
      return (
        <span className="flex min-w-0 items-center gap-2">
          <Link
            href={`/incidents/${encodeURIComponent(row.id)}`}
            className="truncate font-medium text-fg hover:text-accent hover:underline"
            title={row.title}
          >
            {row.title || <span className="italic text-muted">(untitled)</span>}
          </Link>
          {row.isSample ? (
            <span className="shrink-0 rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">sample</span>
          ) : null}
        </span>
      );
    },
  }),
  col.accessor("createdAt", {
    header: "Created",
    meta: { width: "8.5rem" },
    cell: (info) => <RelativeTime iso={info.getValue()} className="num text-muted" />,
  }),
  col.accessor("status", {
    header: "Status",
    meta: { width: "7.5rem" },
    cell: (info) => <StatusBadge status={info.getValue()} />,
  }),
  col.accessor("fileCount", {
    header: "Files",
    meta: { width: "5rem", numeric: true },
    cell: (info) => <span className="num font-mono">{integer(info.getValue())}</span>,
  }),
  col.accessor("totalBytes", {
    header: "Size",
    meta: { width: "6.5rem", numeric: true },
    cell: (info) => <span className="num font-mono">{humanBytes(info.getValue())}</span>,
  }),
  col.accessor("topConfidence", {
    header: "Top hypothesis",
    meta: { width: "32%" },
    cell: (info) => {
      const row = info.row.original;
      if (!row.topHypothesis) return <span className="text-faint">—</span>;
      return (
        <span className="flex min-w-0 items-center gap-2">
          <ConfidencePill value={row.topConfidence} />
          <span className="truncate" title={row.topHypothesis}>
            {row.topHypothesis}
          </span>
        </span>
      );
    },
  }),
];

export function ConfidencePill({ value }: { value: number | null }) {
  if (value == null) return <span className="text-faint">—</span>;
  const strong = value >= 0.5;
  return (
    <span
      className={`num inline-block w-11 shrink-0 rounded px-1 text-center font-mono text-xs ${
        strong ? "bg-accent-soft font-semibold text-accent" : "bg-subtle text-muted"
      }`}
      title={`Confidence ${percent(value)}`}
    >
      {percent(value)}
    </span>
  );
}

export function IncidentsTable({ data, query }: { data: IncidentListDto; query: IncidentListQuery }) {
  const router = useRouter();
  const pathname = usePathname() ?? "/";
  const [pending, startTransition] = useTransition();
  const [q, setQ] = useState(query.q ?? "");
  const lastPushedQ = useRef(query.q ?? "");

  const pageCount = Math.max(1, Math.ceil(data.total / data.pageSize));
  const filtered = Boolean(query.q || query.status);

  /** Writes the new state into the URL; the server component re-renders with it. */
  function navigate(patch: Partial<Record<keyof IncidentListQuery, string | number | undefined>>) {
    const next: Record<string, string | number | undefined> = {
      page: query.page,
      pageSize: query.pageSize,
      sort: query.sort,
      dir: query.dir,
      q: query.q,
      status: query.status,
      ...patch,
    };
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined || value === "") continue;
      if (key in DEFAULTS && DEFAULTS[key as keyof typeof DEFAULTS] === value) continue;
      params.set(key, String(value));
    }
    const search = params.toString();
    startTransition(() => {
      router.replace(search ? `${pathname}?${search}` : pathname, { scroll: false });
    });
  }

  // Debounced text filter: 300 ms after the last keystroke, back to page 1.
  useEffect(() => {
    const trimmed = q.trim();
    if (trimmed === (query.q ?? "") || trimmed === lastPushedQ.current) return;
    const timer = window.setTimeout(() => {
      lastPushedQ.current = trimmed;
      navigate({ q: trimmed || undefined, page: 1 });
    }, 300);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  // Keep the box in sync when the URL changes from elsewhere (back button, "clear filters").
  useEffect(() => {
    lastPushedQ.current = query.q ?? "";
    setQ((current) => (current.trim() === (query.q ?? "") ? current : (query.q ?? "")));
  }, [query.q]);

  // While something is being processed, refresh the list so statuses move on their own.
  const anyActive = data.items.some((i) => i.status === "new" || i.status === "processing");
  useEffect(() => {
    if (!anyActive) return;
    const timer = window.setInterval(() => router.refresh(), 3000);
    return () => window.clearInterval(timer);
  }, [anyActive, router]);

  const sorting: SortingState = useMemo(() => [{ id: query.sort, desc: query.dir === "desc" }], [query.sort, query.dir]);
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const selectedIds = Object.keys(rowSelection).filter((k) => rowSelection[k]);

  const table = useReactTable({
    data: data.items,
    columns,
    getRowId: (row) => row.id,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    manualFiltering: true,
    enableMultiSort: false,
    sortDescFirst: false,
    rowCount: data.total,
    state: { sorting, pagination: { pageIndex: data.page - 1, pageSize: data.pageSize }, rowSelection },
    enableRowSelection: (row) => selectedIds.length < MAX_COMPARE || !!rowSelection[row.id],
    onRowSelectionChange: setRowSelection,
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      const first = next[0];
      if (!first || !SORT_KEYS.includes(first.id as SortKey)) {
        navigate({ sort: DEFAULTS.sort, dir: DEFAULTS.dir, page: 1 });
        return;
      }
      navigate({ sort: first.id, dir: first.desc ? "desc" : "asc", page: 1 });
    },
  });

  function toggleSort(id: string) {
    // Same column: flip; new column: numbers and dates start descending, text ascending.
    if (query.sort === id) navigate({ dir: query.dir === "asc" ? "desc" : "asc", page: 1 });
    else navigate({ sort: id, dir: id === "title" || id === "status" ? "asc" : "desc", page: 1 });
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3" role="search" aria-label="Filter incidents">
        <div className="flex flex-col gap-1">
          <label htmlFor="incident-q" className="text-xs font-medium text-muted">
            Search
          </label>
          <input
            id="incident-q"
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                const trimmed = q.trim();
                lastPushedQ.current = trimmed;
                navigate({ q: trimmed || undefined, page: 1 });
              }
            }}
            maxLength={200}
            placeholder="Title or hypothesis…"
            className="h-8 w-72 rounded-md border border-line-strong bg-surface px-2.5 text-sm placeholder:text-faint focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30"
          />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="incident-status" className="text-xs font-medium text-muted">
            Status
          </label>
          <select
            id="incident-status"
            value={query.status ?? ""}
            onChange={(e) => navigate({ status: e.target.value || undefined, page: 1 })}
            className="h-8 rounded-md border border-line-strong bg-surface px-2 text-sm focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30"
          >
            <option value="">All statuses</option>
            {IncidentStatus.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        {filtered ? (
          <button
            type="button"
            onClick={() => {
              setQ("");
              lastPushedQ.current = "";
              navigate({ q: undefined, status: undefined, page: 1 });
            }}
            className="h-8 rounded-md px-2.5 text-sm text-muted hover:bg-subtle hover:text-fg"
          >
            Clear filters
          </button>
        ) : null}
        <div className="ml-auto flex items-center gap-2 self-center" aria-live="polite">
          {selectedIds.length > 0 ? (
            <>
              <span className="num text-xs text-muted">{selectedIds.length} selected</span>
              {selectedIds.length >= 2 ? (
                <Link
                  href={`/compare?ids=${selectedIds.map(encodeURIComponent).join(",")}`}
                  className="rounded-md bg-accent px-2.5 py-1 text-sm font-medium text-accent-fg hover:bg-accent-hover"
                >
                  Compare {selectedIds.length}
                </Link>
              ) : (
                <span className="text-xs text-muted">select one more to compare</span>
              )}
              <button type="button" onClick={() => setRowSelection({})} className="rounded-md px-2 py-1 text-xs text-muted hover:bg-subtle hover:text-fg">
                Clear selection
              </button>
            </>
          ) : null}
          <p className="num text-xs text-muted">{pending ? "Loading…" : `${integer(data.total)} incident${data.total === 1 ? "" : "s"}`}</p>
        </div>
      </div>

      <DataTable
        table={table}
        caption={`Incidents, sorted by ${query.sort} ${query.dir === "asc" ? "ascending" : "descending"}, page ${data.page} of ${pageCount}`}
        className="min-w-[980px]"
        pending={pending}
        sort={{ column: query.sort, dir: query.dir, onToggle: toggleSort }}
        empty={
          filtered ? (
            <>
              <p className="font-medium">No incidents match these filters.</p>
              <p className="mt-1 text-muted">
                Try a shorter search, another status, or{" "}
                <button
                  type="button"
                  className="text-accent underline"
                  onClick={() => {
                    setQ("");
                    navigate({ q: undefined, status: undefined, page: 1 });
                  }}
                >
                  clear the filters
                </button>
                .
              </p>
            </>
          ) : data.total > 0 ? (
            <>
              <p className="font-medium">This page is past the end of the list.</p>
              <button type="button" className="mt-1 text-accent underline" onClick={() => navigate({ page: 1 })}>
                Go to the first page
              </button>
            </>
          ) : (
            <>
              <p className="font-medium">No incidents yet — create one</p>
              <p className="mt-1 text-muted">Upload logs, traces and dumps from an incident; Hindsight parses them and ranks root-cause hypotheses.</p>
              <Link href="/incidents/new" className="mt-3 inline-block rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover">
                New incident
              </Link>
            </>
          )
        }
      />

      <Paginator
        label="Pagination"
        id="incident-page-size"
        page={data.page}
        pageSize={data.pageSize}
        total={data.total}
        pageSizes={PAGE_SIZES}
        onPage={(page) => navigate({ page })}
        onPageSize={(pageSize) => navigate({ pageSize, page: 1 })}
      />
    </div>
  );
}
