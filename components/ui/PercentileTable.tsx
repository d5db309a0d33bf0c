import type { ReactNode } from "react";
import type { Percentiles } from "@/lib/schemas/views-latency";
import { integer, latencyMs } from "@/components/format";

export interface PercentileRow {
  key: string;
  /** The row's name (a phase, an incident); its colour is the chart's for the same series. */
  label: ReactNode;
  colour: string;
  /** Null: no data for this row ("—" across). */
  percentiles: Percentiles | null;
  /** The optional column after the name (e.g. the scope of a compared incident). */
  note?: ReactNode;
}

/**
 * A latency distribution as text: count and p50 / p90 / p99 / p99.9 per row, one row per series of
 * the chart beside it (before / during / after on the latency view, one incident each on compare).
 */
export function PercentileTable({ caption, rowHeader, countHeader, noteHeader, rows }: { caption: string; rowHeader: string; countHeader: string; noteHeader?: string; rows: PercentileRow[] }) {
  return (
    <table className="text-xs">
      <caption className="sr-only">{caption}</caption>
      <thead className="text-muted">
        <tr>
          <th scope="col" className="pr-4 text-left font-medium">{rowHeader}</th>
          {noteHeader ? <th scope="col" className="pr-3 text-left font-medium">{noteHeader}</th> : null}
          <th scope="col" className="pr-3 text-right font-medium">{countHeader}</th>
          <th scope="col" className="pr-3 text-right font-medium">p50</th>
          <th scope="col" className="pr-3 text-right font-medium">p90</th>
          <th scope="col" className="pr-3 text-right font-medium">p99</th>
          <th scope="col" className="text-right font-medium">p99.9</th>
        </tr>
      </thead>
      <tbody className="num font-mono">
        {rows.map(({ key, label, colour, percentiles: p, note }) => (
          <tr key={key}>
            <th scope="row" className="max-w-[24rem] truncate pr-4 text-left font-sans font-normal">
              <span className="mr-1 inline-block h-2 w-2 rounded-sm" style={{ background: colour }} />
              {label}
            </th>
            {noteHeader ? <td className="pr-3 font-sans text-muted">{note}</td> : null}
            <td className="pr-3 text-right">{p ? integer(p.count) : "—"}</td>
            <td className="pr-3 text-right">{latencyMs(p?.p50)}</td>
            <td className="pr-3 text-right">{latencyMs(p?.p90)}</td>
            <td className="pr-3 text-right">{latencyMs(p?.p99)}</td>
            <td className="text-right">{latencyMs(p?.p999)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
