// PostgreSQL refuses to run as root. When the harness runs as root (CI, containers),
// the database processes run as the `postgres` system user instead.
import { execFileSync } from "node:child_process";
import { chownSync } from "node:fs";

export interface RunAs {
  uid: number;
  gid: number;
}

export function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

export function giveTo(user: RunAs | undefined, ...paths: string[]): void {
  if (!user) return;
  for (const path of paths) chownSync(path, user.uid, user.gid);
}
