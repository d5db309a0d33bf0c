import { describe, expect, it } from "vitest";
import { durationMs } from "@/lib/schemas/time";
import {
  LOG_TEMPLATES,
  OTHER_CLUSTER,
  TemplateMiner,
  WILDCARD,
  maskMessage,
  normaliseSeverity,
  templateChanges,
  tokenize,
  type TemplateLine,
} from "@/lib/server/correlate/log-templates";

describe("masking", () => {
  const cases: Array<[string, string]> = [
    ["Connected to 10.0.0.1:5432 in 12ms", "Connected to <*> in <*>"],
    ["took 1.5s and 1m30s, retry 3", "took <*> and <*>, retry <*>"],
    ["user bob.smith+ops@example.com logged in", "user <*> logged in"],
    ["trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7", "trace <*> span <*>"],
    ["ptr 0x7ffd5c2a flags 0x1f", "ptr <*> flags <*>"],
    ["req 550e8400-e29b-41d4-a716-446655440000 done", "req <*> done"],
    ["listening on [::1]:8080 and fe80::1ff:fe23:4567:890a", "listening on <*> and <*>"],
    ["peer 2001:db8::8a2e:370:7334 closed", "peer <*> closed"],
    ["GET /api/orders/123 200", "GET <*> <*>"],
    ["fetch http://inventory:8080/items?id=7 failed", "fetch <*> failed"],
    ["open /usr/bin/env ok", "open /usr/bin/env ok"],
    ["mount /var/lib/kubelet/pods/3f2a/volumes", "mount <*>"],
    ['Deleted key="abc def" ok', "Deleted key=<*> ok"],
    ["can't open file 'config.yaml' at 2025-03-12T09:00:00.123Z", "can't open file <*> at <*>"],
    ["std::string ERROR at 09:12:33", "std::string ERROR at <*>"],
    ["http2 v1 5xx 80% 12KB -3", "http2 v1 <*> <*> <*> <*>"],
    ["user=alice attempt=3 op=read", "user=<*> attempt=<*> op=<*>"],
    // logfmt: the message-like keys keep their words (digits inside are still masked).
    ['level=error msg="dial tcp 10.0.0.3:6379: connect: connection refused" user=alice', 'level=error msg="dial tcp <*>: connect: connection refused" user=<*>'],
    ["deadbeef is a word, a1b2c3d4e5 is an id", "deadbeef is a word, <*> is an id"],
  ];
  it.each(cases)("%s → %s", (input, template) => {
    expect(maskMessage(input)).toBe(template);
  });

  it("looks at the first MAX_CHARS characters and MAX_TOKENS tokens only", () => {
    expect(maskMessage("x".repeat(5000)).length).toBe(LOG_TEMPLATES.MAX_CHARS);
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
    expect(tokenize(long)).toHaveLength(LOG_TEMPLATES.MAX_TOKENS);
    expect(tokenize("  a \t b\n c  ")).toEqual(["a", "b", "c"]);
  });
});

