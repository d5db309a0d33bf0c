import type { Readable } from "node:stream";
import { excerpt } from "../lines";
import { driveLines, flattenBatches } from "../line-machine";
import type { ParseContext, ParseItem, SegmentableMachine } from "../types";
import { CriJoiner, unwrapLogLine } from "../wrappers";
import { EnvoyLineParser, isEnvoyJsonLine, isEnvoyTextLine } from "./envoy-lines";
import { isZtunnelAccessLine, ZtunnelLineParser } from "./ztunnel-lines";

/**
 * The one line router of the mesh data-plane access logs (envoy-access and ztunnel-access).
 *
 * Mixed dumps interleave Envoy (istio-proxy) and ztunnel lines in one file, so whichever parser
 * claims the file must keep the other format's records. The router owns what both share — CRI
 * unwrapping and re-joining of partial lines — and hands each unwrapped line to the Envoy or the
 * ztunnel line parser; the line parsers never see each other.
 *
 *   raw line ──▶ CriJoiner(unwrapLogLine) ──▶ primary format's test ──▶ EnvoyLineParser.unwrapped
 *                                                                  └──▶ ZtunnelLineParser.unwrapped
 *
 * Which parser claimed the file (`primary`) decides the routing test, as each parser did on its own:
 *  - envoy-access: a ztunnel access line (or a continuation of a wrapped one that is pending) goes to
 *    ztunnel, everything else to Envoy;
 *  - ztunnel-access: an Envoy text or JSON access line goes to Envoy, everything else to ztunnel
 *    (blank lines are dropped before either).
 * Both write into one `out`, so records stay in line order.
 */
export type MeshFormat = "envoy" | "ztunnel";

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWs = (c: number) => c === 32 || c === 9;

export class MeshAccessLines implements SegmentableMachine {
  private readonly cri = new CriJoiner();
  /** Created on the first line of its format (the primary one up front). */
  private envoy: EnvoyLineParser | null = null;
  private ztunnel: ZtunnelLineParser | null = null;

  constructor(
    private readonly ctx: ParseContext,
    readonly primary: MeshFormat,
    readonly out: ParseItem[] = [],
  ) {
    if (primary === "envoy") this.envoy = new EnvoyLineParser(ctx, out);
    else this.ztunnel = new ZtunnelLineParser(ctx, out);
  }

  line(no: number, offset: number, raw: string, truncated: boolean): void {
    if (this.primary === "envoy") this.envoyLed(no, offset, raw, truncated);
    else this.ztunnelLed(no, offset, raw, truncated);
  }

  /** SegmentableMachine: no CRI partial pending, and the ztunnel lines met so far leave nothing open. */
  canCutBefore(raw: string): boolean {
    if (this.cri.hasPending) return false;
    const zt = this.ztunnel;
    if (zt === null || (!zt.hasPending && zt.quiescentBefore(""))) return true;
    const u = unwrapLogLine(raw);
    return !u.partial && zt.quiescentBefore(u.text);
  }

  end(): void {
    if (this.cri.flush() !== null) this.out.push({ kind: "warning", message: "file ends inside a CRI partial line; the fragment was dropped" });
    this.ztunnel?.end();
  }

  private envoyLed(no: number, offset: number, raw: string, truncated: boolean): void {
    if (truncated) {
      this.out.push({ kind: "skipped", line: no, reason: "line longer than 1 MiB (truncated); not an Envoy access log line", excerpt: excerpt(raw) });
      return;
    }
    const u = this.cri.push(unwrapLogLine(raw), no, offset);
    if (u === null) return;
    const endNo = no;
    if (u.joinedFrom) {
      no = u.joinedFrom.line;
      offset = u.joinedFrom.offset;
    }
    const text = u.text;
    const c0 = text.charCodeAt(0);
    const zt = this.ztunnel;
    // ztunnel lines (and the continuation lines of a wrapped ztunnel access line) go to its parser.
    if (((isDigit(c0) || c0 === 123) && isZtunnelAccessLine(text)) || (zt !== null && zt.hasPending && (c0 === 32 || c0 === 9 || (c0 >= 97 && c0 <= 122) || c0 === 95))) {
      this.ztunnel ??= new ZtunnelLineParser(this.ctx, this.out);
      this.ztunnel.unwrapped(no, offset, text, endNo);
      return;
    }
    zt?.flushPending();
    this.envoy!.unwrapped(no, offset, u, endNo);
  }

  private ztunnelLed(no: number, offset: number, raw: string, truncated: boolean): void {
    const zt = this.ztunnel!;
    if (truncated) {
      zt.flushPending();
      this.out.push({ kind: "skipped", line: no, reason: "line longer than 1 MiB (truncated); not a ztunnel log line", excerpt: excerpt(raw) });
      return;
    }
    const c0 = raw.charCodeAt(0);
    // Bare current-format lines (`2024-…Z\tinfo`) need no unwrapping beyond unwrapLogLine's digit checks.
    const u = this.cri.push(unwrapLogLine(raw), no, offset);
    if (u === null) return; // CRI partial, continued on the next line
    const text = u.text;
    // A line re-joined from CRI fragments cites its first fragment; endLine is the last one.
    const physicalEnd = no;
    if (u.joinedFrom) {
      no = u.joinedFrom.line;
      offset = u.joinedFrom.offset;
    }
    if (text.length === 0 || (isWs(c0) && text.trim() === "")) return;
    const t0 = text.charCodeAt(0);
    if ((t0 === 91 /* [ */ && isEnvoyTextLine(text)) || (t0 === 123 /* { */ && isEnvoyJsonLine(text))) {
      zt.flushPending();
      this.envoy ??= new EnvoyLineParser(this.ctx, this.out);
      this.envoy.unwrapped(no, offset, u, physicalEnd);
      return;
    }
    zt.unwrapped(no, offset, text, physicalEnd);
  }
}

/** Parser.parseBatches of a mesh access parser: the router led by `primary`, driven over the stream. */
export function parseMeshBatches(input: Readable, ctx: ParseContext, primary: MeshFormat): AsyncGenerator<ParseItem[]> {
  return driveLines(input, new MeshAccessLines(ctx, primary));
}

/** Parser.parse: the per-item view of parseMeshBatches. */
export function parseMesh(input: Readable, ctx: ParseContext, primary: MeshFormat): AsyncGenerator<ParseItem> {
  return flattenBatches(parseMeshBatches(input, ctx, primary));
}
