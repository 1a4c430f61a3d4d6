// Once per test run: compile the service the scenarios start (app/dist), as the other suites do.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths.ts";

export default function setup(): void {
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: join(REPO_ROOT, "app"),
    stdio: "inherit",
  });
}
