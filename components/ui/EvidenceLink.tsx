import Link from "next/link";
import type { ReactNode } from "react";

/** Timeline deep link to the evidence behind a number: a file line, else a stored record. */
export function evidenceHref(incidentId: string, at: { path?: string | null; line?: number | null; record?: number | null }): string {
  const base = `/incidents/${encodeURIComponent(incidentId)}/timeline`;
  if (at.path && at.line != null) return `${base}?file=${encodeURIComponent(at.path)}&line=${at.line}`;
  if (at.record != null) return `${base}?record=${at.record}`;
  if (at.path) return `${base}?file=${encodeURIComponent(at.path)}`;
  return base;
}

/** A quiet link that still reads as one (underline on hover/focus); `title` says where it leads. */
export function EvidenceLink({
  incidentId,
  path,
  line,
  record,
  children,
  className = "",
  label,
}: {
  incidentId: string;
  path?: string | null;
  line?: number | null;
  record?: number | null;
  children: ReactNode;
  className?: string;
  label?: string;
}) {
  const where = path ? `${path}${line != null ? `:${line}` : ""}` : record != null ? `record ${record}` : "timeline";
  return (
    <Link
      href={evidenceHref(incidentId, { path, line, record })}
      prefetch={false}
      title={`Evidence: ${where}`}
      aria-label={label}
      className={`underline decoration-line-strong decoration-dotted underline-offset-2 hover:text-accent hover:decoration-accent ${className}`}
    >
      {children}
    </Link>
  );
}
