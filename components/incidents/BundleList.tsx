import type { IncidentDetailDto } from "@/lib/schemas/api";
import { humanBytes, shortSha } from "@/components/format";
import { RelativeTime } from "@/components/ui/RelativeTime";

type Bundle = IncidentDetailDto["bundles"][number];

function bundleTone(status: string): string {
  const s = status.toLowerCase();
  if (s === "rejected" || s === "failed") return "text-red-700 dark:text-red-300";
  if (s === "extracted" || s === "accepted" || s === "ok" || s === "stored") return "text-emerald-700 dark:text-emerald-300";
  return "text-muted";
}

export function BundleList({ bundles }: { bundles: Bundle[] }) {
  if (bundles.length === 0) return null;
  return (
    <section aria-labelledby="bundles-heading" className="space-y-2">
      <h2 id="bundles-heading" className="text-sm font-semibold">
        Uploaded {bundles.length === 1 ? "bundle" : "bundles"}{" "}
        <span className="num font-mono text-xs font-normal text-muted">{bundles.length}</span>
      </h2>
      <ul className="divide-y divide-line rounded-lg border border-line bg-surface">
        {bundles.map((b) => (
          <li key={b.id} className="px-4 py-2 text-sm">
            <div className="flex flex-wrap items-baseline gap-x-4 gap-y-0.5">
              <span className="min-w-0 flex-1 truncate font-mono text-xs" title={b.name}>
                {b.name}
              </span>
              <span className={`text-xs font-medium ${bundleTone(b.status)}`}>{b.status}</span>
              <span className="num w-20 text-right font-mono text-xs">{humanBytes(b.size)}</span>
              <span className="font-mono text-xs text-muted" title={`sha256 ${b.sha256}`}>
                sha256 {shortSha(b.sha256)}
              </span>
              <RelativeTime iso={b.createdAt} className="num w-20 text-right text-xs text-muted" />
            </div>
            {b.error ? (
              <p className="mt-1 rounded border border-red-300 bg-red-50 px-2 py-1 text-xs text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200">
                <span className="font-semibold">Rejected: </span>
                {b.error}
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
