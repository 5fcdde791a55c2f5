import { count, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import * as schema from "@/db/schema";

const TABLES = {
  users: schema.users,
  signInAttempts: schema.signInAttempts,
  organizations: schema.organizations,
  memberships: schema.memberships,
  invitations: schema.invitations,
  projects: schema.projects,
  environments: schema.environments,
  services: schema.services,
  deployments: schema.deployments,
  apiTokens: schema.apiTokens,
  auditEvents: schema.auditEvents,
};

/** Every row of every table, ordered: equal snapshots mean nothing was written in between. One round trip. */
export async function snapshotAll(db: Db): Promise<Record<string, unknown[]>> {
  const parts = Object.entries(TABLES).map(
    ([name, table]) => sql`${name}::text, (select coalesce(json_agg(t order by t.id), '[]'::json) from ${table} t)`,
  );
  // Both drivers (PGlite, node-postgres) answer with `{ rows }`; Db's driver-neutral type does not say so.
  const result = (await db.execute(sql`select json_build_object(${sql.join(parts, sql`, `)}) as snapshot`)) as { rows: { snapshot: Record<string, unknown[]> | string }[] };
  const snapshot = result.rows[0].snapshot;
  // PGlite hands json back parsed, node-postgres too; a string would be a driver change.
  return typeof snapshot === "string" ? (JSON.parse(snapshot) as Record<string, unknown[]>) : snapshot;
}

export async function rowCounts(db: Db): Promise<Record<keyof typeof TABLES, number>> {
  const out = {} as Record<keyof typeof TABLES, number>;
  for (const [name, table] of Object.entries(TABLES) as [keyof typeof TABLES, (typeof TABLES)[keyof typeof TABLES]][]) {
    const [{ n }] = await db.select({ n: count() }).from(table);
    out[name] = n;
  }
  return out;
}

export async function auditCount(db: Db): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(schema.auditEvents);
  return n;
}
