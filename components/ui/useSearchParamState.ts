"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useTransition } from "react";

/**
 * View state lives in the URL: `set({ a: "12", filter: null })` replaces those query parameters
 * (null/"" removes one) and re-renders the server page without scrolling. `pending` is true while
 * the new state loads, so controls can show it without the layout jumping.
 */
export function useSearchParamState(): { params: URLSearchParams; set: (next: Record<string, string | null | undefined>, opts?: { push?: boolean }) => void; pending: boolean } {
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const [pending, startTransition] = useTransition();
  const set = useCallback(
    (next: Record<string, string | null | undefined>, opts?: { push?: boolean }) => {
      const p = new URLSearchParams(search?.toString() ?? "");
      for (const [k, v] of Object.entries(next)) {
        if (v === null || v === undefined || v === "") p.delete(k);
        else p.set(k, v);
      }
      const qs = p.toString();
      const href = qs ? `${pathname}?${qs}` : (pathname ?? "");
      startTransition(() => (opts?.push ? router.push(href, { scroll: false }) : router.replace(href, { scroll: false })));
    },
    [router, pathname, search],
  );
  return { params: new URLSearchParams(search?.toString() ?? ""), set, pending };
}
