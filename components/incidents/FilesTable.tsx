"use client";

import { Fragment, useMemo, useState } from "react";
import { useRouter } from "next/navigation";
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  getExpandedRowModel,
  getSortedRowModel,
  useReactTable,
  type ExpandedState,
  type SortingState,
} from "@tanstack/react-table";
import type { EvidenceFileDto } from "@/lib/schemas/api";
import { absoluteTime, humanBytes, integer, percent, shortSha, skewMs } from "@/components/format";
import { StatusBadge } from "@/components/ui/StatusBadge";
import { SortIndicator } from "@/components/ui/SortIndicator";
import { useCanEdit } from "@/components/auth/RoleContext";
import { patchFileAndFollow, type PatchStatus } from "./patch-file";

const INITIAL_ROWS = 300;
const STATUS_ORDER = { failed: 0, partial: 1, unrecognized: 2, pending: 3, parsed: 4 } as const;

const col = createColumnHelper<EvidenceFileDto>();

function hasDetails(f: EvidenceFileDto): boolean {
  return f.warnings.length > 0 || f.skippedSamples.length > 0 || f.error != null || f.node != null || f.clockSkewMs != null || f.capture != null;
}

function hasProblems(f: EvidenceFileDto): boolean {
  return f.status !== "parsed" || f.skipped > 0 || f.warnings.length > 0 || f.error != null;
}

const columns = [
  col.display({
    id: "expander",
    header: () => <span className="sr-only">Details</span>,
    meta: { width: "2.25rem" },
    cell: ({ row }) =>
      row.getCanExpand() ? (
        <button
          type="button"
          onClick={row.getToggleExpandedHandler()}
          aria-expanded={row.getIsExpanded()}
          aria-label={`${row.getIsExpanded() ? "Hide" : "Show"} details for ${row.original.path}`}
          className="inline-flex size-6 items-center justify-center rounded text-muted hover:bg-subtle hover:text-fg"
        >
          <span aria-hidden="true" className={`inline-block text-[10px] transition-transform ${row.getIsExpanded() ? "rotate-90" : ""}`}>
            ▶
          </span>
        </button>
      ) : null,
  }),
  col.accessor("path", {
    header: "Path",
    meta: { width: "auto" },
    cell: (info) => (
      <span className="block truncate font-mono text-xs" title={info.getValue()}>
        {info.getValue()}
      </span>
    ),
  }),
  col.accessor((f) => f.format ?? "", {
    id: "format",
    header: "Format",
    meta: { width: "11rem" },
    cell: (info) => {
      const format = info.row.original.format;
      return format ? (
        <span className="block truncate font-mono text-xs" title={format}>
          {format}
        </span>
      ) : (
        <span className="font-mono text-xs text-faint italic">unrecognized</span>
      );
    },
  }),
  col.accessor((f) => f.confidence ?? -1, {
    id: "confidence",
    header: "Conf.",
    meta: { width: "4.5rem", numeric: true },
    cell: (info) => <span className="num font-mono text-xs text-muted">{percent(info.row.original.confidence)}</span>,
  }),
  col.accessor((f) => STATUS_ORDER[f.status], {
    id: "status",
    header: "Status",
    meta: { width: "7.5rem" },
    cell: (info) => <StatusBadge status={info.row.original.status} />,
  }),
  col.accessor((f) => f.capture?.time ?? "", {
    id: "captured",
    header: "Captured",
    meta: { width: "11rem" },
    cell: (info) => {
      const c = info.row.original.capture;
      if (!c) return <span className="text-xs text-faint">—</span>;
      return (
        <span className="block text-xs" title={c.note ?? undefined}>
          <span className="num font-mono">{c.time ? c.time.slice(0, 19).replace("T", " ") : "unknown"}</span>
          <span className={`block text-[11px] ${c.basis === "assumed (name order)" ? "text-amber-700 dark:text-amber-300" : "text-muted"}`}>{c.basis}</span>
        </span>
      );
    },
  }),
  col.accessor("size", {
    header: "Size",
    meta: { width: "6rem", numeric: true },
    cell: (info) => <span className="num font-mono text-xs">{humanBytes(info.getValue())}</span>,
  }),
  col.accessor("records", {
    header: "Records",
    meta: { width: "6rem", numeric: true },
    cell: (info) => {
      const s = info.row.original.summary;
      return (
        <span className="num font-mono text-xs">
          {integer(info.getValue())}
          {s ? (
            <span
              className="block font-sans text-[11px] text-muted"
              title={`Summarised: every record is counted and aggregated; ${integer(s.notable)} notable (errors, flags, slow, retries) and ${integer(s.sampled)} sampled requests are stored as rows at ingest, the others are read back from the file (${integer(s.blocks)} blocks) when a view needs them.`}
            >
              summarised
            </span>
          ) : null}
        </span>
      );
    },
  }),
  col.accessor("skipped", {
    header: "Skipped",
    meta: { width: "5.5rem", numeric: true },
    cell: (info) => (
      <span className={`num font-mono text-xs ${info.getValue() > 0 ? "text-amber-700 dark:text-amber-300" : "text-faint"}`}>
        {integer(info.getValue())}
      </span>
    ),
  }),
  col.accessor((f) => f.warnings.length, {
    id: "warnings",
    header: "Warnings",
    meta: { width: "6rem", numeric: true },
    cell: (info) => (
      <span className={`num font-mono text-xs ${info.getValue() > 0 ? "text-amber-700 dark:text-amber-300" : "text-faint"}`}>
        {integer(info.getValue())}
      </span>
    ),
  }),
];

