import { z } from "zod";
import { EpochMs } from "./time";

/** GET /api/incidents/:id/network query. */
export const NetworkQuery = z.object({
  /** node whose conntrack counters are charted (default: all nodes, one chart each) */
  node: z.string().max(300).optional(),
  /** conntrack counter names charted, comma separated, without the conntrack_ prefix */
  counters: z
    .preprocess((v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v), z.array(z.string().max(60)).max(20))
    .optional(),
  /** only virtual services with a stale backend */
  stale: z.enum(["0", "1"]).default("0").transform((v) => v === "1"),
});
export type NetworkQuery = z.infer<typeof NetworkQuery>;

export const IpvsRealDto = z.object({
  address: z.string(),
  port: z.number().int(),
  weight: z.number(),
  activeConns: z.number(),
  inactiveConns: z.number(),
  stale: z.boolean(),
  /** why it is stale (deleted pod, in no EndpointSlice, minority across nodes) */
  why: z.string().nullable(),
});
export const IpvsVirtualDto = z.object({
  vip: z.string(),
  scheduler: z.string(),
  service: z.string().nullable(),
  line: z.number().nullable(),
  reals: z.array(IpvsRealDto),
  staleCount: z.number().int(),
});
export const IpvsDumpDto = z.object({
  id: z.number().int(),
  node: z.string(),
  capturedAt: EpochMs.nullable(),
  path: z.string(),
  line: z.number().nullable(),
  virtuals: z.array(IpvsVirtualDto),
  staleCount: z.number().int(),
  hiddenVirtuals: z.number().int(),
});
export type IpvsDumpDto = z.infer<typeof IpvsDumpDto>;

export const ConntrackPointDto = z.object({
  /** end of the interval, epoch ms (null when the snapshot had no time) */
  ts: EpochMs.nullable(),
  fromTs: EpochMs.nullable(),
  /** counter name (no prefix) → delta summed over the selected CPUs; null = counter reset */
  values: z.record(z.string(), z.number().nullable()),
  /** evidence link for this snapshot */
  path: z.string(),
  line: z.number().nullable(),
});
export const ConntrackNodeDto = z.object({
  node: z.string(),
  counters: z.array(z.string()),
  points: z.array(ConntrackPointDto),
  /** per CPU: counter → total delta over the whole range, with the line of the last snapshot */
  cpus: z.array(z.object({ cpu: z.string(), totals: z.record(z.string(), z.number()), path: z.string(), line: z.number().nullable() })),
  snapshots: z.number().int(),
});
export type ConntrackNodeDto = z.infer<typeof ConntrackNodeDto>;

export const NetworkViewDto = z.object({
  ipvs: z.array(IpvsDumpDto),
  endpointsKnown: z.boolean(),
  basis: z.enum(["endpointslices", "cross-node-majority", "none"]),
  conntrack: z.array(ConntrackNodeDto),
  /** counter names available (no prefix) */
  counterNames: z.array(z.string()),
  selectedCounters: z.array(z.string()),
});
export type NetworkViewDto = z.infer<typeof NetworkViewDto>;
