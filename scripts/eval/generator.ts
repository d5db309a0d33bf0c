import zlib from "node:zlib";
import { Rng, variantRng } from "./prng";
import { accessLine, wrap, type AccessFormat, type Req, type Wrapper } from "./formats/access";
import { events, timeline, type EventFormat, type KEvent, type TimelineEntry } from "./formats/k8s";
import { ZONES, humanDate, type Zone } from "./formats/time";
import { family, writeFamily } from "./microservices";

/**
 * Scenario-variation generator for `npm run eval` (issue 14). Each incident class (classes/*.ts)
 * describes its mechanism; this file holds what every class shares: the world a variant lives in,
 * traffic, noise and red herrings, and the axes that are not about the mechanism — file layout,
 * time zones, clock skew, wrappers, missing sources. Every choice is drawn from the variant's own
 * seeded stream and recorded in `axes`, so a failing variant can be regenerated and read.
 */

export type VariantKind = "incident" | "near-miss" | "healthy";

export interface GenFile {
  /** Path inside the bundle as uploaded (for an archive: the archive's name). */
  path: string;
  content: string | Buffer;
}

export interface Variant {
  /** `<class>` for incidents, `<class>/near-miss`, `healthy`. */
  cls: string;
  kind: VariantKind;
  index: number;
  /** Detector that must come first (incidents only). */
  expect: string | null;
  /**
   * Localising classes: the service the first hypothesis must name (its `facts.service`), and the
   * kind it should name (`facts.kind`, reported, not required).
   */
  expectService?: string;
  expectKind?: string;
  /** Near-misses of a localising class: a hypothesis naming a service (or service-fault) at ≥ 0.5 is a false alarm too. */
  serviceAlarm?: boolean;
  /** Paths (inside the bundle, archive members included) of the files that hold the mechanism's evidence. */
  evidence: string[];
  axes: Record<string, string>;
  files: GenFile[];
  /** Size of the bundle's files before any archive (bytes). */
  bytes?: number;
}

/** A file before layout: its logical name, the node it was taken on, and whether it holds the mechanism's evidence. */
interface Draft {
  name: string;
  node: string | null;
  content: string;
  evidence: boolean;
}

export interface ClassSpec {
  /** Class name = the detector that diagnoses it. */
  id: string;
  /** Writes the mechanism (kind "incident") or the same surface without it (kind "near-miss"). */
  build(w: World, kind: "incident" | "near-miss"): void;
  /** The class names a service (World.expectService): scored on it, and near-misses may name none. */
  localises?: boolean;
}

const NAMESPACES = ["shop", "payments", "catalog", "checkout", "media"];
const SERVICES = ["frontend", "cart", "orders", "search", "profile", "pricing", "inventory"];
const PATHS = ["/api/items", "/api/cart", "/api/orders/{id}", "/api/search?q=shoes", "/api/profile/{id}", "/healthz"];

/** The shared world of one variant: names, times, zones, traffic shape and the files written so far. */
export class World {
  readonly rng: Rng;
  readonly axes: Record<string, string> = {};
  /** Capture window, UTC ms. */
  readonly start: number;
  readonly end: number;
  /** When the mechanism starts (incident) or when the same surface change happens (near-miss, healthy). */
  readonly onset: number;
  readonly ns: string;
  readonly service: string;
  readonly caller: string;
  readonly nodes: string[];
  /** Zone the humans wrote the timeline in, and the local offset of nginx `$time_local`. */
  readonly zone: Zone;
  readonly localOffsetMin: number;
  readonly requests: number;
  readonly ipv6: boolean;
  /** Red herring: an endpoint that is always slow (1–4 s) and healthy; null when the variant has none. */
  readonly slowPath: string | null;
  /** Share of background 404 NR / client-closed requests. */
  readonly noise: number;
  readonly timelineEntries: TimelineEntry[] = [];
  readonly events: KEvent[] = [];
  /** Set by a localising class: the service (and fault kind) the incident started in. */
  expectService: string | null = null;
  expectKind: string | null = null;
  private readonly drafts: Draft[] = [];

