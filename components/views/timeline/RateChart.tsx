"use client";

import { useState } from "react";
import { Bar, CartesianGrid, ComposedChart, Line, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TimelineRatesDto } from "@/lib/schemas/views-timeline";
import { clockTime, shortTime } from "@/lib/timeline-url";
import { formatMs, TERSE } from "@/lib/format-ms";

export const SOURCE_COLOURS = ["#6366f1", "#14b8a6", "#f59e0b", "#ec4899", "#0ea5e9", "#84cc16"];
export const OTHER_COLOUR = "#9ca3af";
export const ERROR_COLOUR = "#ef4444";

export function sourceColour(sources: string[], source: string): string {
  if (source === "other") return OTHER_COLOUR;
  const i = sources.indexOf(source);
  return i >= 0 ? SOURCE_COLOURS[i % SOURCE_COLOURS.length]! : OTHER_COLOUR;
}

/**
 * Events per interval stacked by source, errors as a line. Drag across the chart to zoom the list
 * to that range (the parent puts from/to in the URL); the incident window is shaded.
 */
export function RateChart({
  rates,
  window,
  onZoom,
}: {
  rates: TimelineRatesDto;
  window: { onset: number | null; recovery: number | null };
  onZoom: (from: number, to: number) => void;
}) {
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const data = rates.points.map((p) => ({ t: p.t, errors: p.errors, total: p.total, ...p.bySource }));
  const first = data[0]?.t;
  const last = data[data.length - 1]?.t;
  const label = (v: unknown) => (typeof v === "number" ? v : Number(v));
  const inRange = (t: number | null) => t !== null && first !== undefined && last !== undefined && t >= first && t <= last + rates.bucketMs;
  const snap = (t: number) => (first === undefined ? t : first + Math.floor((t - first) / rates.bucketMs) * rates.bucketMs);

  return (
    <div className="h-[180px] w-full select-none" aria-hidden="true">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart
          data={data}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
          barCategoryGap={0}
          onMouseDown={(e) => {
            if (e?.activeLabel != null) setDrag({ a: label(e.activeLabel), b: label(e.activeLabel) });
          }}
          onMouseMove={(e) => {
            if (drag && e?.activeLabel != null) setDrag({ ...drag, b: label(e.activeLabel) });
          }}
          onMouseUp={() => {
            if (drag) {
              const from = Math.min(drag.a, drag.b);
              const to = Math.max(drag.a, drag.b) + rates.bucketMs;
              setDrag(null);
              if (to - from >= rates.bucketMs) onZoom(from, to);
            }
          }}
          onMouseLeave={() => setDrag(null)}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="var(--hs-border)" vertical={false} />
          <XAxis dataKey="t" tickFormatter={(v) => clockTime(Number(v))} stroke="var(--hs-muted)" fontSize={11} minTickGap={40} />
          <YAxis stroke="var(--hs-muted)" fontSize={11} width={44} allowDecimals={false} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: "var(--hs-surface)", border: "1px solid var(--hs-border)", fontSize: 12, color: "var(--hs-fg)" }}
            labelFormatter={(v) => `${shortTime(Number(v))} (+${formatMs(rates.bucketMs, TERSE)})`}
          />
          {inRange(window.onset) ? (
            <ReferenceArea x1={snap(window.onset!)} x2={snap(inRange(window.recovery) ? window.recovery! : last!)} fill={ERROR_COLOUR} fillOpacity={0.08} ifOverflow="hidden" />
          ) : null}
          {rates.sources.map((s) => (
            <Bar key={s} dataKey={s} stackId="src" fill={sourceColour(rates.sources, s)} isAnimationActive={false} />
          ))}
          <Line dataKey="errors" type="monotone" stroke={ERROR_COLOUR} strokeWidth={1.5} dot={false} isAnimationActive={false} />
          {drag ? <ReferenceArea x1={Math.min(drag.a, drag.b)} x2={Math.max(drag.a, drag.b)} fill="var(--hs-accent)" fillOpacity={0.2} /> : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
