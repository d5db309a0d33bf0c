"use client";

import { useEffect, useState } from "react";
import { absoluteTime, relativeTime } from "@/components/format";

/**
 * "5 min ago" with the absolute UTC time on hover. The text is refreshed right after hydration and
 * every 30 s: the server's text may be older (a page served from the page cache was rendered up to
 * its lifetime ago), and React keeps server text it was told not to warn about, hence the update.
 */
export function RelativeTime({ iso, className = "" }: { iso: string | null | undefined; className?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const first = window.setTimeout(() => setNow(Date.now()), 0);
    const timer = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(timer);
    };
  }, []);
  if (!iso) return <span className={className}>—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)} className={className} suppressHydrationWarning>
      {relativeTime(iso, now)}
    </time>
  );
}
