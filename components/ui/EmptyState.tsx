import type { ReactNode } from "react";

/** What is missing and what to do about it — never a bare "no data". */
export function EmptyState({ title, children, className = "" }: { title: ReactNode; children?: ReactNode; className?: string }) {
  return (
    <div role="status" className={`rounded-lg border border-dashed border-line-strong bg-surface px-5 py-8 text-center ${className}`}>
      <p className="font-semibold">{title}</p>
      {children ? <div className="mx-auto mt-1.5 max-w-2xl text-sm text-muted">{children}</div> : null}
    </div>
  );
}
