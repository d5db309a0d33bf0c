import type { Rule } from "@/lib/schemas/records";
import type { VerdictChange } from "./diff";
import type { RuleRef } from "./model";
import { contains, isFull, type Box } from "./sets";

/**
 * Whose traffic an iptables rule or verdict change touches — the mesh's (Istio/ztunnel capture
 * chains and ports) or services' (kube-proxy, Calico, Cilium) — for the iptables-rule-order
 * detector (which changes matter) and the rules view (how a changed row is labelled).
 */
const MESH_PORTS = [15001, 15006, 15008, 15090, 15020, 15021];
const MESH_CHAIN = /^(ISTIO_|ztunnel-)/;
const SERVICE_CHAIN = /^(KUBE-(SERVICES|SVC|SEP|EXT|NODEPORTS|FW|SVL|XLB|EXTERNAL-SERVICES|FORWARD|PROXY-FIREWALL)|cali-|CILIUM_)/;
/** A verdict that sends the packet to the mesh proxy (REDIRECT/TPROXY to a 150xx port). */
export const CAPTURE = /^(REDIRECT|TPROXY) to :150\d\d/;

export type Traffic = "mesh" | "service";

/** Mesh ports the traffic is specifically about (a class of every port is not mesh traffic). */
export function meshPortsOf(boxes: Box[]): number[] {
  return MESH_PORTS.filter((p) => boxes.some((b) => contains(b.dims[0]!, 6n) && !isFull(b.dims[4]!, 65535n) && contains(b.dims[4]!, BigInt(p))));
}
/** Whose traffic a rule carries: the mesh's (ISTIO_* chains, capture ports) or services' (kube-proxy, Calico, Cilium). */
export function ruleTraffic(chain: string, rule: Rule): Traffic | null {
  const ports = rule.matches.filter((m) => /port/.test(m.option)).map((m) => m.value).join(",");
  if (MESH_CHAIN.test(chain) || MESH_CHAIN.test(rule.target ?? "") || /--to-ports? 150\d\d|--on-port 150\d\d/.test(rule.raw) || MESH_PORTS.some((p) => new RegExp(`(^|[^0-9])${p}([^0-9]|$)`).test(ports))) return "mesh";
  if (SERVICE_CHAIN.test(chain) || SERVICE_CHAIN.test(rule.target ?? "")) return "service";
  return null;
}
export const refTraffic = (r: RuleRef | null): Traffic | null => (r ? ruleTraffic(r.chain, r.rule) : null);
/** Whose traffic a verdict change touches (null: neither mesh nor service traffic). */
export function changeTraffic(c: VerdictChange): Traffic | null {
  if (meshPortsOf(c.boxes).length || CAPTURE.test(c.before) || CAPTURE.test(c.after)) return "mesh";
  return refTraffic(c.beforeBy) ?? refTraffic(c.afterBy);
}
