import type { ClassSpec } from "../generator";
import { conntrackStats, type CtFormat, type CtSnapshot } from "../formats/netfilter";
import { ctime, hhmmCompact, iso } from "../formats/time";

/**
 * Seed 003 (reverse proxy moved onto shared Kubernetes nodes): outgoing connections are SNATed on
 * the node and a netfilter race drops some SYNs when the conntrack entry cannot be inserted; the
 * client retransmits after 1 s (or 3 s), so upstream connect times of exactly ~1 s / ~3 s appear and
 * the tail latency rises. Evidence: `conntrack -S` captures whose insert_failed (and drop) grow,
 * next to connect-time steps at 1 s / 3 s in the proxy's access log.
 *
 * Near-miss: the same captures with flat counters, and tail latency from a slow upstream (the
 * response is slow, the connect is instant).
 */
export const conntrackSnatRace: ClassSpec = {
  id: "conntrack-snat-race",
  build(w, kind) {
    const backends = Array.from({ length: w.rng.int(2, 6) }, () => w.hostPort(w.podIp(), 8080));
    const share = w.rng.float(0.01, 0.06);
    w.axis(kind === "incident" ? "delayedShare" : "slowUpstreamShare", share.toFixed(3));
    let delayed = 0;
    const reqs = w.traffic({
      upstreams: () => w.rng.pick(backends),
      shape: (r) => {
        if (r.ts < w.onset || r.upstreamHost === null || !w.rng.chance(share)) return;
        if (kind === "incident") {
          // SYN dropped on insert: the retransmit comes 1 s later (3 s after a second drop).
          const step = w.rng.chance(0.85) ? 1000 : 3000;
          const connect = step + w.rng.int(1, 12);
          r.connectMs = connect;
          r.upstreamMs = (r.upstreamMs ?? 0) + connect;
          r.durMs += connect;
          delayed += step === 1000 ? 1 : 2;
        } else {
          // A slow upstream: the connect is instant, the answer is not.
          const slow = w.rng.int(600, 3500);
          r.upstreamMs = (r.upstreamMs ?? 0) + slow;
          r.durMs += slow;
        }
      },
    });
    w.accessLog("proxy-access.log", reqs, { formats: ["nginx-timings", "nginx-main-ext", "nginx-json", "nginx-timings", "envoy-text", "envoy-json"], evidence: false });
    if (kind === "incident") w.axis("proxyDelayedConnects", String(delayed));

    const format = w.pickAxis<CtFormat>("format:conntrack", ["conntrack-S", "conntrack-S-procfs-names", "proc-hex"]);
    const naming = w.pickAxis("snapshot:naming", ["time-in-name-only", "date-line-inside", "iso-in-name"] as const);
    const cpus = w.rng.pick([2, 4, 8]);
    const affected = w.nodes.slice(0, w.rng.int(1, w.nodes.length));
    const times = [w.onset - w.rng.int(2, 10) * 60_000, ...Array.from({ length: w.rng.int(1, 3) }, (_, i) => w.onset + (i + 1) * Math.floor((w.end - w.onset) / 4))];
    w.axis("captures", String(times.length));
    for (const node of w.nodes) {
      const hit = affected.includes(node) && kind === "incident";
      if (!affected.includes(node) && !w.keep(`conntrack:${node}`, 0.5)) continue;
      const base = Array.from({ length: cpus }, () => ({
        found: w.rng.int(1000, 90_000),
        invalid: w.rng.int(0, 900),
        insert: 0,
        insert_failed: w.rng.int(0, 30),
        drop: w.rng.int(0, 30),
        early_drop: 0,
        search_restart: w.rng.int(100, 40_000),
        clash_resolve: w.rng.int(0, 200),
      }));
      // Failed inserts accumulate after the onset: several per delayed connect the proxy saw (other
      // clients on the node race too), growing with time so the counters stay cumulative.
      const perDelay = w.rng.float(2, 8);
      const floor = w.rng.int(200, 2000);
      const snaps: { at: number; s: CtSnapshot }[] = times.map((at) => {
        const frac = Math.max(0, Math.min(1, (at - w.onset) / (w.end - w.onset)));
        const grown = hit ? Math.round((delayed * perDelay + floor) * frac) : 0;
        return {
          at,
          s: {
            entries: w.rng.int(2000, 60_000),
            perCpu: base.map((c, i) => ({
              ...c,
              found: c.found + Math.round((at - times[0]!) / 10),
              search_restart: c.search_restart + Math.round((at - times[0]!) / 3000),
              insert_failed: c.insert_failed + Math.round(grown / cpus) + (i === 0 ? grown % cpus : 0),
              drop: c.drop + Math.round(grown / cpus),
            })),
          },
        };
      });
      if (naming === "date-line-inside") {
        const text = snaps.map(({ at, s }) => `${ctime(at).replace(/ (\d{4})$/, " UTC $1")}\n${conntrackStats(s, format)}`).join("");
        w.add("conntrack-stats.log", text, { node, evidence: hit });
      } else
        for (const { at, s } of snaps) {
          const name = naming === "time-in-name-only" ? `conntrack-S-${hhmmCompact(at)}.txt` : `conntrack-S-${iso(at, 0).replace(/:/g, "")}.txt`;
          w.add(name, conntrackStats(s, format), { node, evidence: hit });
        }
    }
    w.events.push({ ts: w.onset - 60_000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: "smartgateway", ns: w.ns, message: `Scaled up replica set smartgateway-${w.rng.hex(9)} to 4`, component: "deployment-controller" });
    w.timelineEntries.push({ ts: w.onset - 60_000, text: "reverse proxy moved onto the shared worker nodes" });
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + 900_000, text: "p99 latency alert on services with many sequential calls" });
    w.redHerrings();
    w.finishContext(kind === "incident" ? "Tail latency after the proxy migration" : "Proxy migration review");
  },
};
