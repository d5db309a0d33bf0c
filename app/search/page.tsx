import type { Metadata } from "next";
import { SearchQuery, type SearchResultDto } from "@/lib/schemas/search";
import { pageAccess } from "@/lib/server/auth/page";
import { DomainError } from "@/lib/server/errors";
import { searchIncidents, searchOptions } from "@/lib/server/services/search";
import { Alert } from "@/components/ui/Alert";
import { EmptyState } from "@/components/ui/EmptyState";
import { SearchForm } from "@/components/search/SearchForm";
import { SEARCH_KEYS, type SearchFormValues } from "@/components/search/url";
import { SearchResults } from "@/components/search/SearchResults";

export const metadata: Metadata = { title: "Search" };
export const dynamic = "force-dynamic";

type Search = Promise<Record<string, string | string[] | undefined>>;

/**
 * /search?q&detector&service&node&from&to&page&pageSize. A bad value (a date that is not one)
 * is dropped with a message naming it, instead of failing the page.
 */
export default async function SearchPage({ searchParams }: { searchParams: Search }) {
  await pageAccess("viewer", "/search");
  const raw = await searchParams;
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first !== "") flat[k] = first;
  }
  const problems: string[] = [];
  let parsed = SearchQuery.safeParse(flat);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      problems.push(`${key}: ${issue.message} — ignored.`);
      delete flat[key];
    }
    parsed = SearchQuery.safeParse(flat);
  }
  const query = parsed.success ? parsed.data : SearchQuery.parse({});
  const values = Object.fromEntries(SEARCH_KEYS.map((k) => [k, flat[k] ?? ""])) as unknown as SearchFormValues;
  const hasCriteria = SEARCH_KEYS.some((k) => flat[k]);

  let result: SearchResultDto | null = null;
  let error: string | null = null;
  if (hasCriteria) {
    try {
      result = await searchIncidents(query);
    } catch (err) {
      if (!(err instanceof DomainError)) {
        console.error("[search]", err);
        error = "The search failed — the server log has the details.";
      } else error = err.message;
    }
  }

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Search incidents</h1>
        <p className="text-sm text-muted">Across every incident: titles, summaries, postmortem drafts, human timeline entries and hypotheses; by detector, service, node and date.</p>
      </div>
      <SearchForm key={JSON.stringify(values)} initial={values} detectors={searchOptions().detectors} />
      {problems.length ? (
        <Alert tone="warning" role="status" title="Part of this search address was not understood">
          <ul className="list-disc pl-5">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {error ? (
        <Alert tone="error" role="alert" title="Cannot search">
          {error}
        </Alert>
      ) : null}
      {result ? <SearchResults data={result} values={values} /> : null}
      {!hasCriteria ? (
        <EmptyState title="Type a word or choose a filter">
          For example a service name, an error message from a timeline, a word from a postmortem draft, or a detector such as <span className="font-mono">iptables-rule-order</span>.
        </EmptyState>
      ) : null}
    </div>
  );
}