/**
 * A snapshot file's capture time, its basis in words, and (editors) a form to set or clear it:
 * PATCH {captureTime}, after which the file is parsed again with that time and the incident re-analysed.
 */
function CaptureTime({ incidentId, f }: { incidentId: string; f: EvidenceFileDto }) {
  const router = useRouter();
  const canEdit = useCanEdit();
  const c = f.capture!;
  const [value, setValue] = useState(c.time ?? "");
  const [status, setStatus] = useState<PatchStatus | null>(null);
  async function save(clear: boolean) {
    const text = value.trim();
    if (!clear && Number.isNaN(Date.parse(text))) return setStatus({ tone: "error", text: "Enter an ISO 8601 time with a zone, e.g. 2025-03-12T09:05:00Z." });
    try {
      await patchFileAndFollow(incidentId, f.id, { captureTime: clear ? null : new Date(text).toISOString() }, setStatus);
      router.refresh();
    } catch (err) {
      setStatus({ tone: "error", text: `Could not save: ${err instanceof Error ? err.message : "error"}` });
    }
  }
  return (
    <div className="space-y-1">
      <h4 className="font-semibold text-muted">Capture time</h4>
      <p>
        <span className="num font-mono text-fg">{c.time ? absoluteTime(c.time) : "unknown"}</span> — basis: <span className="font-medium">{c.basis}</span>
        {c.note ? <span className="text-muted"> ({c.note})</span> : null}
      </p>
      {canEdit ? (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void save(false);
          }}
        >
          <label htmlFor={`capture-${f.id}`} className="text-muted">
            Set capture time
          </label>
          <input
            id={`capture-${f.id}`}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder="2025-03-12T09:05:00Z"
            className="h-7 w-56 rounded-md border border-line-strong bg-surface px-2 font-mono text-xs focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30"
          />
          <button type="submit" className="rounded-md border border-line bg-surface px-2 py-1 hover:bg-subtle" aria-label={`Set capture time of ${f.path}`}>
            Set
          </button>
          {c.override ? (
            <button type="button" className="text-muted hover:text-fg hover:underline" onClick={() => void save(true)} aria-label={`Clear the capture time set for ${f.path}`}>
              clear
            </button>
          ) : null}
          {status ? (
            <span role="status" className={status.tone === "error" ? "text-red-700 dark:text-red-300" : "text-muted"}>
              {status.text}
            </span>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}

function FileDetails({ incidentId, f }: { incidentId: string; f: EvidenceFileDto }) {
  return (
    <div className="space-y-3 px-3 py-3 text-xs">
      <dl className="flex flex-wrap gap-x-5 gap-y-1 text-muted">
        <div className="flex gap-1">
          <dt>sha256</dt>
          <dd className="font-mono text-fg" title={f.sha256}>
            {shortSha(f.sha256, 16)}
          </dd>
        </div>
        {f.node ? (
          <div className="flex gap-1">
            <dt>node</dt>
            <dd className="font-mono text-fg">{f.node}</dd>
          </div>
        ) : null}
        {f.clockSkewMs != null ? (
          <div className="flex gap-1">
            <dt>clock skew</dt>
            <dd className="num font-mono text-fg">{skewMs(f.clockSkewMs)}</dd>
          </div>
        ) : null}
      </dl>
      {f.capture ? <CaptureTime incidentId={incidentId} f={f} /> : null}
      {f.error ? (
        <div className="rounded-md border border-red-300 bg-red-50 px-2.5 py-1.5 text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200">
          <span className="font-semibold">Error: </span>
          <span className="font-mono whitespace-pre-wrap break-words">{f.error}</span>
        </div>
      ) : null}
      {f.warnings.length > 0 ? (
        <div>
          <h4 className="mb-1 font-semibold text-muted">Warnings ({integer(f.warnings.length)})</h4>
          <ul className="divide-y divide-line rounded-md border border-line bg-surface">
            {f.warnings.map((w, i) => (
              <li key={i} className="flex gap-3 px-2.5 py-1">
                <span className="num w-16 shrink-0 text-right font-mono text-muted">{w.line != null ? `L${w.line}` : "—"}</span>
                <span className="break-words">{w.message}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {f.skippedSamples.length > 0 ? (
        <div>
          <h4 className="mb-1 font-semibold text-muted">
            Skipped lines — {integer(f.skippedSamples.length)} sample{f.skippedSamples.length === 1 ? "" : "s"} of {integer(f.skipped)}
          </h4>
          <ul className="divide-y divide-line rounded-md border border-line bg-surface">
            {f.skippedSamples.map((s, i) => (
              <li key={i} className="flex gap-3 px-2.5 py-1">
                <span className="num w-16 shrink-0 text-right font-mono text-muted">
                  {s.line != null ? `L${s.line}` : s.pointer ? s.pointer : "—"}
                </span>
                <div className="min-w-0 flex-1">
                  <div>{s.reason}</div>
                  {s.excerpt ? (
                    <pre className="mt-0.5 overflow-x-auto font-mono whitespace-pre-wrap break-all text-muted">{s.excerpt}</pre>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

export function FilesTable({ incidentId, files }: { incidentId: string; files: EvidenceFileDto[] }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [expanded, setExpanded] = useState<ExpandedState>({});
  const [filter, setFilter] = useState("");
  const [onlyProblems, setOnlyProblems] = useState(false);
  const [showAll, setShowAll] = useState(false);

  const problemCount = useMemo(() => files.filter(hasProblems).length, [files]);
  const visible = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return files.filter(
      (f) =>
        (!onlyProblems || hasProblems(f)) &&
        (!needle || f.path.toLowerCase().includes(needle) || (f.format ?? "unrecognized").toLowerCase().includes(needle)),
    );
  }, [files, filter, onlyProblems]);

  const table = useReactTable({
    data: visible,
    columns,
    state: { sorting, expanded },
    onSortingChange: setSorting,
    onExpandedChange: setExpanded,
    getRowId: (f) => f.id,
    getRowCanExpand: (row) => hasDetails(row.original),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getExpandedRowModel: getExpandedRowModel(),
    enableMultiSort: false,
  });

  const rows = table.getRowModel().rows;
  // Large bundles hold thousands of files: render a bounded number of rows unless asked.
  const topRows = rows.filter((r) => r.depth === 0);
  const shownRows = showAll ? topRows : topRows.slice(0, INITIAL_ROWS);

  return (
    <section aria-labelledby="files-heading" className="space-y-2">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <h2 id="files-heading" className="text-sm font-semibold">
          Files
        </h2>
        <span className="num font-mono text-xs text-muted">{integer(files.length)}</span>
        {problemCount > 0 ? (
          <span className="num text-xs text-amber-700 dark:text-amber-300">{integer(problemCount)} with problems</span>
        ) : null}
        <div className="ml-auto flex items-center gap-3">
          <label className="flex items-center gap-1.5 text-xs text-muted">
            <input type="checkbox" checked={onlyProblems} onChange={(e) => setOnlyProblems(e.target.checked)} className="accent-[var(--hs-accent)]" />
            Only files with problems
          </label>
          <label htmlFor="file-filter" className="sr-only">
            Filter files by path or format
          </label>
          <input
            id="file-filter"
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Filter path or format…"
            className="h-7 w-56 rounded-md border border-line-strong bg-surface px-2 text-xs placeholder:text-faint focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30"
          />
        </div>
      </div>
      <div className="overflow-x-auto rounded-lg border border-line bg-surface">
        <table className="w-full min-w-[1060px] table-fixed border-collapse text-sm">
          <caption className="sr-only">Files in this incident; expand a row for warnings, skipped lines and the capture time of a snapshot</caption>
          <colgroup>
            {table.getVisibleLeafColumns().map((c) => (
              <col key={c.id} style={{ width: c.columnDef.meta?.width === "auto" ? undefined : c.columnDef.meta?.width }} />
            ))}
          </colgroup>
          <thead className="border-b border-line bg-subtle/60 text-xs text-muted">
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const numeric = header.column.columnDef.meta?.numeric;
                  const canSort = header.column.getCanSort();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      aria-sort={canSort ? (sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none") : undefined}
                      className={`px-3 py-2 font-medium ${numeric ? "text-right" : "text-left"}`}
                    >
                      {canSort ? (
                        <button
                          type="button"
                          onClick={header.column.getToggleSortingHandler()}
                          className={`inline-flex items-center gap-1 rounded hover:text-fg ${sorted ? "text-fg" : ""} ${numeric ? "flex-row-reverse" : ""}`}
                        >
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <SortIndicator direction={sorted} />
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {shownRows.map((row) => (
              <Fragment key={row.id}>
                <tr className={`border-b border-line last:border-b-0 hover:bg-subtle/60 ${row.getIsExpanded() ? "bg-subtle/40" : ""}`}>
                  {row.getVisibleCells().map((cell) => (
                    <td
                      key={cell.id}
                      className={`h-9 overflow-hidden px-3 ${cell.column.columnDef.meta?.numeric ? "text-right" : "text-left"} ${cell.column.id === "expander" ? "px-1.5" : ""}`}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
                {row.getIsExpanded() ? (
                  <tr className="border-b border-line bg-bg/60">
                    <td colSpan={row.getVisibleCells().length}>
                      <FileDetails incidentId={incidentId} f={row.original} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
            {visible.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="px-3 py-8 text-center text-sm text-muted">
                  {files.length === 0
                    ? "No files yet: they appear once the bundle has been extracted."
                    : "No file matches the filter. Clear the search box or untick “Only files with problems”."}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {!showAll && topRows.length > INITIAL_ROWS ? (
        <div className="text-center">
          <button
            type="button"
            onClick={() => setShowAll(true)}
            className="rounded-md border border-line bg-surface px-3 py-1.5 text-xs hover:bg-subtle"
          >
            Showing {integer(INITIAL_ROWS)} of {integer(topRows.length)} — show all
          </button>
        </div>
      ) : null}
    </section>
  );
}
