import type { RequestRecord, SpanFacts } from "@/lib/schemas/records";

/**
 * Deterministic sampling of summarised files' requests and spans (lib/server/pipeline/tiering.ts).
 * The hash is over the record's join key (request id, trace id, connection 4-tuple), not its
 * position: two files sample the same requests, so clock-skew estimation still finds pairs, and
 * the analysis can tell which stored rows are the uniform sample.
 */

/** The key sampling hashes: what other files can join this record on. */
export function sampleKey(r: RequestRecord | SpanFacts): string {
  if (r.kind === "span") return r.traceId;
  if (r.requestId && r.requestId !== "-") return r.requestId;
  if (r.traceId && r.traceId !== "-") return r.traceId;
  if (r.client?.ip && r.client.port && r.dest?.ip && r.dest.port) return `${r.client.ip}:${r.client.port}>${r.dest.ip}:${r.dest.port}`;
  return `line:${r.prov.line ?? r.prov.offset ?? r.prov.pointer ?? ""}`;
}

/** FNV-1a (32 bit) of the key, mapped to [0, 1). */
export function sampleHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

export function isSampled(r: RequestRecord | SpanFacts, sampleRate: number): boolean {
  return sampleRate >= 1 || sampleHash(sampleKey(r)) < sampleRate;
}
