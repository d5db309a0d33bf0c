/** Determinate progress bar with an accessible name and value (0..1). */
export function ProgressBar({
  value,
  label,
  tone = "accent",
  className = "",
  valueText,
}: {
  value: number;
  label: string;
  tone?: "accent" | "green" | "amber" | "red" | "blue";
  className?: string;
  valueText?: string;
}) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  const pct = Math.round(clamped * 100);
  const fill = {
    accent: "bg-accent",
    green: "bg-emerald-500",
    amber: "bg-amber-500",
    red: "bg-red-500",
    blue: "bg-sky-500",
  }[tone];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={valueText ?? `${pct}%`}
      className={`h-2 w-full overflow-hidden rounded-full bg-subtle ring-1 ring-inset ring-line ${className}`}
    >
      <div className={`h-full ${fill} transition-[width] duration-300 ease-out`} style={{ width: `${pct}%` }} />
    </div>
  );
}
