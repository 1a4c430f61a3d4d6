// Where the pinned helm, kube-apiserver and etcd are: from the environment (HELM_BIN,
// KUBE_APISERVER_BIN, ETCD_BIN) when set, otherwise from the ensure scripts, which build them into
// the tool cache the first time (minutes) and only print their paths afterwards (milliseconds).
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const SCRIPTS = join(import.meta.dirname, "..", "..");

export interface KubeBinaries {
  kubeApiServer: string;
  etcd: string;
}

function runScript(name: string): string {
  return execFileSync("bash", [join(SCRIPTS, name)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

export function kubeBinaries(): KubeBinaries {
  let kubeApiServer = process.env.KUBE_APISERVER_BIN;
  let etcd = process.env.ETCD_BIN;
  if (!kubeApiServer || !etcd) {
    const printed = new Map<string, string>();
    for (const line of runScript("ensure-kube-apiserver.sh").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) printed.set(line.slice(0, eq), line.slice(eq + 1));
    }
    kubeApiServer ||= printed.get("KUBE_APISERVER_BIN");
    etcd ||= printed.get("ETCD_BIN");
  }
  if (!kubeApiServer || !etcd) throw new Error("scripts/ensure-kube-apiserver.sh did not print KUBE_APISERVER_BIN and ETCD_BIN");
  return { kubeApiServer, etcd };
}

export function helmBinary(): string {
  return process.env.HELM_BIN || runScript("ensure-helm.sh").trim();
}
