import { beforeAll, describe, expect, it } from "vitest";
import { analysedScenario } from "../helpers/pipeline";
import { Origin } from "@/lib/schemas/hypothesis";
import { OverviewDto } from "@/lib/schemas/views-overview";
import { LOCAL_PRINCIPAL } from "@/lib/server/auth/guard";
import { getDraft } from "@/lib/server/services/draft";
import { getIncident } from "@/lib/server/services/incidents";
import { createShare, getSharedIncident } from "@/lib/server/services/shares";
import { getOverview } from "@/lib/server/views/overview";

/**
 * seed-000: traces localise the fault to one service (service-fault), while a specific mechanism
 * (iptables-rule-order) ranks first. The Overview, the share page and the draft name that service,
 * "where it shows first" under the mechanism, with the hypothesis' own rank and confidence.
 */
describe("overview origin (seed-000, real pipeline)", () => {
  const scenario = analysedScenario("seed-000-mesh-iptables-reorder");
  let id: string;
  beforeAll(() => void ({ id } = scenario));

  it("names the service of the highest-ranked hypothesis that names one, by the Hypotheses list's rank, under the mechanism ranked first", async () => {
    const db = scenario.db;
    const incident = (await getIncident(id, db))!;
    const at = incident.hypotheses.findIndex((x) => typeof x.facts.service === "string" && x.facts.service !== "" && x.facts.alternativeTo === undefined);
    expect(at).toBeGreaterThan(0);
    const named = incident.hypotheses[at]!;
    const o = OverviewDto.parse(await getOverview(id, db)).origin;
    expect(o).not.toBeNull();
    expect(o).toMatchObject({ service: named.facts.service, rank: at + 1, confidence: named.confidence, title: named.title, detector: "service-fault" });
    expect(o!.under).toEqual({ rank: 1, title: incident.hypotheses[0]!.title, detector: "iptables-rule-order" });
    // Kept per run next to the figures (ViewCache), as plain JSON.
    const cached = await db.viewCache.findFirst({ where: { key: "origin", run: { incidentId: id } } });
    expect(Origin.parse(JSON.parse(cached!.value))).toEqual(o);
  });

  it("the share payload and the draft name the same service with the same confidence", async () => {
    const db = scenario.db;
    const o = (await getOverview(id, db)).origin!;
    const { token } = await createShare(id, LOCAL_PRINCIPAL, {}, "http://localhost", db);
    const shared = await getSharedIncident(token, db);
    expect(shared?.overview?.origin).toEqual(o);
    const summary = (await getDraft(id, db)).sections.find((s) => s.id === "summary")!.markdown;
    expect(summary).toContain(`The fault shows first in ${o.service}`);
    expect(summary).toContain(`(confidence ${Math.round(o.confidence * 100)}%, detector \`service-fault\`)`);
  });
});
