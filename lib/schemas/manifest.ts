import { z } from "zod";

/**
 * Optional `bundle.yaml` / `bundle.json` at the root of a bundle. Everything is optional: a bundle
 * without a manifest is valid. Unknown keys are rejected so a typo is reported instead of ignored.
 */
export const BundleManifest = z
  .object({
    title: z.string().min(1).max(300).optional(),
    summary: z.string().max(10_000).optional(),
    window: z
      .object({
        start: z.iso.datetime({ offset: true }).optional(),
        end: z.iso.datetime({ offset: true }).optional(),
      })
      .strict()
      .optional(),
    /** IANA zone or fixed offset ("UTC", "Europe/Berlin", "+02:00") for sources without a zone. */
    timezone: z.string().min(1).max(64).optional(),
    /** Date (YYYY-MM-DD) for timelines that only give times of day. */
    date: z.iso.date().optional(),
    /** Map path prefixes/globs in the bundle to node names: { "nodes/worker-1/": "worker-1" } */
    nodes: z.record(z.string(), z.string()).optional(),
    iptables: z
      .object({
        before: z.array(z.string()).optional(),
        after: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    /** Per-file clock-skew overrides in milliseconds: { "logs/ztunnel.log": -1200 } */
    clockSkewMs: z.record(z.string(), z.number()).optional(),
    /** Capture times of snapshot files without one of their own: { "nodes/a/conntrack-S.txt": "2025-03-12T09:05:00Z" } */
    captureTimes: z.record(z.string(), z.iso.datetime({ offset: true })).optional(),
    /** Force a parser for a path: { "misc/out.txt": "ztunnel-access" } */
    formats: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifest>;
export const MANIFEST_NAMES = ["bundle.yaml", "bundle.yml", "bundle.json"] as const;