  constructor(rng: Rng) {
    this.rng = rng;
    // Any day of 2024–2026, any hour: date handling must not depend on a fixed day.
    const day = Date.UTC(2024, 0, 1) + rng.int(0, 1000) * 86_400_000;
    this.start = day + rng.int(0, 23) * 3_600_000 + rng.int(0, 59) * 60_000;
    const minutes = rng.int(20, 60);
    this.end = this.start + minutes * 60_000;
    this.onset = this.start + Math.round(rng.float(0.3, 0.6) * minutes * 60_000);
    this.ns = rng.pick(NAMESPACES);
    this.service = rng.pick(SERVICES);
    this.caller = rng.pick(SERVICES.filter((s) => s !== this.service));
    this.nodes = Array.from({ length: rng.int(2, 4) }, (_, i) => `ip-10-0-${rng.int(1, 250)}-${10 + i}`);
    this.zone = rng.pick(ZONES);
    this.localOffsetMin = rng.pick([0, 0, 60, -420, 330]);
    this.requests = rng.logInt(100, 20_000);
    this.ipv6 = rng.chance(0.15);
    this.axes.window = `${minutes}m`;
    this.axes.scale = String(this.requests);
    this.axes.zone = this.zone.statement;
    this.axes.ipFamily = this.ipv6 ? "ipv6" : "ipv4";
    // Drawn once: every traffic() call of the variant shares them, so they are steady background.
    this.slowPath = rng.chance(0.4) ? this.axis("redHerring:slowUpstream", "/api/reports/export") : null;
    this.noise = rng.pick([0, 0.002, 0.01, 0.03]);
    if (this.noise) this.axes.background404 = String(this.noise);
  }

  /** Records the value of one axis (and returns it): the table of a failing variant names these. */
  axis<T extends string>(name: string, value: T): T {
    this.axes[name] = value;
    return value;
  }
  pickAxis<T extends string>(name: string, options: readonly T[]): T {
    return this.axis(name, this.rng.pick(options));
  }

  /** A pod IP (IPv4 or IPv6, per the variant's family). */
  podIp(): string {
    return this.ipv6 ? `fd00:10:244:${this.rng.int(1, 9)}::${this.rng.int(2, 250).toString(16)}` : `10.244.${this.rng.int(0, 9)}.${this.rng.int(2, 250)}`;
  }
  clusterIp(): string {
    return this.ipv6 ? `fd00:10:96::${this.rng.int(16, 4000).toString(16)}` : `10.96.${this.rng.int(0, 255)}.${this.rng.int(2, 250)}`;
  }
  hostPort(ip: string, port: number): string {
    return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
  }
  podName(app: string): string {
    return `${app}-${this.rng.hex(9)}-${this.rng.hex(5)}`;
  }

  add(name: string, content: string, opts: { node?: string; evidence?: boolean } = {}): void {
    this.drafts.push({ name, node: opts.node ?? null, content, evidence: opts.evidence ?? false });
  }

  /** Sources a human does not need to diagnose the class are dropped with this probability. */
  keep(source: string, p = 0.7): boolean {
    const kept = this.rng.chance(p);
    if (!kept) this.axes[`missing:${source}`] = "dropped";
    return kept;
  }

  /**
   * Clock skew of one source against the others: 0 for half the sources, else up to ±maxSec. A
   * class lowers maxSec where a larger skew would hide the mechanism from a human too (events a
   * few seconds apart).
   */
  skew(source: string, maxSec = 40): number {
    const ms = this.rng.chance(0.5) ? 0 : this.rng.int(-maxSec, maxSec - 1) * 1000 + this.rng.int(0, 999);
    if (ms !== 0) this.axes[`skew:${source}`] = `${ms}ms`;
    return ms;
  }

