// The in-cluster Service every optional component (worker, mock provider, databases) gets: one named
// port in front of the Pods of one component.
import { metadata, selectorLabels } from "./common.ts";
import { HelmObject, type HelmTemplate } from "./template.ts";

export interface ClusterIpServiceOptions {
  condition: string;
  component: string;
  version?: string;
  port: number;
  portName: "http" | "tcp";
  /** `<fullname>-<component>-headless`, clusterIP None, endpoints published before readiness (a StatefulSet's serviceName). */
  headless?: boolean;
}

export function clusterIpService(template: HelmTemplate, options: ClusterIpServiceOptions): HelmObject {
  return new HelmObject(template, options.headless ? "headless-service" : "service", {
    condition: options.condition,
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata({
      suffix: options.headless ? `${options.component}-headless` : options.component,
      component: options.component,
      ...(options.version ? { version: options.version } : {}),
    }),
    spec: {
      type: "ClusterIP",
      ...(options.headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(options.component),
      ports: [{ name: options.portName, port: options.port, targetPort: options.portName, protocol: "TCP" }],
    },
  });
}
