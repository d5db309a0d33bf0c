import type { BundleManifest } from "@/lib/schemas/manifest";
import type { ParseContext } from "@/lib/server/parsers/types";
import { epochMs } from "@/lib/schemas/time";

/**
 * What the pipeline knows about a file before parsing it: node (manifest `nodes` prefixes, else a
 * `nodes/<name>/` or `node-<name>/` folder in the path), before/after role for iptables dumps,
 * the timezone and reference date to assume for zone-less / date-less sources.
 */
export function fileContext(filePath: string, manifest: BundleManifest | null | undefined): ParseContext {
  const ctx: ParseContext = { path: filePath };
  if (manifest) ctx.manifest = manifest;
  ctx.node = nodeFor(filePath, manifest);
  if (manifest?.timezone) ctx.timezone = manifest.timezone;
  const start = manifest?.window?.start;
  const end = manifest?.window?.end;
  if (manifest?.date) ctx.referenceDate = manifest.date;
  else if (start) ctx.referenceDate = start.slice(0, 10);
  if (ctx.referenceDate) ctx.referenceDateSource = "manifest";
  if (end) ctx.captureTime = epochMs(Date.parse(end));
  const role = roleFor(filePath, manifest);
  if (role) ctx.role = role;
  if (!ctx.node) delete ctx.node;
  return ctx;
}

const NODE_NAME = String.raw`ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[a-z0-9-]+)*\.internal|ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}|gke-[a-z0-9-]+-[a-z0-9]{8}-[a-z0-9]{4}|aks-[a-z0-9]+-\d{8}-vmss[0-9a-z]{6}`;

function nodeFor(filePath: string, manifest: BundleManifest | null | undefined): string | undefined {
  if (manifest?.nodes) {
    // Longest matching prefix wins ("nodes/a/" before "nodes/").
    const hits = Object.entries(manifest.nodes)
      .filter(([prefix]) => filePath === prefix || filePath.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`) || filePath.startsWith(prefix))
      .sort((a, b) => b[0].length - a[0].length);
    if (hits[0]) return hits[0][1];
  }
  const m = /(?:^|\/)nodes?\/([^/]+)\//.exec(filePath) ?? /(?:^|\/)node[-_]([A-Za-z0-9.-]+)\//.exec(filePath);
  if (m) return m[1];
  // Cloud node names as a folder or a file-name prefix (`ip-10-0-1-2/…`, `ip-10-0-1-2_conntrack.txt`,
  // `gke-prod-pool-1-3f2a9c1d-x7k2/…`, `aks-nodepool1-12345678-vmss000002.iptables`): unambiguous
  // enough to name the node the capture was taken on.
  const cloud = new RegExp(String.raw`(?:^|/)(${NODE_NAME})(?=[/_.]|-(?![\d]))`).exec(filePath);
  return cloud?.[1];
}

function roleFor(filePath: string, manifest: BundleManifest | null | undefined): "before" | "after" | undefined {
  const ipt = manifest?.iptables;
  if (ipt?.before?.includes(filePath)) return "before";
  if (ipt?.after?.includes(filePath)) return "after";
  const base = filePath.toLowerCase();
  if (/(^|[/_.-])before([/_.-]|$)/.test(base)) return "before";
  if (/(^|[/_.-])after([/_.-]|$)/.test(base)) return "after";
  return undefined;
}
