// Physical-limit baselines measured in the same run with each dependency's own benchmark tool:
// what Redis and PostgreSQL can do on this host with no service in between.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Baseline } from "./results.ts";

const run = promisify(execFile);

export async function redisBenchmark(port: number, requests: number): Promise<Baseline[]> {
  // Hangs forever when Redis is away: always bounded.
  const { stdout } = await run(
    "redis-benchmark",
    ["-h", "127.0.0.1", "-p", String(port), "-n", String(requests), "-c", "50", "-t", "set,get", "--csv"],
    {
      timeout: 120_000,
    },
  );
  const rows = stdout
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map((cell) => cell.replaceAll('"', "")));
  const baselines: Baseline[] = rows.map(([test, rps, , , , , p99]) => ({
    name: `redis-${(test as string).toLowerCase()}`,
    tool: "redis-benchmark",
    ops_per_second: Number(rps),
    p99_ms: Number(p99),
    detail: `redis-benchmark -t ${(test as string).toLowerCase()} -c 50 -n ${requests}`,
  }));
  const set = baselines.find((b) => b.name === "redis-set");
  const get = baselines.find((b) => b.name === "redis-get");
  if (set && get) {
    // The Redis layer does one SET and one GET per request: its ceiling is the harmonic combination.
    baselines.push({
      name: "redis-set-get",
      tool: "redis-benchmark",
      ops_per_second: 1 / (1 / set.ops_per_second + 1 / get.ops_per_second),
      p99_ms: (set.p99_ms ?? 0) + (get.p99_ms ?? 0),
      detail: "one SET plus one GET per operation, derived from the two runs above",
    });
  }
  return baselines;
}

export interface PgbenchTarget {
  binDir: string;
  port: number;
  workDir: string;
  apiKeyHash: string;
}

/** The service's own queries, prepared, from 16 clients: the same SELECT and the same single-row INSERT. */
export async function pgbench(target: PgbenchTarget, seconds: number): Promise<Baseline[]> {
  const scripts = {
    "pgbench-select": `SELECT id, name, code_length, code_ttl_seconds, max_verify_attempts, max_consecutive_failures, failure_window_seconds, phone_send_limit, phone_send_window_seconds, daily_send_cap, sender_id, message_template FROM tenants WHERE api_key_hash = '${target.apiKeyHash}';\n`,
    "pgbench-insert":
      "INSERT INTO tenant_settings_for_insert_new (tenant_name, code_length, code_ttl_seconds, max_verify_attempts, sender_id, message_template) VALUES ('pgbench', 6, 300, 5, 'OTPLAB', 'Your verification code is {code}');\n",
  };
  const baselines: Baseline[] = [];
  for (const [name, sql] of Object.entries(scripts)) {
    const file = join(target.workDir, `${name}.sql`);
    writeFileSync(file, sql);
    const args = [
      "-h",
      "127.0.0.1",
      "-p",
      String(target.port),
      "-U",
      "otp",
      "-n",
      "-M",
      "prepared",
      "-c",
      "16",
      "-j",
      "2",
      "-T",
      String(seconds),
      "-f",
      file,
      "otp",
    ];
    const { stdout } = await run(join(target.binDir, "pgbench"), args, { timeout: (seconds + 60) * 1000 });
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
    if (!Number.isFinite(tps)) throw new Error(`pgbench ${name}: no tps in output:\n${stdout}`);
    baselines.push({
      name,
      tool: "pgbench",
      ops_per_second: tps,
      p99_ms: null,
      detail: `pgbench -M prepared -c 16 -j 2 -T ${seconds}, the service's own ${name.endsWith("select") ? "SELECT" : "INSERT"}; latency average ${latency ?? "?"} ms`,
    });
  }
  return baselines;
}
