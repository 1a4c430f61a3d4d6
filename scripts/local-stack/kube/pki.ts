// The keys and certificates a throwaway kube-apiserver needs, made with the openssl CLI
// (Node's crypto can sign but cannot issue X.509 certificates): one CA, the serving certificate
// for 127.0.0.1, an admin client certificate in the system:masters group, and the key pair that
// signs service-account tokens. ECDSA P-256 everywhere: generated in milliseconds.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface KubePki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(...args: string[]): Promise<void> {
  await run("openssl", args);
}

async function ecKey(path: string): Promise<void> {
  await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path);
}

async function issue(dir: string, name: string, subject: string, extensions: string, ca: { cert: string; key: string }) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await ecKey(key);
  await openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr);
  await writeFile(ext, extensions);
  await openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-days",
    "7",
    "-sha256",
    "-extfile",
    ext,
    "-out",
    cert,
  );
  return { cert, key };
}

/** Writes every key and certificate into `dir` (which must exist) and returns their paths. */
export async function createKubePki(dir: string): Promise<KubePki> {
  const caKey = join(dir, "ca.key");
  const caCert = join(dir, "ca.crt");
  await ecKey(caKey);
  await openssl(
    "req",
    "-x509",
    "-new",
    "-key",
    caKey,
    "-subj",
    "/CN=otp-capacity-lab-test-ca",
    "-days",
    "7",
    "-sha256",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    "-out",
    caCert,
  );
  const ca = { cert: caCert, key: caKey };
  const sans = ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc"];
  const [server, admin] = await Promise.all([
    issue(
      dir,
      "apiserver",
      "/CN=kube-apiserver",
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(",")}\n`,
      ca,
    ),
    // O=system:masters: the group RBAC lets do anything, as a cluster admin.
    issue(
      dir,
      "admin",
      "/O=system:masters/CN=otp-capacity-lab-admin",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
      ca,
    ),
  ]);
  const serviceAccountKey = join(dir, "service-account.key");
  const serviceAccountPub = join(dir, "service-account.pub");
  await ecKey(serviceAccountKey);
  await openssl("pkey", "-in", serviceAccountKey, "-pubout", "-out", serviceAccountPub);
  return {
    caCert,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey,
    serviceAccountPub,
  };
}
