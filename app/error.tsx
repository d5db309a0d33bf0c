"use client";

import Link from "next/link";
import { useEffect } from "react";

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error && "digest" in error ? String((error as { digest?: unknown }).digest ?? "") : "";
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="mx-auto max-w-xl py-16">
      <h1 className="text-xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-muted">
        The page could not be loaded. Try again; if it keeps failing, check the server log
        {digest ? (
          <>
            {" "}
            for error <code className="font-mono text-fg">{digest}</code>
          </>
        ) : null}
        .
      </p>
      {message ? (
        <pre className="mt-3 overflow-x-auto rounded-md border border-line bg-surface p-3 font-mono text-xs whitespace-pre-wrap text-muted">
          {message}
        </pre>
      ) : null}
      <div className="mt-5 flex gap-2">
        <button
          type="button"
          onClick={() => retry()}
          className="rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover"
        >
          Try again
        </button>
        <Link href="/" className="rounded-md border border-line bg-surface px-3 py-1.5 text-sm hover:bg-subtle">
          Back to incidents
        </Link>
      </div>
    </div>
  );
}