  /**
   * Steady traffic from `caller` to `service` over the window, with background noise (404 NR,
   * client-closed 499/DC) and, as a red herring, a slow-but-healthy endpoint. `shape` lets the
   * class turn requests into its symptoms; it receives each request and may change it.
   */
  traffic(opts: { count?: number; upstreams: () => string; shape?: (r: Req) => void } ): Req[] {
    const n = opts.count ?? this.requests;
    const span = this.end - this.start;
    const { slowPath, noise } = this;
    const out: Req[] = [];
    for (let i = 0; i < n; i++) {
      const ts = this.start + Math.floor((i + this.rng.next()) * (span / n));
      const p = slowPath && this.rng.chance(0.05) ? slowPath : this.rng.pick(PATHS).replace("{id}", String(this.rng.int(1, 99_999)));
      const base = Math.max(1, Math.round(Math.exp(this.rng.float(Math.log(4), Math.log(60)))));
      const up = p === slowPath ? this.rng.int(1200, 3800) : base;
      const host = opts.upstreams();
      const r: Req = {
        ts,
        method: this.rng.chance(0.8) ? "GET" : "POST",
        path: p,
        status: 200,
        flags: "-",
        details: "via_upstream",
        durMs: up + this.rng.int(0, 2),
        upstreamMs: up,
        connectMs: this.rng.chance(0.7) ? 0 : this.rng.int(0, 2),
        upstreamHost: host,
        cluster: `outbound|8080||${this.service}.${this.ns}.svc.cluster.local`,
        authority: `${this.service}.${this.ns}:8080`,
        reqId: `${this.rng.hex(8)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(12)}`,
        client: this.hostPort(this.podIp(), this.rng.int(32768, 60999)),
        ua: this.rng.pick(["Go-http-client/1.1", "okhttp/4.12.0", "curl/8.5.0", "python-requests/2.31.0"]),
        bytesOut: this.rng.int(80, 9000),
        local: this.hostPort(this.podIp(), 8080),
      };
      if (noise && this.rng.chance(noise)) {
        if (this.rng.chance(0.6)) Object.assign(r, { status: 404, flags: "NR", details: "route_not_found", upstreamHost: null, upstreamMs: null, connectMs: null, durMs: 0, cluster: "-" });
        else Object.assign(r, { status: 0, flags: "DC", details: "downstream_remote_disconnect", upstreamMs: null });
      }
      opts.shape?.(r);
      out.push(r);
    }
    return out;
  }

  /** Writes requests as one access log in a drawn format and wrapper. */
  accessLog(name: string, reqs: Req[], opts: { node?: string; evidence?: boolean; formats?: readonly AccessFormat[]; axisName?: string; skewMaxSec?: number } = {}): void {
    const axisName = opts.axisName ?? name;
    const format = this.pickAxis(`format:${axisName}`, opts.formats ?? (["envoy-text", "envoy-json", "nginx-timings", "nginx-main-ext", "nginx-json"] as const));
    const wrapper = this.pickAxis<Wrapper>(`wrapper:${axisName}`, ["none", "none", "cri", "docker-json"]);
    const skew = this.skew(axisName, opts.skewMaxSec);
    const lines = reqs.map((r0) => {
      // nginx has no "client closed" status 0: it logs 499.
      const r = format.startsWith("nginx") && r0.status === 0 ? { ...r0, status: 499 } : r0;
      const shifted = { ...r, ts: r.ts + skew };
      return wrap(accessLine(shifted, format, this.localOffsetMin), wrapper, shifted.ts + shifted.durMs + this.rng.int(1, 40));
    });
    this.add(name, `${lines.join("\n")}\n`, opts);
  }

