import type { ReactNode } from "react";
import { FAULT_KIND_LABEL, type Origin } from "@/lib/schemas/hypothesis";
import { percent } from "@/components/format";

/** In-page link to a hypothesis card of the Hypotheses list (its heading's id is `hyp-<rank>`). */
function HypothesisAnchor({ rank, children, title }: { rank: number; children: ReactNode; title?: string }) {
  return (
    <a href={`#hyp-${rank}`} className="text-accent hover:underline" title={title}>
      {children}
    </a>
  );
}

/**
 * "Where it started": the service the fault started in (pod, kind in words), the confidence of the
 * hypothesis that says so (the same number as its card) with a link to that card, the mechanism it
 * shows under when a more specific hypothesis ranks above it, and the runners-up. Used by the
 * Overview's impact panel and the share page; both list the hypotheses on the same page.
 */
export function OriginLine({ origin }: { origin: Origin }) {
  return (
    <div role="group" aria-label="Where it started" className="rounded-md border border-line bg-bg/60 px-3 py-2 text-sm" data-testid="origin">
      <p className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
        <span className="text-xs text-muted">Where it started</span>
        <span className="font-mono font-semibold break-all text-fg">{origin.service}</span>
        {origin.pod ? <span className="font-mono text-xs break-all text-muted">(pod {origin.pod})</span> : null}
        {origin.kind ? <span>· {FAULT_KIND_LABEL[origin.kind]}</span> : null}
        <span className="text-muted">
          · <span className="num font-mono text-fg">{percent(origin.confidence)}</span> confidence
        </span>
        <span className="text-xs">
          <HypothesisAnchor rank={origin.rank} title={origin.title}>
            hypothesis #{origin.rank}
          </HypothesisAnchor>
        </span>
      </p>
      {origin.under ? (
        <p className="mt-0.5 text-xs text-muted">
          Where it shows first, under{" "}
          <HypothesisAnchor rank={origin.under.rank}>
            #{origin.under.rank} {origin.under.title}
          </HypothesisAnchor>
          , the more specific hypothesis ranked above it.
        </p>
      ) : null}
      {origin.alternatives.length > 0 ? (
        <p className="mt-0.5 text-xs text-muted">
          Alternatives:{" "}
          {origin.alternatives.map((a, i) => (
            <span key={a.rank}>
              {i > 0 ? ", " : null}
              <HypothesisAnchor rank={a.rank}>
                <span className="font-mono">{a.service}</span>
              </HypothesisAnchor>{" "}
              <span className="num font-mono">{percent(a.confidence)}</span>
            </span>
          ))}
        </p>
      ) : null}
    </div>
  );
}
