import "@tanstack/react-table";

declare module "@tanstack/react-table" {
  // Column layout hints shared by the incident and file tables.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** CSS width for the <col>; "auto" takes the remaining space. */
    width?: string;
    /** Right-aligned, tabular numbers. */
    numeric?: boolean;
  }
}
