import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/prng";
import {
  METRIC_CHANGE,
  detectMetricChanges,
  detectSeriesChange,
  entityOf,
  metricKind,
  rankEntities,
  serviceFromPodName,
  type SeriesInput,
} from "@/lib/server/correlate/metric-change";
import { durationMs, epochMs, type EpochMs } from "@/lib/schemas/time";

const T0 = Date.UTC(2025, 2, 12, 9, 0, 0);
const STEP = 60_000;
const at = (i: number) => epochMs(T0 + i * STEP);

/** A series from values at a regular step (NaN allowed), with deterministic Gaussian noise of σ = noise × level. */
function series(values: number[], opts: { name?: string; labels?: Record<string, string>; noise?: number; seed?: number; step?: number } = {}): SeriesInput {
  const rnd = mulberry32(opts.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const step = opts.step ?? STEP;
  return {
    name: opts.name ?? "container_cpu_usage_rate",
    labels: opts.labels ?? { pod: "api-7d9f8b6c5d-x2x4k", namespace: "shop" },
    points: values.map((v, i) => [(T0 + i * step) as EpochMs, v + (opts.noise ? opts.noise * Math.abs(v) * gauss() : 0)]),
  };
}
const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe("metric change points", () => {
  it("a flat noisy series has no change, with or without a hint (40 noise draws)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const s = series(repeat(40, 15), { noise: 0.08, seed });
      expect(detectSeriesChange(s).changed, `seed ${seed}`).toBe(false);
      expect(detectSeriesChange(s, { hintMs: at(10) }).changed, `seed ${seed} hinted`).toBe(false);
    }
  });

  it("a flat series of small counts (a short reference of equal values has MAD 0) has no change (60 draws)", () => {
    const poisson = (rnd: () => number, lambda: number) => {
      let k = 0;
      let p = Math.exp(-lambda);
      let cdf = p;
      const u = rnd();
      while (u > cdf) {
        p *= lambda / ++k;
        cdf += p;
      }
      return k;
    };
    let changed = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = mulberry32(seed);
      const s = series(Array.from({ length: 15 }, () => poisson(rnd, 3)), { name: "http_requests_failed_total_rate" });
      if (detectSeriesChange(s).changed || detectSeriesChange(s, { hintMs: at(9) }).changed) changed++;
    }
    expect(changed).toBe(0);
  });

  it("one spike is not a change — after the split, at the start, or inside the reference", () => {
    const base = [20, 21, 19, 20, 22, 20, 19, 21, 20, 21, 20, 19, 20, 21, 20];
    const spikeLate = [...base];
    spikeLate[10] = 95;
    const spikeFirst = [...base];
    spikeFirst[0] = 95;
    for (const v of [spikeLate, spikeFirst]) {
      expect(detectSeriesChange(series(v)).changed).toBe(false);
      expect(detectSeriesChange(series(v), { hintMs: at(10) }).changed).toBe(false);
    }
    // A spike inside the reference does not hide a real step after it, nor move its split.
    const withStep = [20, 21, 95, 20, 22, 20, 19, 21, 20, 21, 60, 62, 61, 60, 59];
    const c = detectSeriesChange(series(withStep));
    expect(c).toMatchObject({ changed: true, direction: "up", firstAbnormalTs: at(10) });
    expect(c.reference.median).toBeCloseTo(20.5, 5);
  });

  it("a step up is found at its first point, with direction, magnitude and citations", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const v = [...repeat(20, 9), ...repeat(60, 6)];
      const s = series(v, { noise: 0.05, seed });
      const c = detectSeriesChange(s);
      expect(c.changed, `seed ${seed}`).toBe(true);
      expect(c.direction).toBe("up");
      expect(Math.abs((c.firstAbnormalTs! - at(9)) / STEP), `seed ${seed}`).toBeLessThanOrEqual(1);
      expect(c.ratio!).toBeGreaterThan(2.4);
      expect(c.ratio!).toBeLessThan(3.6);
      expect(c.recovered).toBe(false);
      expect(c.kind).toBe("cpu");
      expect(c.orientation).toBe("bad");
      expect(c.score).toBeGreaterThanOrEqual(METRIC_CHANGE.Z_CHANGE);
      expect(c.score).toBeLessThanOrEqual(METRIC_CHANGE.SCORE_CAP);
      // Every cited point is a real point of the input, abnormal on the change's side.
      expect(c.points.length).toBeGreaterThanOrEqual(METRIC_CHANGE.MIN_RUN);
      for (const p of c.points) {
        expect(s.points[p.index]).toEqual([p.ts, p.value]);
        expect(p.z).toBeGreaterThan(METRIC_CHANGE.Z_POINT);
      }
    }
  });

  it("a success rate stepping down is a bad change of kind errors", () => {
    const c = detectSeriesChange(series([...repeat(99.5, 10), 80, 78, 81, 79, 80], { name: "pod_success_rate", noise: 0.002 }), { hintMs: at(10) });
    expect(c).toMatchObject({ changed: true, direction: "down", kind: "errors", badWhen: "down", orientation: "bad", basis: "hint", firstAbnormalTs: at(10) });
    // The same series going up is benign.
    const up = detectSeriesChange(series([...repeat(80, 10), 99, 99.5, 99.4, 99.6, 99.5], { name: "pod_success_rate" }));
    expect(up).toMatchObject({ changed: true, direction: "up", orientation: "benign" });
  });

  it("an all-zero series has no change and finite statistics", () => {
    const c = detectSeriesChange(series(repeat(0, 15), { name: "pod_success_rate" }), { hintMs: at(10) });
    expect(c.changed).toBe(false);
    expect(c.score).toBe(0);
    expect(Number.isFinite(c.reference.scale)).toBe(true);
    expect(detectSeriesChange(series(repeat(0, 15))).changed).toBe(false);
  });

  it("a series leaving zero changes (errors from none to some) with a capped, finite score", () => {
    const c = detectSeriesChange(series([...repeat(0, 10), 4, 5, 4, 6, 5], { name: "http_errors_per_second" }));
    expect(c).toMatchObject({ changed: true, direction: "up", kind: "errors", orientation: "bad", firstAbnormalTs: at(10), ratio: null });
    expect(Number.isFinite(c.score)).toBe(true);
  });

  it("NaN and ±Inf samples are skipped and counted; citations keep the input's indices", () => {
    const v = [20, NaN, 21, 19, Infinity, 20, 22, 20, NaN, 19, 60, NaN, 61, 62, 60, -Infinity];
    const s = series(v);
    const c = detectSeriesChange(s, { hintMs: at(10) });
    expect(c.nonFinitePoints).toBe(5);
    expect(c.finitePoints).toBe(11);
    expect(c).toMatchObject({ changed: true, direction: "up", firstAbnormalTs: at(10) });
    expect(c.points.map((p) => p.index)).toEqual([10, 12, 13, 14]);
    for (const p of c.points) expect(s.points[p.index]![1]).toBe(p.value);
  });

  it("a change that recovered says so, and when", () => {
    const c = detectSeriesChange(series([...repeat(10, 8), 40, 42, 41, 10, 11, 10, 9, 10], { noise: 0.02 }));
    expect(c).toMatchObject({ changed: true, direction: "up", firstAbnormalTs: at(8), recovered: true, recoveredTs: at(11), abnormalPoints: 3 });
    expect(c.window.count).toBe(3);
  });

  it("a ramp is a change that starts shortly after the ramp does and has not recovered", () => {
    const v = [...repeat(100, 10), ...Array.from({ length: 10 }, (_, i) => 100 + 15 * (i + 1))];
    const c = detectSeriesChange(series(v, { name: "memory_working_set_bytes", noise: 0.01 }));
    expect(c).toMatchObject({ changed: true, direction: "up", kind: "memory", recovered: false });
    const startIdx = (c.firstAbnormalTs! - T0) / STEP;
    expect(startIdx).toBeGreaterThanOrEqual(10);
    expect(startIdx).toBeLessThanOrEqual(12);
  });

  it("the same relative shift scores the same at any scale (latency in seconds and in ms)", () => {
    const shape = [...repeat(1, 10), 1.6, 1.7, 1.6, 1.65, 1.6];
    const s = series(shape.map((x) => x * 0.005), { name: "request_latency_p99_seconds", noise: 0.03, seed: 3 });
    const ms = series(shape.map((x) => x * 5000), { name: "request_latency_p99_ms", noise: 0.03, seed: 3 });
    const a = detectSeriesChange(s);
    const b = detectSeriesChange(ms);
    expect(a.changed && b.changed).toBe(true);
    expect(a.kind).toBe("latency");
    expect(b.kind).toBe("latency");
    expect(Math.abs(a.score - b.score) / b.score).toBeLessThan(1e-6);
    expect(a.firstAbnormalTs).toBe(b.firstAbnormalTs);
    // Different noise draws: similar, not identical.
    const c = detectSeriesChange(series(shape.map((x) => x * 300), { noise: 0.03, seed: 9 }));
    expect(c.changed).toBe(true);
    expect(c.score / a.score).toBeGreaterThan(0.5);
    expect(c.score / a.score).toBeLessThan(2);
  });

  it("scale invariance holds for any positive factor (property)", () => {
    const v = [...repeat(20, 8), 50, 55, 52, 51, 20, 21];
    const base = detectSeriesChange(series(v, { noise: 0.04, seed: 5 }));
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (k) => {
        const s = series(v, { noise: 0.04, seed: 5 });
        const scaled = { ...s, points: s.points.map(([t, x]) => [t, x * k] as [EpochMs, number]) };
        const c = detectSeriesChange(scaled);
        expect(c.changed).toBe(base.changed);
        expect(c.firstAbnormalTs).toBe(base.firstAbnormalTs);
        expect(c.score).toBeCloseTo(base.score, 6);
      }),
      { numRuns: 50 },
    );
  });

  it("the tail of an earlier incident in the reference: a hint finds the new step, not the old one", () => {
    // Elevated for the first 3 minutes (the previous fault ending), normal, then a new step at 11.
    const v = [80, 82, 79, ...repeat(30, 8), 90, 92, 91, 90];
    const s = series(v, { noise: 0.03, seed: 2 });
    const hinted = detectSeriesChange(s, { hintMs: at(11) });
    expect(hinted).toMatchObject({ basis: "hint", changed: true, direction: "up", splitTs: at(11), firstAbnormalTs: at(11) });
    // The reference's median is the normal level, not dragged up by the old tail.
    expect(hinted.reference.median).toBeGreaterThan(25);
    expect(hinted.reference.median).toBeLessThan(35);
    expect(hinted.ratio!).toBeGreaterThan(2.5);
    // The series' own best split is reported beside it, whichever change it is.
    expect(hinted.own?.changed).toBe(true);
  });

  it("a hint allows a change that starts within the tolerance after it, not one long after", () => {
    const v = [...repeat(10, 10), 10, 10, 30, 31, 30, 32, 30];
    const near = detectSeriesChange(series(v), { hintMs: at(10) });
    expect(near).toMatchObject({ changed: true, splitTs: at(10), firstAbnormalTs: at(12) });
    const far = detectSeriesChange(series([...repeat(10, 10), ...repeat(10, 6), 30, 31, 30, 32]), { hintMs: at(10), hintToleranceMs: durationMs(2 * STEP) });
    expect(far.changed).toBe(false);
    expect(far.basis).toBe("hint");
    expect(far.own).toMatchObject({ changed: true, firstAbnormalTs: at(16) });
  });

  it("a hint the series cannot be split at falls back to the own split and says why", () => {
    const s = series([...repeat(10, 6), 40, 41, 40, 42]);
    const early = detectSeriesChange(s, { hintMs: at(1) });
    expect(early.basis).toBe("own");
    expect(early.hintNote).toMatch(/before the hint/);
    expect(early.changed).toBe(true);
    const late = detectSeriesChange(s, { hintMs: at(50) });
    expect(late.hintNote).toMatch(/ends before the hint/);
  });

  it("too few points: no change, no throw", () => {
    for (const v of [[], [1], [1, 2, 3, 50, 60]]) {
      const c = detectSeriesChange(series(v));
      expect(c.changed).toBe(false);
      expect(c.basis).toBe("too few points");
    }
  });

  it("one slow minute at 15 s steps (four points, then back) is a spike; three slow minutes are a change", () => {
    const at = (k: number) => (T0 + k * 15_000) as EpochMs;
    const make = (slowPoints: number) => Array.from({ length: 60 }, (_, k) => [at(k), 0.02 + 0.001 * (k % 3) + (k >= 40 && k < 40 + slowPoints ? 1.2 : 0)] as [EpochMs, number]);
    const spike = detectSeriesChange({ name: "http_server_request_duration_seconds_p95", labels: { pod: "statements-445shrhmsr-hh4cj" }, points: make(4) }, { hintMs: at(40) });
    expect(spike.changed).toBe(false);
    const change = detectSeriesChange({ name: "http_server_request_duration_seconds_p95", labels: { pod: "statements-445shrhmsr-hh4cj" }, points: make(12) }, { hintMs: at(40) });
    expect(change).toMatchObject({ changed: true, direction: "up", firstAbnormalTs: at(40) });
  });

  it("irregular, unsorted and missing samples are read by time", () => {
    const times = [0, 15, 45, 60, 75, 90, 150, 165, 180, 240, 255, 270, 300];
    const vals = [5, 5.1, 4.9, 5, 5.2, 5, 4.8, 5, 5.1, 20, 21, 20, 22];
    const pts = times.map((t, i) => [(T0 + t * 1000) as EpochMs, vals[i]!] as [EpochMs, number]).reverse();
    const c = detectSeriesChange({ name: "node_cpu_seconds_rate", labels: { instance: "10.0.0.5:9100" }, points: pts });
    expect(c).toMatchObject({ changed: true, direction: "up", firstAbnormalTs: T0 + 240_000 });
    expect(c.entity).toMatchObject({ nodeLevel: true, node: "10.0.0.5" });
  });

  it("a long series (thousands of points) is reduced and still splits at its step", () => {
    const n = 3000;
    const v = Array.from({ length: n }, (_, i) => (i >= 2000 ? 300 : 100));
    const c = detectSeriesChange(series(v, { noise: 0.05, step: 15_000 }));
    expect(c.finitePoints).toBeLessThanOrEqual(METRIC_CHANGE.MAX_POINTS);
    expect(c.changed).toBe(true);
    expect(Math.abs(c.firstAbnormalTs! - (T0 + 2000 * 15_000))).toBeLessThanOrEqual(5 * 15_000);
  });
});

