import { CorrelationSummary } from "@/lib/server/correlate/schema";
import type { Db } from "@/lib/server/db/client";

/** The latest run's correlation summary (null before the first analysis or when malformed). */
export async function latestCorrelation(db: Db, incidentId: string): Promise<CorrelationSummary | null> {
  const run = await db.analysisRun.findFirst({
    where: { incidentId, correlation: { not: undefined } },
    orderBy: { createdAt: "desc" },
    select: { correlation: true },
  });
  if (!run?.correlation) return null;
  const parsed = CorrelationSummary.safeParse(run.correlation);
  return parsed.success ? parsed.data : null;
}

export function isoMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}
