import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { createColumnHelper, createTable, getCoreRowModel } from "@tanstack/react-table";
import { DataTable, Paginator, type DataTableSort } from "@/components/ui/DataTable";

/** The table and pager the incidents list and the search results share. */
type Row = { id: string; name: string; size: number };
const col = createColumnHelper<Row>();
const columns = [
  col.display({ id: "select", header: "pick", meta: { width: "2.5rem" }, cell: () => "☐" }),
  col.accessor("name", { header: "Name", meta: { width: "auto" } }),
  col.accessor("size", { header: "Size", meta: { width: "6rem", numeric: true } }),
];

// The table instance useReactTable would hold, built as it builds it (its initial state in place).
const tableOf = (rows: Row[]) => {
  const options = { data: rows, columns, getRowId: (r: Row) => r.id, getCoreRowModel: getCoreRowModel<Row>(), manualSorting: true, manualPagination: true, state: {}, onStateChange: () => {}, renderFallbackValue: null };
  const table = createTable<Row>(options);
  table.setOptions((prev) => ({ ...prev, state: table.initialState }));
  return table;
};
const render = (rows: Row[], sort?: DataTableSort) =>
  renderToStaticMarkup(createElement(DataTable<Row>, { table: tableOf(rows), caption: "Things", className: "min-w-[500px]", sort, empty: "Nothing here." }));

describe("DataTable", () => {
  const rows = [
    { id: "a", name: "alpha", size: 10 },
    { id: "b", name: "beta", size: 2 },
  ];

  it("renders a caption, one <col> per column with its width, and the rows' cells in order", () => {
    const html = render(rows);
    expect(html).toContain('<caption class="sr-only">Things</caption>');
    expect(html.match(/<col[\s/>]/g)).toHaveLength(3);
    expect(html).toContain('style="width:2.5rem"');
    expect(html.indexOf("alpha")).toBeLessThan(html.indexOf("beta"));
    expect(html).not.toContain("Nothing here.");
    expect(html).not.toContain("aria-sort");
  });

  it("makes sortable headers buttons with aria-sort, and leaves display columns plain", () => {
    const html = render(rows, { column: "size", dir: "desc", onToggle: () => {} });
    expect(html.match(/aria-sort="descending"/g)).toHaveLength(1);
    expect(html.match(/aria-sort="none"/g)).toHaveLength(1); // name; "select" cannot sort
    expect(html.match(/<button/g)).toHaveLength(2);
    expect(html).toMatch(/aria-sort="descending"[^>]*class="[^"]*text-right/);
  });

  it("says why there are no rows across every column", () => {
    const html = render([]);
    expect(html).toMatch(/<td colspan="3"[^>]*>Nothing here\.<\/td>/i);
    expect(html).toContain("Nothing here.");
  });
});

describe("Paginator", () => {
  const text = (html: string) => html.replace(/<[^>]+>/g, "");
  const pager = (page: number, total: number) =>
    renderToStaticMarkup(createElement(Paginator, { label: "Pages", id: "ps", page, pageSize: 25, total, pageSizes: [10, 25], onPage: () => {}, onPageSize: () => {} }));

  it("shows the rows of this page and which way one can go", () => {
    const html = pager(2, 60);
    expect(text(html)).toContain("26–50 of 60");
    expect(text(html)).toContain("Page 2 of 3");
    expect(html.match(/disabled=""/g)).toBeNull();
  });

  it("disables the way back on the first page and the way on on the last", () => {
    expect(pager(1, 60).match(/aria-label="(First|Previous) page"[^>]*disabled=""/g)).toHaveLength(2);
    expect(pager(3, 60).match(/aria-label="(Next|Last) page"[^>]*disabled=""/g)).toHaveLength(2);
    expect(text(pager(1, 0))).toContain("0–0 of 0«‹ PrevPage 1 of 1");
  });
});
