import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";
import { resolveDataDir } from "@/server/config/data-dir";
import { installNamedStatements } from "./pglite-named-statements";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type DbKind = "pglite" | "postgres";
export type DbHandle = { db: Db; kind: DbKind; close: () => Promise<void> };

export type OpenDbOptions = {
  databaseUrl?: string;
  dataDir?: string;
  /** An in-memory PGlite (tests): nothing touches the disk. */
  memory?: boolean;
  migrate?: boolean;
};

const MIGRATIONS = path.join(process.cwd(), "db", "migrations");

/** Opens PostgreSQL when a URL is given, else embedded PGlite in `<dataDir>/pgdata`, and applies migrations. */
export async function openDb(opts: OpenDbOptions = {}): Promise<DbHandle> {
  const handle = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl)
    : await openPglite(opts.memory ? null : (opts.dataDir ?? resolveDataDir()));
  if (opts.migrate !== false) {
    try {
      await runMigrations(handle);
    } catch (err) {
      await handle.close().catch(() => {});
      throw new Error(`database migrations could not be applied: ${describeError(err)}`, { cause: err });
    }
  }
  return handle;
}

/**
 * The root reason first, then what was being done: drizzle's "Failed query: <sql>" keeps the
 * database's own reason ("type … already exists") in `cause`.
 */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && parts.length < 5; e = e instanceof Error ? e.cause : undefined) {
    const text = (e instanceof Error ? e.message : String(e)).replace(/\s*params:\s*$/, "").replace(/\s+/g, " ").trim();
    if (text && !parts.includes(text)) parts.push(text.length > 240 ? `${text.slice(0, 240)}…` : text);
    if (!(e instanceof Error)) break;
  }
  if (parts.length === 0) return "unknown error";
  const [root, ...context] = parts.reverse();
  return context.length ? `${root} (${context.join("; ")})` : root;
}

async function openPglite(dataDir: string | null): Promise<DbHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  let pgdata: string | undefined;
  if (dataDir) {
    pgdata = path.join(dataDir, "pgdata");
    // PGlite does not create parent folders itself.
    fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  }
  const client = await PGlite.create({
    dataDir: pgdata,
    // Sized down from PostgreSQL's defaults: the WASM heap is most of PGlite's memory.
    postgresqlconf: ["shared_buffers=16MB", "work_mem=1MB", "maintenance_work_mem=8MB", "wal_buffers=1MB"],
  });
  installNamedStatements(client);
  const db = drizzle({ client, schema }) as unknown as Db;
  return { db, kind: "pglite", close: () => client.close() };
}

async function openPostgres(url: string): Promise<DbHandle> {
  const { Pool } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const pool = new Pool({ connectionString: url, max: Number(process.env.SLIPWAY_DB_POOL ?? 10) });
  // An idle connection that the server closes (PostgreSQL restarted) is emitted here and dropped from the
  // pool; without a listener it would be an uncaught exception. The next query opens a fresh connection.
  pool.on("error", (err) => console.error(`[slipway] database: an idle connection was closed (${err.message}); the next query reconnects`));
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  return { db, kind: "postgres", close: () => pool.end() };
}

async function runMigrations(handle: DbHandle): Promise<void> {
  if (handle.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as unknown as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS });
    return;
  }
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const { sql } = await import("drizzle-orm");
  // Several console processes may start at once on one PostgreSQL: serialize migrations.
  await handle.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7244101)`);
    await migrate(tx as unknown as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS });
  });
}

type Global = typeof globalThis & { __slipwayDb?: Promise<DbHandle> };

/** One database per process, shared across Next's bundles (which do not share module state). */
export function getDbHandle(): Promise<DbHandle> {
  const g = globalThis as Global;
  g.__slipwayDb ??= openDb({ databaseUrl: process.env.DATABASE_URL || undefined });
  return g.__slipwayDb;
}

export async function getDb(): Promise<Db> {
  return (await getDbHandle()).db;
}