  /**
   * Red herrings every class may carry: an unrelated deploy (in the events and the timeline), a
   * normal pod restart, unrelated application log lines.
   */
  redHerrings(): void {
    if (this.rng.chance(0.4)) {
      const app = this.rng.pick(["recommendation", "email", "ads", "currency"]);
      const at = this.start + this.rng.int(1, Math.round((this.end - this.start) / 1000) - 1) * 1000;
      this.axis("redHerring:deploy", app);
      this.events.push({ ts: at, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: this.ns, message: `Scaled up replica set ${app}-${this.rng.hex(9)} to 1`, component: "deployment-controller" });
      this.timelineEntries.push({ ts: at, text: `deployed ${app} v${this.rng.int(1, 4)}.${this.rng.int(0, 20)}.${this.rng.int(0, 9)} (routine release)` });
    }
    if (this.rng.chance(0.3)) {
      const pod = this.podName("batch-report");
      const at = this.start + this.rng.int(60, Math.round((this.end - this.start) / 1000) - 60) * 1000;
      this.axis("redHerring:restart", pod);
      this.events.push(
        { ts: at, type: "Normal", reason: "Killing", kind: "Pod", name: pod, ns: this.ns, message: "Stopping container report", component: "kubelet", fieldPath: "spec.containers{report}" },
        { ts: at + 4000, type: "Normal", reason: "Started", kind: "Pod", name: this.podName("batch-report"), ns: this.ns, message: "Started container report", component: "kubelet", fieldPath: "spec.containers{report}" },
      );
    }
    if (this.rng.chance(0.5)) {
      const wrapper = this.pickAxis<Wrapper>("wrapper:app-log", ["none", "cri", "docker-json"]);
      const lines: string[] = [];
      const n = this.rng.int(20, 200);
      for (let i = 0; i < n; i++) {
        const ts = this.start + Math.floor(((this.end - this.start) * i) / n);
        const msg = this.rng.pick([
          `level=info msg="cache refreshed" entries=${this.rng.int(100, 9000)}`,
          `level=info msg="served request" path=/api/items status=200`,
          `level=warn msg="slow query" table=orders ms=${this.rng.int(200, 900)}`,
          `level=info msg="GC pause" ms=${this.rng.int(1, 9)}`,
        ]);
        lines.push(wrap(`time="${new Date(ts).toISOString()}" ${msg}`, wrapper, ts));
      }
      this.add(`${this.caller}-app.log`, `${lines.join("\n")}\n`);
    }
  }

  /**
   * Events and the human timeline, each kept or dropped unless essential. Neither is ever the file
   * that holds a mechanism's evidence: they say when, not what.
   */
  finishContext(title: string, opts: { eventsEssential?: boolean } = {}): void {
    if (this.events.length > 0 && (opts.eventsEssential || this.keep("events", 0.8))) {
      const format = this.pickAxis<EventFormat>("format:events", opts.eventsEssential ? ["json-list"] : ["json-list", "json-list", "kubectl-get"]);
      this.add(format === "json-list" ? "events.json" : "events.txt", events(this.events, format, this.end));
    }
    if (this.timelineEntries.length > 0 && this.keep("timeline", 0.7)) {
      const style = this.rng.int(0, 3);
      this.axis("timelineDate", humanDate(this.start, this.zone.offsetMin, style));
      this.add("timeline.md", timeline(title, this.timelineEntries, this.zone, style));
    }
  }

  /** Bytes written so far (before layout and archiving). */
  bytes(): number {
    return this.drafts.reduce((a, d) => a + Buffer.byteLength(d.content), 0);
  }

  /** Lays the files out (flat, per-node folders, a nested archive) and names the evidence files. */
  layout(): { files: GenFile[]; evidence: string[] } {
    const layout = this.pickAxis("layout", ["flat", "nodes-dir", "node-prefix-dir", "archive"] as const);
    const root = `incident-${new Date(this.start).toISOString().slice(0, 10)}`;
    const pathOf = (d: Draft) => {
      if (layout === "flat") return d.node ? `${d.node}_${d.name}` : d.name;
      if (layout === "node-prefix-dir") return d.node ? `node-${d.node}/${d.name}` : d.name;
      return d.node ? `nodes/${d.node}/${d.name}` : `cluster/${d.name}`;
    };
    const placed = this.drafts.map((d) => ({ path: layout === "archive" ? `${root}/${pathOf(d)}` : pathOf(d), d }));
    const evidence = placed.filter((p) => p.d.evidence).map((p) => p.path);
    if (layout !== "archive") return { files: placed.map((p) => ({ path: p.path, content: p.d.content })), evidence };
    return { files: [{ path: `${root}.tar.gz`, content: tarGz(placed.map((p) => ({ path: p.path, content: p.d.content })), this.end) }], evidence };
  }
}