describe("metric names and entities", () => {
  it.each([
    ["container_cpu_usage_seconds_total", {}, "cpu", "up"],
    ["container_cpu_cfs_throttled_periods_total", {}, "cpu", "up"],
    ["container_memory_working_set_bytes", {}, "memory", "up"],
    ["process_resident_memory_bytes", {}, "memory", "up"],
    ["jvm_heap_used", {}, "memory", "up"],
    ["container_network_receive_bytes_total", {}, "network", "either"],
    ["node_netstat_Tcp_RetransSegs", {}, "network", "up"],
    ["container_network_transmit_packets_dropped_total", {}, "network", "up"],
    ["http_server_request_duration_seconds_bucket", {}, "latency", "up"],
    ["pod_server_latency_p90_seconds", {}, "latency", "up"],
    ["rpc_server_seconds", { quantile: "0.99" }, "latency", "up"],
    ["http_server_request_duration_seconds_count", {}, "traffic", "either"],
    ["http_requests_total", {}, "traffic", "either"],
    ["http_requests_total", { code: "503" }, "errors", "up"],
    ["grpc_server_handled_total", { grpc_code: "Unavailable" }, "errors", "up"],
    ["grpc_server_handled_total", { grpc_code: "OK" }, "traffic", "either"],
    ["app_errors_total", {}, "errors", "up"],
    ["pod_success_rate", {}, "errors", "down"],
    ["pod_workload_ops", {}, "traffic", "either"],
    ["envoy_cluster_upstream_rq_time", {}, "latency", "up"],
    ["process_start_time_seconds", {}, "other", null],
    ["process_uptime_seconds", {}, "other", null],
    ["syscall_read", {}, "other", null],
  ] as const)("%s %j → %s (bad when %s)", (name, labels, kind, badWhen) => {
    expect(metricKind(name, { ...labels })).toEqual({ kind, badWhen });
  });

  it.each([
    ["frontend-579b9bff58-t2dbm", "frontend"],
    ["cartservice-579f59597d-wc2lz", "cartservice"],
    ["currencyservice-cf787dd48-vpjrd", "currencyservice"],
    ["redis-cart-0", "redis-cart"],
    ["fluent-bit-x7k2p", "fluent-bit"],
    ["api-proxy", "api-proxy"],
    ["payments", "payments"],
  ])("pod %s belongs to %s", (pod, svc) => {
    expect(serviceFromPodName(pod)).toBe(svc);
  });

  it("entities come from pod/service/container/node labels; node figures are node-level", () => {
    expect(entityOf("container_cpu_usage_rate", { pod: "cartservice-579f59597d-wc2lz", namespace: "shop", container: "server" })).toEqual({
      pod: "cartservice-579f59597d-wc2lz",
      service: "cartservice",
      namespace: "shop",
      container: "server",
      nodeLevel: false,
    });
    expect(entityOf("x", { kubernetes_pod_name: "web-6b7c9d8f4b-abcde", app: "storefront" }).service).toBe("storefront");
    expect(entityOf("x", { job: "checkout" }).service).toBe("checkout");
    expect(entityOf("container_memory_rss", { pod_name: "db-0", container: "POD" })).toEqual({ pod: "db-0", service: "db", nodeLevel: false });
    expect(entityOf("node_cpu_usage_rate", { pod: "cartservice-579f59597d-wc2lz", node: "n1" })).toMatchObject({ nodeLevel: true, node: "n1", pod: "cartservice-579f59597d-wc2lz" });
    expect(entityOf("disk_io_time", { instance: "node-3:9100" })).toMatchObject({ nodeLevel: true, node: "node-3" });
  });
});

