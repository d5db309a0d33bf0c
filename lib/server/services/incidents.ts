import type { IncidentDetailDto, IncidentListDto, IncidentListQuery } from "@/lib/schemas/api";

// Service layer used by route handlers, server components and the CLI.
// (Signatures fixed; the lead is implementing the bodies.)

export async function listIncidents(_query: IncidentListQuery): Promise<IncidentListDto> {
  throw new Error("not implemented yet");
}

/** null when not found */
export async function getIncident(_id: string): Promise<IncidentDetailDto | null> {
  throw new Error("not implemented yet");
}
