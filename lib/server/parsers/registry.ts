import type { Parser, ParserId } from "./types";
import { SNIFF_THRESHOLD } from "./types";
import { iptablesSaveParser } from "./iptables-save";
import { ipvsadmParser } from "./ipvsadm";
import { conntrackStatsParser } from "./conntrack-stats";
import { xrayParser } from "./xray";
import { otlpJsonParser } from "./otlp-json";
import { jaegerJsonParser } from "./jaeger-json";
import { ztunnelAccessParser } from "./ztunnel-access";
import { envoyAccessParser } from "./envoy-access";
import { nginxAccessParser } from "./nginx-access";
import { k8sEventsParser } from "./k8s-events";
import { k8sObjectsParser } from "./k8s-objects";
import { klogParser } from "./klog";
import { prometheusParser } from "./prometheus";
import { timelineParser } from "./timeline";
import { appJsonParser } from "./app-json";
import { appLogfmtParser } from "./app-logfmt";
import { appTextParser } from "./app-text";

/** Every parser, in no particular order: sniffing picks the most confident one. */
export const PARSERS: readonly Parser[] = [
  iptablesSaveParser,
  ipvsadmParser,
  conntrackStatsParser,
  xrayParser,
  otlpJsonParser,
  jaegerJsonParser,
  ztunnelAccessParser,
  envoyAccessParser,
  nginxAccessParser,
  k8sEventsParser,
  k8sObjectsParser,
  klogParser,
  prometheusParser,
  timelineParser,
  appJsonParser,
  appLogfmtParser,
  appTextParser,
];

const byId = new Map<string, Parser>(PARSERS.map((p) => [p.id, p]));
export function getParser(id: string): Parser | undefined {
  return byId.get(id);
}

export interface SniffResult {
  parser: Parser | null;
  confidence: number;
  /** Every parser's score, best first (for the UI's "why this format"). */
  scores: { id: ParserId; confidence: number }[];
}

/** Chooses the parser for a file by content. A throwing sniff counts as 0, never fails the file. */
export function sniff(head: string, name: string): SniffResult {
  const scores = PARSERS.map((p) => {
    let c = 0;
    try {
      c = p.sniff(head, name);
    } catch {
      c = 0;
    }
    return { id: p.id, confidence: Number.isFinite(c) ? Math.max(0, Math.min(1, c)) : 0 };
  }).sort((a, b) => b.confidence - a.confidence);
  const best = scores[0];
  if (!best || best.confidence < SNIFF_THRESHOLD) return { parser: null, confidence: best?.confidence ?? 0, scores };
  return { parser: byId.get(best.id) ?? null, confidence: best.confidence, scores };
}
