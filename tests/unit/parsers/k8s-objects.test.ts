import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ObjectRecord } from "@/lib/schemas/records";
import { k8sObjectsParser } from "@/lib/server/parsers/k8s-objects";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem } from "@/lib/server/parsers/types";

const OWN = path.resolve(__dirname, "../../fixtures/own");

async function run(content: string): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of k8sObjectsParser.parse(Readable.from([Buffer.from(content)]), { path: "objects" })) out.push(x);
  return out;
}
const objects = (items: ParseItem[]) => items.filter((x): x is ObjectRecord => x.kind === "object");

describe("k8s-objects", () => {
  const yaml = readFileSync(path.join(OWN, "k8s-objects/pods-endpointslices.yaml"), "utf8");

  it("kubectl get pods,endpointslices,endpoints,svc,nodes -o yaml", async () => {
    expect(sniff(yaml, "objects.yaml").parser?.id).toBe("k8s-objects");
    const objs = objects(await run(yaml));
    for (const o of objs) expect(ObjectRecord.safeParse(o).success).toBe(true);
    expect(objs.map((o) => o.k8sKind)).toEqual(["Pod", "Pod", "EndpointSlice", "Endpoints", "Service", "Node"]);
    const [oldPod, newPod, slice, eps, svc, node] = objs;
    expect(oldPod).toMatchObject({ name: "go-httpbin-7d9c5b7f4-x2k8p", namespace: "demo", ips: ["10.244.3.7"], node: "ip-10-0-1-23.ec2.internal", phase: "Running", owner: { kind: "ReplicaSet", name: "go-httpbin-7d9c5b7f4" } });
    expect(oldPod!.deletedAt).toBe(Date.parse("2025-11-20T10:15:38Z"));
    expect(oldPod!.createdAt).toBe(Date.parse("2025-11-20T09:00:00Z"));
    expect(oldPod!.labels.app).toBe("go-httpbin");
    expect(newPod!.ips).toEqual(["10.244.1.9", "fd00:10:244:1::9"]);
    expect(newPod!.deletedAt).toBeUndefined();
    expect(slice).toMatchObject({ service: "go-httpbin", ports: [{ name: "http", port: 8080, protocol: "TCP" }] });
    expect(slice!.endpoints).toEqual([
      { ip: "10.244.3.7", pod: "go-httpbin-7d9c5b7f4-x2k8p", node: "ip-10-0-1-23.ec2.internal", ready: false, terminating: true },
      { ip: "10.244.1.9", pod: "go-httpbin-6f8b9c7d5-q7w8e", node: "ip-10-0-2-41.ec2.internal", ready: true, terminating: false },
    ]);
    expect(eps!.endpoints?.map((e) => [e.ip, e.ready])).toEqual([
      ["10.244.1.9", true],
      ["10.244.3.7", false],
    ]);
    expect(svc).toMatchObject({ ips: ["10.96.12.34"], service: "go-httpbin", ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] });
    expect(svc!.labels["@selector:app"]).toBe("go-httpbin");
    expect(node).toMatchObject({ ips: ["10.0.1.23"], node: "ip-10-0-1-23.ec2.internal" });
    expect(node!.labels).toMatchObject({ kubeletVersion: "v1.34.1-eks-3cfe0ce", ready: "True", podCIDR: "10.244.3.0/24" });
    expect(objs.map((o) => o.prov.pointer)).toEqual(["/items/0", "/items/1", "/items/2", "/items/3", "/items/4", "/items/5"]);
  });

  it("JSON lists and multi-document YAML give the same records", async () => {
    const { parse } = await import("yaml");
    const json = JSON.stringify(parse(yaml));
    expect(sniff(json, "objects.json").parser?.id).toBe("k8s-objects");
    const a = objects(await run(json)).map((o) => ({ ...o, prov: {} }));
    const b = objects(await run(yaml)).map((o) => ({ ...o, prov: {} }));
    expect(a).toEqual(b);
    const multi = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nstatus:\n  podIP: 10.0.0.1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n`;
    const objs = objects(await run(multi));
    expect(objs.map((o) => [o.name, o.prov.pointer, o.prov.line])).toEqual([
      ["a", "/0", 1],
      ["b", "/1", 8],
    ]);
  });

  it("Event items are left to k8s-events; an event list is not claimed", async () => {
    const items = await run('{"apiVersion":"v1","kind":"List","items":[{"kind":"Event","metadata":{"name":"e"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}');
    expect(objects(items).map((o) => o.name)).toEqual(["p"]);
    expect(items.filter((x) => x.kind === "skipped")).toHaveLength(1);
    const evList = readFileSync(path.join(OWN, "k8s-events/rollout-eventlist.json"), "utf8");
    expect(k8sObjectsParser.sniff(evList, "events.json")).toBeLessThan(0.5);
  });

  it("bad YAML becomes a skipped item, not an exception", async () => {
    const items = await run("apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n");
    expect(items.some((x) => x.kind === "skipped" && /invalid YAML/.test(x.reason))).toBe(true);
  });
});