/**
 * A deterministic ustar tar.gz (fixed mtimes, sorted entries), built in memory: a few lines of
 * header writing keep generation synchronous and byte-identical for a seed.
 */
function tarGz(entries: { path: string; content: string }[], mtimeMs: number): Buffer {
  const blocks: Buffer[] = [];
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    const body = Buffer.from(e.content, "utf8");
    const h = Buffer.alloc(512);
    const name = e.path.length > 100 ? e.path.slice(e.path.length - 100) : e.path;
    h.write(name, 0, "utf8");
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
    h.write(`${Math.floor(mtimeMs / 1000).toString(8).padStart(11, "0")}\0`, 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\u000000", 257, "latin1");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 6 });
}

/** One variant of a class: the same (seed, class, index) always gives the same bundle. */
export function generateVariant(spec: ClassSpec | "healthy", kind: VariantKind, seed: number, index: number): Variant {
  const cls = spec === "healthy" ? "healthy" : kind === "near-miss" ? `${spec.id}/near-miss` : spec.id;
  const w = new World(variantRng(seed, cls, index));
  if (spec === "healthy") buildHealthy(w);
  else spec.build(w, kind === "near-miss" ? "near-miss" : "incident");
  const { files, evidence } = w.layout();
  const v: Variant = { cls, kind, index, expect: spec !== "healthy" && kind === "incident" ? spec.id : null, evidence, axes: w.axes, files, bytes: w.bytes() };
  if (kind === "incident" && w.expectService) v.expectService = w.expectService;
  if (kind === "incident" && w.expectKind) v.expectKind = w.expectKind;
  if (kind === "near-miss" && spec !== "healthy" && spec.localises) v.serviceAlarm = true;
  return v;
}

/**
 * Healthy: traffic, maybe a benign deploy or a load test, background noise, no failure. Half of them
 * also carry a microservice system's traces, per-pod metrics and application logs with no fault (GC
 * pauses, one-off slow requests, jitter, maybe a pod replaced, the load test): the acceptance line
 * "a healthy bundle of traces, metrics and logs names no service at ≥ 0.5". Drawn from a forked
 * stream, so the rest of the variant is what it was without it.
 */
function buildHealthy(w: World): void {
  const backends = Array.from({ length: w.rng.int(2, 5) }, () => w.hostPort(w.podIp(), 8080));
  const loadTest = w.rng.chance(0.4);
  const reqs = w.traffic({
    count: loadTest ? Math.min(20_000, w.requests * 2) : w.requests,
    upstreams: () => w.rng.pick(backends),
    // A load test raises the rate and the latency a little; nothing fails.
    shape: loadTest ? (r) => (r.ts > w.onset && r.ts < w.onset + 600_000 && r.upstreamMs !== null ? ((r.upstreamMs += 15), (r.durMs += 15)) : undefined) : undefined,
  });
  w.accessLog("gateway-access.log", reqs);
  if (loadTest) {
    w.axis("loadTest", "yes");
    w.timelineEntries.push({ ts: w.onset, text: "start of load test (k6, 3x normal rate)" }, { ts: w.onset + 600_000, text: "end of load test, no alerts fired" });
  }
  if (w.rng.chance(0.5)) {
    const app = w.service;
    w.axis("benignDeploy", app);
    w.events.push({ ts: w.onset, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: w.ns, message: `Scaled up replica set ${app}-${w.rng.hex(9)} to 3`, component: "deployment-controller" });
    w.timelineEntries.push({ ts: w.onset, text: `rolled out ${app} v2.${w.rng.int(0, 30)}.0, all checks green` });
  }
  const ms = w.rng.fork("microservices");
  if (ms.chance(0.5)) {
    w.axis("microservices", "traces+metrics+logs");
    const f = family(w, ms, { mode: "healthy", prefix: "ms:", ...(loadTest ? { loadTest: { from: w.onset, to: w.onset + 600_000 } } : {}) });
    writeFamily(w, f, { prefix: "ms:", evidenceSvc: null, kind: null });
  }
  w.redHerrings();
  w.finishContext("Routine operations review");
}