describe("Drain tree", () => {
  /** Each group: messages that must share one cluster; different groups must not. */
  const groups: Array<{ name: string; messages: string[][]; templates: string[] }> = [
    {
      name: "masked variables: one template",
      messages: [["Connected to 10.0.0.1:5432 in 12ms", "Connected to 10.0.0.2:5432 in 7ms"]],
      templates: ["Connected to <*> in <*>"],
    },
    {
      name: "different token counts: different templates",
      messages: [["Connected to 10.0.0.1:5432 in 12ms"], ["Connected to 10.0.0.1:5432 in 12ms again"]],
      templates: ["Connected to <*> in <*>", "Connected to <*> in <*> again"],
    },
    {
      name: "different constant leading words: different templates",
      messages: [["Connected to 10.0.0.1:5432 in 12ms"], ["Disconnected from 10.0.0.1:5432 after 12ms"]],
      templates: ["Connected to <*> in <*>", "Disconnected from <*> after <*>"],
    },
    {
      name: "a differing token past the routing tokens merges to <*>",
      messages: [["Session opened for alice from web", "Session opened for bob from web", "Session opened for carol from web"]],
      templates: ["Session opened for <*> from web"],
    },
    {
      name: "same leaf, similarity below SIM_TH: separate clusters",
      messages: [["Request handled a b c d e f"], ["Request handled g h i j k l"]],
      templates: ["Request handled a b c d e f", "Request handled g h i j k l"],
    },
    {
      name: "a token with digits routes to <*> and merges there",
      messages: [["w1 started job sync", "w2 started job sync"]],
      templates: ["<*> started job sync"],
    },
    {
      name: "empty message",
      messages: [["", "   "]],
      templates: [""],
    },
  ];
  it.each(groups)("$name", ({ messages, templates }) => {
    const miner = new TemplateMiner();
    const ids = messages.map((g) => g.map((m) => miner.add(m)));
    for (const g of ids) expect(new Set(g).size).toBe(1);
    expect(new Set(ids.map((g) => g[0])).size).toBe(ids.length);
    expect(ids.map((g) => miner.template(g[0]!))).toEqual(templates);
    expect(miner.templates().map((t) => t.size)).toEqual(messages.map((g) => g.length));
  });

  it("merging is progressive: the template generalises only where messages differ", () => {
    const miner = new TemplateMiner();
    const a = miner.add("Evicted pod from node alpha due to memory");
    expect(miner.template(a)).toBe("Evicted pod from node alpha due to memory");
    expect(miner.add("Evicted pod from node beta due to memory")).toBe(a);
    expect(miner.template(a)).toBe("Evicted pod from node <*> due to memory");
    expect(miner.add("Evicted pod from node gamma due to disk")).toBe(a);
    expect(miner.template(a)).toBe(`Evicted pod from node ${WILDCARD} due to ${WILDCARD}`);
  });

  it("messages longer than MAX_TOKENS are clustered on their first MAX_TOKENS tokens", () => {
    const miner = new TemplateMiner();
    const head = Array.from({ length: LOG_TEMPLATES.MAX_TOKENS }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`).join(" ");
    const a = miner.add(`${head} tail one`);
    expect(miner.add(`${head} another tail entirely`)).toBe(a);
    expect(miner.templates()[0]!.tokens).toHaveLength(LOG_TEMPLATES.MAX_TOKENS);
  });

  it("a full node sends further tokens to <*> (MAX_CHILDREN)", () => {
    const miner = new TemplateMiner({ maxChildren: 3 });
    const ids = ["alpha", "beta", "gamma", "delta", "epsilon"].map((w) => miner.add(`${w} opened the door`));
    // Two own keys (the third slot is kept for <*>); every later first word shares the <*> leaf.
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ids[3]).toBe(3);
    expect(ids[4]).toBe(3);
    expect(miner.template(1)).toBe("alpha opened the door");
    expect(miner.template(3)).toBe("<*> opened the door");
  });

  it("honours the cluster cap: later new messages are counted as other, known ones still join", () => {
    const miner = new TemplateMiner({ maxClusters: 2 });
    expect(miner.add("alpha happened once")).toBe(1);
    expect(miner.add("beta happened twice here")).toBe(2);
    expect(miner.add("gamma is something else entirely now")).toBe(OTHER_CLUSTER);
    expect(miner.add("delta too")).toBe(OTHER_CLUSTER);
    expect(miner.add("alpha happened once")).toBe(1);
    expect(miner.size).toBe(2);
    expect(miner.other).toBe(2);
  });

  it("honours the per-leaf cap: dissimilar messages behind the same leading tokens stop at MAX_LEAF_CLUSTERS", () => {
    const miner = new TemplateMiner({ maxLeafClusters: 3 });
    const words = ["red green blue pink", "one two three four", "cat dog fox owl", "sun moon star sky", "oak elm ash yew"];
    const ids = words.map((w) => miner.add(`Request handled ${w}`));
    expect(ids).toEqual([1, 2, 3, OTHER_CLUSTER, OTHER_CLUSTER]);
    // Another leaf still has room.
    expect(miner.add("Response sent red green blue pink")).toBe(4);
    expect(miner.other).toBe(2);
  });

  it("is deterministic: the same messages in the same order give the same ids and templates", () => {
    const messages = Array.from({ length: 400 }, (_, i) =>
      [`GET /api/orders/${i} 200 in ${i % 90}ms`, `Connected to 10.0.0.${i % 250}:5432 in ${i % 30}ms`, `cache miss for tenant t${i % 7} shard ${i % 3}`, `worker w${i % 5} idle`][i % 4]!,
    );
    const run = () => {
      const m = new TemplateMiner();
      return { ids: messages.map((x) => m.add(x)), templates: m.templates() };
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.templates.length).toBeLessThan(10);
  });
});

describe("normaliseSeverity", () => {
  it.each([
    ["ERROR", "error"],
    ["err", "error"],
    ["Warning", "warning"],
    ["WARN", "warning"],
    ["info", "info"],
    ["DEBUG", "debug"],
    ["trace", "debug"],
    ["FATAL", "critical"],
    ["critical", "critical"],
    ["notice", "notice"],
    ["", null],
    ["banana", null],
  ] as const)("%s → %s", (s, want) => {
    expect(normaliseSeverity(s)).toBe(want);
  });
  it("null and undefined → null", () => {
    expect(normaliseSeverity(null)).toBeNull();
    expect(normaliseSeverity(undefined)).toBeNull();
  });
});

// ───────────────────────── frequency change ─────────────────────────

type Spec = readonly [message: (i: number) => string, count: number, severity?: string];

/** One phase of one service: the specs' lines interleaved round-robin (as a live service would log them). */
function phase(service: string, inWindow: boolean, specs: readonly Spec[]): Omit<TemplateLine, "index">[] {
  const out: Omit<TemplateLine, "index">[] = [];
  const left = specs.map((s) => s[1]);
  const seen = specs.map(() => 0);
  while (left.some((n) => n > 0)) {
    specs.forEach(([msg, , severity], k) => {
      if (left[k]! <= 0) return;
      left[k]!--;
      out.push({ service, message: msg(seen[k]!++), severity: severity ?? null, inWindow });
    });
  }
  return out;
}
const build = (...phases: Omit<TemplateLine, "index">[][]): TemplateLine[] => phases.flat().map((l, index) => ({ ...l, index }));
const times = (specs: readonly Spec[], f: number): Spec[] => specs.map(([m, n, s]) => [m, Math.round(n * f), s] as const);

const API: Spec[] = [
  [(i) => `GET /api/orders/${i} 200 in ${(i * 7) % 90}ms`, 60, "info"],
  [(i) => `Connected to 10.0.0.${i % 250}:5432 in ${i % 30}ms`, 20, "info"],
  [(i) => `cache hit for user=${i}`, 20, "debug"],
];
const DB: Spec[] = [
  [(i) => `checkpoint complete: wrote ${i * 13} buffers (${i % 7}.${i % 10}%)`, 30, "info"],
  [(i) => `autovacuum: processing table public.orders_${i % 5}`, 10, "info"],
];
const REFUSED: Spec = [(i) => `Failed to connect to 10.0.0.${9 + (i % 2)}:6379: connection refused`, 6, "error"];

const svc = (r: ReturnType<typeof templateChanges>, name: string) => r.services.find((s) => s.service === name)!;

describe("template frequency change: must fire", () => {
  it("a new error template in one service", () => {
    const lines = build(phase("api", false, API), phase("db", false, DB), phase("api", true, [...API, REFUSED]), phase("db", true, DB));
    const r = templateChanges(lines);
    expect(r.services.map((s) => s.service)).toEqual(["api", "db"]);
    const api = svc(r, "api");
    expect(api.changes).toHaveLength(1);
    expect(api.changes[0]).toMatchObject({ template: "Failed to connect to <*>: connection refused", kind: "new", reference: 0, window: 6, severity: "error", errorLike: true });
    const ex = lines[api.changes[0]!.example]!;
    expect(ex).toMatchObject({ service: "api", inWindow: true });
    expect(ex.message).toMatch(/^Failed to connect/);
    expect(api.score).toBeGreaterThan(0.4);
    expect(api.referenceLines).toBe(100);
    expect(api.windowLines).toBe(106);
    expect(svc(r, "db")).toMatchObject({ score: 0, changes: [] });
  });

  it("a surging warning template", () => {
    const SLOW = (n: number): Spec => [(i) => `Slow query on orders took ${800 + i}ms`, n, "warning"];
    const r = templateChanges(build(phase("api", false, [...API, SLOW(4)]), phase("api", true, [...API, SLOW(40)])));
    const api = svc(r, "api");
    expect(api.changes).toHaveLength(1);
    expect(api.changes[0]).toMatchObject({ template: "Slow query on orders took <*>", kind: "surging", reference: 4, window: 40, severity: "warning", errorLike: true });
    expect(api.score).toBeGreaterThan(0.15);
  });

  it("a vanished template, cited by its last reference line", () => {
    const HEARTBEAT: Spec = [(i) => `Heartbeat sent to 10.0.0.7 seq=${i}`, 30, "info"];
    const lines = build(phase("api", false, [...API, HEARTBEAT]), phase("api", true, API));
    const api = svc(templateChanges(lines), "api");
    expect(api.changes).toHaveLength(1);
    const c = api.changes[0]!;
    expect(c).toMatchObject({ template: "Heartbeat sent to <*> seq=<*>", kind: "vanished", reference: 30, window: 0, errorLike: false });
    const last = lines.reduce((m, l) => (!l.inWindow && l.message.startsWith("Heartbeat") ? l.index : m), -1);
    expect(c.example).toBe(last);
    expect(api.score).toBeGreaterThan(0);
    // A vanished template is weaker evidence than a new error one.
    const newError = svc(templateChanges(build(phase("api", false, API), phase("api", true, [...API, REFUSED]))), "api");
    expect(api.score).toBeLessThan(newError.score);
  });

  it("a new error template in a window-only service counts, at a reduced weight", () => {
    const JOBS: Spec[] = [
      [(i) => `processing job ${i} for tenant t${i % 3}`, 40, "info"],
      [(i) => `job ${i} finished in ${i % 50}ms`, 40, "info"],
    ];
    const only = svc(templateChanges(build(phase("api", false, API), phase("worker", true, [...JOBS, REFUSED]))), "worker");
    expect(only.referenceLines).toBe(0);
    expect(only.changes.map((c) => c.kind)).toEqual(["new"]);
    expect(only.changes[0]!.errorLike).toBe(true);
    const withRef = svc(templateChanges(build(phase("worker", false, JOBS), phase("worker", true, [...JOBS, REFUSED]))), "worker");
    expect(only.score).toBeGreaterThan(0);
    expect(only.score).toBeLessThan(withRef.score);
  });
});

describe("template frequency change: must not fire", () => {
  const quiet = (lines: TemplateLine[], opts?: Parameters<typeof templateChanges>[1]) => {
    const r = templateChanges(lines, opts);
    for (const s of r.services) {
      expect(s.changes, s.service).toEqual([]);
      expect(s.score, s.service).toBe(0);
    }
    return r;
  };

  it("the same mix in both phases", () => {
    const r = quiet(build(phase("api", false, API), phase("db", false, DB), phase("api", true, API), phase("db", true, DB)));
    expect(r.templates).toBe(5);
    expect(r.other).toBe(0);
  });

  it("only the volume doubled, uniformly (with and without equal durations)", () => {
    const lines = build(phase("api", false, API), phase("db", false, DB), phase("api", true, times(API, 2)), phase("db", true, times(DB, 2)));
    quiet(lines);
    quiet(lines, { referenceMs: durationMs(600_000), windowMs: durationMs(600_000) });
  });

  it("a shorter window with proportionally fewer lines, durations given", () => {
    quiet(build(phase("api", false, times(API, 2)), phase("api", true, times(API, 0.5))), { referenceMs: durationMs(3_600_000), windowMs: durationMs(900_000) });
  });

  it("durations given: a template steady per minute while the rest of the service went quiet is not surging", () => {
    const SYNC: Spec = [(i) => `Sync loop tick ${i} ok`, 10, "info"];
    const lines = build(phase("api", false, [...API, SYNC]), phase("api", true, [...times(API, 0.1), SYNC]));
    // By share of the service's lines alone it looks like a surge (10 % → 50 %) …
    expect(svc(templateChanges(lines), "api").changes.map((c) => [c.kind, c.template])).toEqual([["surging", "Sync loop tick <*> ok"]]);
    // … by time (same duration, same count) it is not.
    quiet(lines, { referenceMs: durationMs(600_000), windowMs: durationMs(600_000) });
  });

  it("a service with window-only lines and no error words", () => {
    const JOBS: Spec[] = [
      [(i) => `processing job ${i} for tenant t${i % 3}`, 40, "info"],
      [(i) => `job ${i} finished in ${i % 50}ms`, 40, "info"],
    ];
    const r = quiet(build(phase("api", false, API), phase("api", true, API), phase("worker", true, JOBS)));
    expect(svc(r, "worker")).toMatchObject({ referenceLines: 0, windowLines: 80 });
  });

  it("a flood of one new error does not make the other templates vanish (dilution)", () => {
    const FLOOD: Spec = [(i) => `Failed to connect to 10.0.0.9:6379: connection refused (attempt ${i})`, 900, "error"];
    const api = svc(templateChanges(build(phase("api", false, API), phase("api", true, [...API, FLOOD]))), "api");
    expect(api.changes.map((c) => c.kind)).toEqual(["new"]);
    expect(api.score).toBeGreaterThan(0.8);
    expect(api.score).toBeLessThanOrEqual(1);
  });

  it("a template below minCount in the window is not new", () => {
    const ONE: Spec = [(i) => `Failed to connect to 10.0.0.9:6379: connection refused try ${i}`, 2, "error"];
    quiet(build(phase("api", false, API), phase("api", true, [...API, ONE])));
  });
});

describe("template frequency change: output", () => {
  it("is deterministic and sorted by score, then name", () => {
    const lines = build(
      phase("b", false, API),
      phase("a", false, API),
      phase("c", false, API),
      phase("b", true, API),
      phase("a", true, API),
      phase("c", true, [...API, REFUSED]),
    );
    const r = templateChanges(lines);
    expect(templateChanges(lines)).toEqual(r);
    expect(r.services.map((s) => s.service)).toEqual(["c", "a", "b"]);
  });

  it("lines past the cluster cap count in their service but in no template", () => {
    const r = templateChanges(build(phase("api", false, API), phase("api", true, [...API, REFUSED])), { miner: { maxClusters: 3 } });
    expect(r.templates).toBe(3);
    expect(r.other).toBe(6);
    expect(svc(r, "api")).toMatchObject({ windowLines: 106, changes: [] });
  });
});
