import fs from "node:fs/promises";
import path from "node:path";
import { projectRoot } from "@/lib/server/paths";
import { Cas } from "@/lib/server/storage/cas";
import { dataDir } from "@/lib/server/config";
import type { Db } from "@/lib/server/db/client";
import { createIncident, type ServiceDeps } from "@/lib/server/services/incidents";

export const SAMPLE_TITLE = "Sample: mesh evidence from public projects";

/**
 * The sample incident a new user sees on first start: real format samples from public projects
 * (tests/fixtures/public, sources in SOURCES.md), one or more per format, uploaded as a folder.
 */
export const SAMPLE_FILES = [
  "iptables/istio-iptables-capture-golden-inbound-ports-wildcard.txt",
  "iptables/k8s-proxier_test-TestOverallIPTablesRules-expected.iptables-restore.txt",
  "ipvs/tkng-kind-worker-ipvsadm-ln.txt",
  "ipvs/node_exporter-fixture-proc-net-ip_vs.txt",
  "conntrack/elastic-beats-conntrack_test-conntrack-S-root-netlink.txt",
  "conntrack/node_exporter-fixture-proc-net-stat-nf_conntrack.txt",
  "xray/awsdocs-batch-get-traces-scorekeep-lambda.json",
  "xray/otelcontrib-rawsegment-ddbSample.txt",
  "otlp/otel-proto-examples-trace.json",
  "otlp/jaeger-fixture-otlp2jaeger-out.jaegerui.json",
  "ztunnel/istio-io-docs-troubleshoot-ztunnel-access.log",
  "ztunnel/istio-io-docs-ops-ambient-ztunnel-legacy-2023.log",
  "envoy/renuka-examples-envoy-simple-docker-compose.log",
  "envoy/istio-io-docs-access-log-default-format.log",
  "nginx/nginxinc-basics-workshops-main_ext.log",
  "k8s-events/k8s-website-probes-describe-pod-events.txt",
  "k8s-events/openshift-insights-sample-events-openshift-machine-api.json",
  "prometheus/prometheus-docs-api-query_range-example.json",
] as const;

/** Imports the sample unless the database already holds any incident. Returns the new id or null. */
export async function importSampleIfEmpty(db: Db, deps?: ServiceDeps): Promise<string | null> {
  if ((await db.incident.count()) > 0) return null;
  const root = path.join(projectRoot(), "tests/fixtures/public");
  const cas = new Cas(deps?.dataDir ?? dataDir());
  const uploads = [];
  try {
    for (const rel of SAMPLE_FILES) {
      const src = path.join(root, rel);
      const tempPath = await cas.newTempPath();
      await fs.copyFile(src, tempPath);
      const { size } = await fs.stat(tempPath);
      uploads.push({ name: `sample-bundle/${rel}`, tempPath, size });
    }
    const created = await createIncident({ title: SAMPLE_TITLE, uploads, isSample: true }, deps);
    return created.id;
  } finally {
    await Promise.all(uploads.map((u) => fs.rm(u.tempPath, { force: true })));
  }
}
