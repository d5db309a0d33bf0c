import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto max-w-xl py-16 text-center">
      <p className="font-mono text-sm text-faint">404</p>
      <h1 className="mt-1 text-xl font-semibold">Not found</h1>
      <p className="mt-2 text-muted">
        This incident or page does not exist. It may have been deleted, or the link is mistyped.
      </p>
      <div className="mt-5 flex justify-center gap-2">
        <Link href="/" className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover">
          Back to incidents
        </Link>
        <Link href="/incidents/new" className="rounded-md border border-line bg-surface px-3 py-1.5 text-sm hover:bg-subtle">
          New incident
        </Link>
      </div>
    </div>
  );
}
