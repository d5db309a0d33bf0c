import type { FileStatus, IncidentStatus, RunStatus } from "@/lib/schemas/api";

type Tone = "green" | "amber" | "red" | "blue" | "grey";
export type AnyStatus = IncidentStatus | FileStatus | RunStatus;

const TONE: Record<AnyStatus, Tone> = {
  // incident
  new: "grey",
  processing: "blue",
  analysed: "green",
  // file
  pending: "grey",
  parsed: "green",
  unrecognized: "amber",
  // run
  queued: "grey",
  running: "blue",
  completed: "green",
  // shared
  partial: "amber",
  failed: "red",
};

const TONE_CLASSES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/25 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/30 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
  red: "bg-red-50 text-red-800 ring-red-600/25 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/25 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/25",
  grey: "bg-subtle text-muted ring-line-strong",
};

const DOT_CLASSES: Record<Tone, string> = {
  green: "bg-emerald-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
  blue: "bg-sky-500",
  grey: "bg-faint",
};

/** Status pill: colour plus a text label, never colour alone. */
export function StatusBadge({ status, className = "" }: { status: AnyStatus; className?: string }) {
  const tone = TONE[status] ?? "grey";
  const pulsing = status === "running" || status === "processing";
  return (
    <span
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${TONE_CLASSES[tone]} ${className}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${DOT_CLASSES[tone]} ${pulsing ? "animate-pulse" : ""}`} />
      {status}
    </span>
  );
}
