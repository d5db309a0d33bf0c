import { getPrisma, type Db } from "@/lib/server/db/client";
import { NotFoundError } from "@/lib/server/errors";

/**
 * The one "does this incident exist" check: every service, view and route that reads or writes one
 * incident by id goes through it, so a missing incident is the same NotFoundError("incident") (404)
 * everywhere — and a rule about which incidents a principal may see would go here, once.
 *
 *   await requireIncident(id)                                   exists, or NotFoundError
 *   const x = await requireIncident(id, () => load(db, id))    a loader's value; its null means the
 *                                                               incident is missing (no extra query)
 */
export async function requireIncident(incidentId: string, db?: Db): Promise<void>;
export async function requireIncident<T>(incidentId: string, load: () => Promise<T | null | undefined>): Promise<T>;
export async function requireIncident<T>(incidentId: string, dbOrLoad?: Db | (() => Promise<T | null | undefined>)): Promise<T | void> {
  if (typeof dbOrLoad === "function") {
    const loaded = await dbOrLoad();
    if (loaded === null || loaded === undefined) throw new NotFoundError("incident");
    return loaded;
  }
  const db = dbOrLoad ?? getPrisma();
  if (!(await db.incident.findUnique({ where: { id: incidentId }, select: { id: true } }))) throw new NotFoundError("incident");
}
