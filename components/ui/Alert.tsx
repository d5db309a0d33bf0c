import type { ReactNode } from "react";

const TONES = {
  error: "border-red-300 bg-red-50 text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200",
  warning: "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200",
  info: "border-line bg-surface text-fg",
} as const;

/** Bordered message box. `role="alert"` only for errors the user must notice now. */
export function Alert({
  tone = "info",
  title,
  children,
  role,
  className = "",
}: {
  tone?: keyof typeof TONES;
  title?: ReactNode;
  children?: ReactNode;
  role?: "alert" | "status";
  className?: string;
}) {
  return (
    <div role={role} className={`rounded-md border px-3 py-2.5 ${TONES[tone]} ${className}`}>
      {title ? <p className="font-semibold">{title}</p> : null}
      {children ? <div className={title ? "mt-1" : ""}>{children}</div> : null}
    </div>
  );
}
