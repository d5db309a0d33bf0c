// Search URL state, shared by the server page and the client form/results (no "use client": the
// page needs these values, not client references).

export interface SearchFormValues {
  q: string;
  detector: string;
  service: string;
  node: string;
  from: string;
  to: string;
}

export const SEARCH_KEYS = ["q", "detector", "service", "node", "from", "to"] as const;

export function searchHref(values: Partial<SearchFormValues> & { page?: number; pageSize?: number }): string {
  const p = new URLSearchParams();
  for (const k of SEARCH_KEYS) {
    const v = values[k]?.trim();
    if (v) p.set(k, v);
  }
  if (values.page && values.page > 1) p.set("page", String(values.page));
  if (values.pageSize && values.pageSize !== 25) p.set("pageSize", String(values.pageSize));
  const qs = p.toString();
  return qs ? `/search?${qs}` : "/search";
}
