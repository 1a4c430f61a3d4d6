// A throwaway PostgreSQL server on a loopback port, in its own data directory.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "./managed-process.ts";
import { giveTo, unprivilegedUser } from "./system-user.ts";
import { untilExited, waitFor } from "./wait.ts";

export interface PostgresOptions {
  dir: string;
  port: number;
  /** Bench runs keep PostgreSQL's durable defaults; tests trade durability for speed. */
  durable?: boolean;
  maxConnections?: number;
}

export interface PostgresServer {
  readonly port: number;
  readonly url: string;
  readonly binDir: string;
  readonly pid: () => number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const DATABASE = "otp";
export const ROLE = "otp";

export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const latest = versions.at(-1);
  if (!latest) throw new Error("PostgreSQL is not installed (run scripts/ensure-system-packages.sh)");
  return join(root, latest, "bin");
}

export async function createPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const user = unprivilegedUser();
  const dataDir = join(options.dir, "pgdata");
  const socketDir = join(options.dir, "pgsock");
  mkdirSync(socketDir, { recursive: true });
  giveTo(user, options.dir, socketDir);
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    execFileSync(join(binDir, "initdb"), ["-D", dataDir, "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-instructions"], {
      stdio: "ignore",
      ...(user ?? {}),
    });
  }
  let server: ManagedProcess | undefined;
  const settings = [
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${socketDir}`,
    "-c",
    `max_connections=${options.maxConnections ?? 200}`,
    ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
  ];

  async function start(): Promise<void> {
    server = startProcess({
      name: "postgres",
      command: join(binDir, "postgres"),
      args: ["-D", dataDir, "-p", String(options.port), ...settings],
      logFile: join(options.dir, "postgres.log"),
      detached: true,
      ...(user ?? {}),
    });
    await waitUntilAcceptingQueries(server);
  }

  /** pg_isready fails while the port is closed too; a postgres that dies meanwhile ends the wait. */
  async function waitUntilAcceptingQueries(started: ManagedProcess): Promise<void> {
    await waitFor(
      "PostgreSQL to accept connections",
      () => {
        execFileSync(join(binDir, "pg_isready"), ["-h", "127.0.0.1", "-p", String(options.port), "-U", ROLE, "-d", "postgres"], {
          stdio: "ignore",
        });
        return true;
      },
      { timeoutMs: 30_000, giveUpIf: untilExited(started.name, started.child) },
    );
  }

  await start();
  const exists = execFileSync(
    join(binDir, "psql"),
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(options.port),
      "-U",
      ROLE,
      "-d",
      "postgres",
      "-tAc",
      `SELECT 1 FROM pg_database WHERE datname='${DATABASE}'`,
    ],
    { encoding: "utf8" },
  );
  if (exists.trim() !== "1") {
    execFileSync(join(binDir, "createdb"), ["-h", "127.0.0.1", "-p", String(options.port), "-U", ROLE, DATABASE]);
  }

  return {
    port: options.port,
    url: `postgres://${ROLE}@127.0.0.1:${options.port}/${DATABASE}`,
    binDir,
    pid: () => server?.child.pid,
    start,
    // SIGINT is PostgreSQL's "fast" shutdown: roll back clients, stop at once, cleanly.
    stop: async () => {
      await server?.stop("SIGINT", 15_000);
    },
  };
}
