"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";

/**
 * Mounts its children when they come near the viewport; until then a placeholder of the same
 * height holds their place (no layout jump). A page with ten charts draws the one or two in view
 * first, so first render does not wait for charts nobody sees yet. `eager` mounts at once.
 */
export function LazyMount({ height, eager = false, children }: { height: number; eager?: boolean; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(eager);
  useEffect(() => {
    if (shown) return;
    const el = ref.current;
    if (!el || typeof IntersectionObserver === "undefined") {
      setShown(true);
      return;
    }
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setShown(true), { rootMargin: "300px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, [shown]);
  if (shown) return <>{children}</>;
  return <div ref={ref} style={{ height }} aria-hidden className="rounded bg-subtle/40" />;
}
