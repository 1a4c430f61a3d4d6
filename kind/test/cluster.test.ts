// kind/cluster.yaml: the node layout (a tainted load-generator worker), the pinned node image, and the host
// port mappings, which must match the NodePorts the charts and kind/kind-up.sh create.
import { describe, expect, it } from "vitest";

import { parse } from "yaml";
import { read } from "./repo.ts";

interface PortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress?: string;
  protocol?: string;
}
interface KindNode {
  role: "control-plane" | "worker";
  image: string;
  labels?: Record<string, string>;
  extraPortMappings?: PortMapping[];
  kubeadmConfigPatches?: string[];
}
interface KindCluster {
  kind: string;
  apiVersion: string;
  name: string;
  nodes: KindNode[];
}

const cluster = parse(read("kind/cluster.yaml")) as KindCluster;
const workers = cluster.nodes.filter((node) => node.role === "worker");
const taintsOf = (node: KindNode) =>
  (node.kubeadmConfigPatches ?? [])
    .map((patch) => parse(patch) as { kind: string; nodeRegistration?: { taints?: unknown[] } })
    .filter((patch) => patch.kind === "JoinConfiguration")
    .flatMap((patch) => patch.nodeRegistration?.taints ?? []);

describe("kind/cluster.yaml", () => {
  it("is a kind v1alpha4 cluster named otp-lab", () => {
    expect(cluster).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: "otp-lab" });
  });

  it("has one control-plane, two service workers and one load-generator worker", () => {
    expect(cluster.nodes.filter((node) => node.role === "control-plane")).toHaveLength(1);
    expect(workers).toHaveLength(3);
    expect(workers.filter((node) => node.labels?.["otp-lab/role"] === "service")).toHaveLength(2);
    expect(workers.filter((node) => node.labels?.["otp-lab/role"] === "load-generator")).toHaveLength(1);
    // The kubelet may not label itself in node-role.kubernetes.io/*.
    for (const node of cluster.nodes) {
      for (const label of Object.keys(node.labels ?? {})) expect(label).not.toMatch(/kubernetes\.io\//);
    }
  });

  it("taints the load-generator worker, and only it, so only tolerating Pods (the k6 runners) land there", () => {
    for (const node of workers) {
      const expected =
        node.labels?.["otp-lab/role"] === "load-generator" ? [{ key: "otp-lab/load-generator", value: "true", effect: "NoSchedule" }] : [];
      expect(taintsOf(node)).toEqual(expected);
    }
  });

  it("pins one kindest/node image by tag and digest on every node", () => {
    const images = new Set(cluster.nodes.map((node) => node.image));
    expect(images.size).toBe(1);
    const [image] = images;
    expect(image).toMatch(/^kindest\/node:v1\.(3[0-9])\.\d+@sha256:[0-9a-f]{64}$/);
    // The otp-service chart's kubeVersion floor.
    const minor = Number(/^kindest\/node:v1\.(\d+)\./.exec(image as string)?.[1]);
    const floor = Number(/kubeVersion: ">=1\.(\d+)/.exec(read("charts/otp-service/Chart.yaml"))?.[1]);
    expect(minor).toBeGreaterThanOrEqual(floor);
  });

  it("maps the service, Grafana and Jaeger NodePorts to 127.0.0.1 on the host, through the control-plane", () => {
    const controlPlane = cluster.nodes.find((node) => node.role === "control-plane") as KindNode;
    const mappings = Object.fromEntries((controlPlane.extraPortMappings ?? []).map((m) => [m.containerPort, m]));
    expect(Object.keys(mappings).map(Number).sort()).toEqual([30080, 30300, 30686]);
    expect(mappings[30080]?.hostPort).toBe(8080);
    expect(mappings[30300]?.hostPort).toBe(3000);
    expect(mappings[30686]?.hostPort).toBe(16686);
    for (const mapping of Object.values(mappings)) expect(mapping).toMatchObject({ listenAddress: "127.0.0.1", protocol: "TCP" });
    for (const worker of workers) expect(worker.extraPortMappings).toBeUndefined();
  });

  it("those NodePorts are the ones Grafana's values and kind-up.sh's Services declare", () => {
    const stack = parse(read("charts/third-party/kube-prometheus-stack.values.yaml")) as {
      grafana: { service: { type: string; nodePort: number } };
    };
    expect(stack.grafana.service).toEqual({ type: "NodePort", nodePort: 30300 });
    const kindUp = read("kind/kind-up.sh");
    expect(kindUp).toMatch(/name: jaeger-ui[\s\S]*?nodePort: 30686/);
    expect(kindUp).toMatch(/name: otp-service-nodeport[\s\S]*?nodePort: 30080/);
  });
});
