import crypto from "node:crypto";
import { openDb, type DbHandle } from "@/db/client";

/**
 * A fresh, migrated database for one test file: PostgreSQL when TEST_DATABASE_URL is set (a new
 * database per call, dropped on close), otherwise an in-memory PGlite.
 */
export async function createTestDb(): Promise<DbHandle> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return openDb({ memory: true });
  const { Client } = await import("pg");
  const name = `slipway_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDb({ databaseUrl: url.toString() });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
