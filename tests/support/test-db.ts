import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb, type Db, type DbHandle } from "@/db/client";
import * as schema from "@/db/schema";
import { installNamedStatements } from "@/db/pglite-named-statements";

/**
 * A fresh, migrated database for one test file: PostgreSQL when TEST_DATABASE_URL is set (a new
 * database per call, dropped on close), otherwise an in-memory PGlite. `migrate: false` leaves it
 * empty (a test that applies migrations itself).
 */
export async function createTestDb({ migrate = true }: { migrate?: boolean } = {}): Promise<DbHandle & { url?: string }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return migrate ? pgliteFromTemplate() : openDb({ memory: true, migrate: false });
  const { Client } = await import("pg");
  const name = `slipway_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  // A throwaway database need not wait for the disk at every commit: ~3× faster single-row writes.
  await admin.query(`alter database ${name} set synchronous_commit = off`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDb({ databaseUrl: url.toString(), migrate });
  return {
    ...handle,
    // Another handle on the same database (a second console) opens this.
    url: url.toString(),
    close: async () => {
      await handle.close();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

const MIGRATIONS = path.join(process.cwd(), "db", "migrations");
// The same sizing as db/client.ts.
const PGLITE_CONF = ["shared_buffers=16MB", "work_mem=1MB", "maintenance_work_mem=8MB", "wal_buffers=1MB"];

/** Where the migrated template lives: keyed by the migrations and the PGlite version, so a change makes a new one. */
function templateFile(): string {
  const hash = crypto.createHash("sha256");
  const pgliteVersion = JSON.parse(fs.readFileSync(path.join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")).version as string;
  hash.update(pgliteVersion);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(MIGRATIONS).sort()) hash.update(path.relative(MIGRATIONS, file)).update(fs.readFileSync(file));
  return path.join(os.tmpdir(), `slipway-test-pglite-${hash.digest("hex").slice(0, 16)}.tar`);
}

/**
 * A new in-memory PGlite is ~5 s of initdb + migrations; loading a dump of one is ~1 s. The first
 * test process to need it writes the dump (atomically); every later one loads it.
 */
async function pgliteFromTemplate(): Promise<DbHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const file = templateFile();
  const loadDataDir = fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
  const client = await PGlite.create({ loadDataDir, postgresqlconf: PGLITE_CONF });
  const db = drizzle({ client, schema });
  // A no-op on a loaded template; the full migration on a new database.
  await migrate(db, { migrationsFolder: MIGRATIONS });
  if (!loadDataDir) {
    const dump = await client.dumpDataDir("none");
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  // As db/client.ts does: the tests run the console's query path.
  installNamedStatements(client);
  return { db: db as unknown as Db, kind: "pglite", close: () => client.close() };
}
