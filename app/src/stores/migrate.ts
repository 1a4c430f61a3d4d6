// Applies the SQL files in app/migrations in name order, each once, each in its own transaction.
// Safe to run concurrently (an advisory lock serialises runners) and to re-run (applied files are skipped).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";

export const MIGRATIONS_DIR = join(__dirname, "..", "..", "migrations");
const LOCK_ID = 4_242_001;

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), "utf8");
      return { id: file.replace(/\.sql$/, ""), sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export async function migrate(client: pg.ClientBase, migrations = readMigrations()): Promise<MigrationResult> {
  await client.query("SELECT pg_advisory_lock($1)", [LOCK_ID]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ id: string; checksum: string }>("SELECT id, checksum FROM schema_migrations");
    const done = new Map(rows.map((row) => [row.id, row.checksum]));
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const migration of migrations) {
      const recorded = done.get(migration.id);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) {
          throw new Error(
            `migration ${migration.id} changed after it was applied (checksum ${recorded.slice(0, 12)} → ${migration.checksum.slice(0, 12)})`,
          );
        }
        result.skipped.push(migration.id);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (id, checksum) VALUES ($1, $2)", [migration.id, migration.checksum]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
      }
      result.applied.push(migration.id);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_ID]);
  }
}
