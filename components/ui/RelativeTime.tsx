"use client";

import { useEffect, useState } from "react";
import { absoluteTime, relativeTime } from "@/components/format";

/**
 * "5 min ago" with the absolute UTC time on hover. The text is refreshed every 30 s; the server
 * render and the first client render may differ by a few seconds, hence suppressHydrationWarning.
 */
export function RelativeTime({ iso, className = "" }: { iso: string | null | undefined; className?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  if (!iso) return <span className={className}>—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)} className={className} suppressHydrationWarning>
      {relativeTime(iso, now)}
    </time>
  );
}
