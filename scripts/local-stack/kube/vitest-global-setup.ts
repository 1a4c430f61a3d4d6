// Resolves (and the first time builds) kube-apiserver, etcd and helm once, before any test file
// runs, so a cold build is not cut short by a hook timeout; the test workers inherit the paths.
import { helmBinary, kubeBinaries } from "./binaries.ts";

export default function setup(): void {
  const { kubeApiServer, etcd } = kubeBinaries();
  process.env.KUBE_APISERVER_BIN = kubeApiServer;
  process.env.ETCD_BIN = etcd;
  process.env.HELM_BIN = helmBinary();
}
