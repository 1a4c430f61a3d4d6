import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate, readMigrations } from "../src/stores/migrate";

// A database of its own, so these runs cannot disturb the shared schema other tests use.
const databaseName = `migrate_test_${process.pid}`;
let admin: pg.Client;
let client: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject("postgresUrl") });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${databaseName}`);
  const url = new URL(inject("postgresUrl"));
  url.pathname = `/${databaseName}`;
  client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${databaseName}`);
  await admin?.end();
});

describe("migrate", () => {
  it("applies every migration once and skips them on the next run", async () => {
    const all = readMigrations().map((m) => m.id);
    expect(all.length).toBeGreaterThan(0);
    expect(await migrate(client)).toEqual({ applied: all, skipped: [] });
    expect(await migrate(client)).toEqual({ applied: [], skipped: all });
    const { rows } = await client.query("SELECT to_regclass('tenants') AS tenants, to_regclass('otp_send_log') AS log");
    expect(rows[0]).toEqual({ tenants: "tenants", log: "otp_send_log" });
  });

  it("refuses to run when an applied migration was edited", async () => {
    const dir = mkdtempSync(join(tmpdir(), "migrations-"));
    for (const migration of readMigrations()) writeFileSync(join(dir, `${migration.id}.sql`), `${migration.sql}\n-- edited`);
    await expect(migrate(client, readMigrations(dir))).rejects.toThrow(/changed after it was applied/);
  });

  it("rolls back a failing migration completely", async () => {
    const dir = mkdtempSync(join(tmpdir(), "migrations-"));
    for (const migration of readMigrations()) writeFileSync(join(dir, `${migration.id}.sql`), migration.sql);
    writeFileSync(join(dir, "999_broken.sql"), "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;");
    await expect(migrate(client, readMigrations(dir))).rejects.toThrow(/999_broken failed/);
    const { rows } = await client.query("SELECT to_regclass('half_done') AS t");
    expect(rows[0].t).toBeNull();
  });
});