describe("ranking entities", () => {
  const pod = (p: string) => ({ pod: p, namespace: "shop" });
  const cpuStep = [...repeat(20, 10), 95, 96, 94, 95, 96];
  const latStep = [...repeat(0.05, 10), 0.4, 0.42, 0.41, 0.4, 0.43];
  const trafficDrop = [...repeat(100, 10), 40, 41, 40, 42, 41];
  const flat = repeat(30, 15);

  it("a pod whose CPU and latency went up ranks first; traffic moves are symptoms; node figures stay out", () => {
    const input: SeriesInput[] = [
      series(cpuStep, { labels: pod("checkout-578fcf4766-9csqn"), noise: 0.02, seed: 1 }),
      series(latStep, { name: "pod_server_latency_p90_seconds", labels: pod("checkout-578fcf4766-9csqn"), noise: 0.02, seed: 2 }),
      series(trafficDrop, { name: "pod_workload_ops", labels: pod("frontend-579b9bff58-t2dbm"), noise: 0.02, seed: 3 }),
      series(latStep.map((x) => x * 0.8), { name: "pod_server_latency_p90_seconds", labels: pod("frontend-579b9bff58-t2dbm"), noise: 0.2, seed: 4 }),
      series(cpuStep, { name: "node_cpu_usage_rate", labels: { ...pod("email-55fdc5b988-f6xth"), node: "n2" }, noise: 0.02, seed: 5 }),
      series(flat, { labels: pod("email-55fdc5b988-f6xth"), noise: 0.02, seed: 6 }),
    ];
    const changes = detectMetricChanges(input, { hintMs: at(10) });
    expect(changes.map((c) => c.seriesIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    const r = rankEntities(changes);
    expect(r.services[0]).toMatchObject({ name: "checkout", level: "service", badChanges: 2 });
    expect(Object.keys(r.services[0]!.byKind).sort()).toEqual(["cpu", "latency"]);
    expect(r.pods[0]).toMatchObject({ name: "checkout-578fcf4766-9csqn", service: "checkout", namespace: "shop" });
    const frontend = r.services.find((s) => s.name === "frontend")!;
    expect(frontend.symptom).toMatchObject({ kind: "traffic", direction: "down", orientation: "symptom" });
    expect(frontend.byKind.traffic).toBeUndefined();
    // The node's CPU is the node's, not the email pod's.
    expect(r.services.find((s) => s.name === "email")).toBeUndefined();
    expect(r.nodes[0]).toMatchObject({ name: "n2", kind: "cpu" });
    // …unless asked for.
    expect(rankEntities(changes, { includeNodeLevel: true }).services.find((s) => s.name === "email")?.kind).toBe("cpu");
  });

  it("latency a pod measured as a client (its callees' time) is a symptom for it, not its own bad change", () => {
    const changes = detectMetricChanges([
      series(latStep, { name: "pod_client_latency_p95_seconds", labels: pod("frontend-579b9bff58-t2dbm"), noise: 0.02 }),
      series(latStep, { name: "envoy_cluster_upstream_rq_time", labels: pod("gateway-579b9bff58-t2dbm"), noise: 0.02 }),
      series(latStep, { name: "pod_server_latency_p95_seconds", labels: pod("cart-579f59597d-wc2lz"), noise: 0.02 }),
    ]);
    expect(changes.map((c) => [c.kind, c.callerView, c.orientation])).toEqual([
      ["latency", true, "symptom"],
      ["latency", true, "symptom"],
      ["latency", false, "bad"],
    ]);
    const r = rankEntities(changes);
    expect(r.services.map((s) => [s.name, s.kind])).toEqual([
      ["cart", "latency"],
      ["frontend", null],
      ["gateway", null],
    ]);
    expect(r.services[1]!.symptom).toMatchObject({ metric: "pod_client_latency_p95_seconds", direction: "up" });
  });

  it("a benign move (latency down) gives no score; nothing changed gives an empty ranking", () => {
    const down = detectMetricChanges([series(latStep.slice().reverse(), { name: "pod_server_latency_p90_seconds", labels: pod("a-579b9bff58-t2dbm") })]);
    expect(down[0]).toMatchObject({ changed: true, direction: "down", orientation: "benign" });
    const r = rankEntities(down);
    expect(r.services[0]).toMatchObject({ name: "a", score: 0, kind: null, badChanges: 0 });
    expect(rankEntities(detectMetricChanges([series(flat, { labels: pod("b-579b9bff58-t2dbm"), noise: 0.02 })])).services).toEqual([]);
  });

  it("ties on score go to the more kinds, then the earlier onset", () => {
    const early = [...repeat(20, 8), 95, 95, 95, 95, 95, 95, 95];
    const late = [...repeat(20, 11), 95, 95, 95, 95];
    const r = rankEntities(detectMetricChanges([series(late, { labels: pod("late-579b9bff58-t2dbm") }), series(early, { labels: pod("early-579b9bff58-t2dbm") })]));
    expect(r.services[0]!.score).toBe(r.services[1]!.score);
    expect(r.services.map((s) => s.name)).toEqual(["early", "late"]);
  });
});
