import "server-only";
import { and, desc, eq, gt, gte, lt, lte, max, sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { logLines } from "@/db/schema";
import { badField } from "@/server/errors/app-error";
import { toPostgresRegex } from "./log-pattern";
import type { LogRow, LogStream } from "./log-schemas";

export type LineFilter = { serviceId: string; deploymentId?: string; instanceId?: string; stream?: LogStream; text?: string; regex: boolean };
export type IdRange = { afterId?: number; beforeId?: number; upToId?: number; from?: Date; to?: Date };

/** The WHERE clause for a filter and a window of ids / times (all conditions indexed by service first). */
export function whereLines(f: LineFilter, r: IdRange = {}): SQL | undefined {
  return and(
    eq(logLines.serviceId, f.serviceId),
    f.deploymentId ? eq(logLines.deploymentId, f.deploymentId) : undefined,
    f.instanceId ? eq(logLines.instanceId, f.instanceId) : undefined,
    f.stream ? eq(logLines.stream, f.stream) : undefined,
    f.text ? (f.regex ? sql`${logLines.line} ~ ${toPostgresRegex(f.text)}` : sql`strpos(lower(${logLines.line}), lower(${f.text})) > 0`) : undefined,
    r.afterId !== undefined ? gt(logLines.id, r.afterId) : undefined,
    r.beforeId !== undefined ? lt(logLines.id, r.beforeId) : undefined,
    r.upToId !== undefined ? lte(logLines.id, r.upToId) : undefined,
    r.from ? gte(logLines.createdAt, r.from) : undefined,
    r.to ? lte(logLines.createdAt, r.to) : undefined,
  );
}

type Packed = [number, string | null, string | null, LogStream, string, string];

/**
 * Matching lines in id order: ascending from the low end, or the newest `limit` (returned oldest first).
 * The page comes back as one JSON text built by the database: on PGlite, decoding rows one by one in
 * JavaScript costs about twice as much as JSON.parse of the same page.
 */
export async function selectLines(db: Db, f: LineFilter, r: IdRange, opts: { limit: number; newest?: boolean }): Promise<LogRow[]> {
  const order = opts.newest ? sql`desc` : sql`asc`;
  const result = await db.execute(sql`select coalesce(json_agg(json_build_array(id, deployment_id, instance_id, stream, line, created_at) order by id), '[]')::text as page
    from (select id, deployment_id, instance_id, stream, line, created_at from ${logLines} where ${whereLines(f, r)} order by id ${order} limit ${opts.limit}) t`);
  const rows = Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows;
  const page = (rows?.[0] as { page?: string } | undefined)?.page ?? "[]";
  return (JSON.parse(page) as Packed[]).map(([id, deploymentId, instanceId, stream, line, at]) => ({ id, deploymentId, instanceId, stream, line, at: new Date(at) }));
}

/** The newest stored id of a service (0 when none): an index lookup. */
export async function newestId(db: Db, serviceId: string): Promise<number> {
  const [row] = await db.select({ id: max(logLines.id) }).from(logLines).where(eq(logLines.serviceId, serviceId));
  return row?.id ?? 0;
}

/** The newest stored id of any service (0 when none): where "everything up to here" is known to be visible. */
export async function newestGlobalId(db: Db): Promise<number> {
  const [row] = await db.select({ id: max(logLines.id) }).from(logLines);
  return row?.id ?? 0;
}

/** Counts matching lines in a window, stopping at `cap` + 1 (so a huge backlog costs a bounded read). */
export async function countLines(db: Db, f: LineFilter, r: IdRange, cap?: number): Promise<number> {
  const inner = db.select({ one: sql`1` }).from(logLines).where(whereLines(f, r));
  const sub = (cap !== undefined ? inner.limit(cap + 1) : inner).as("m");
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(sub);
  return row?.n ?? 0;
}

/** The id of the `offset`-th newest matching line in a window (0 = the newest), or null. */
export async function idFromNewest(db: Db, f: LineFilter, r: IdRange, offset: number): Promise<number | null> {
  const [row] = await db.select({ id: logLines.id }).from(logLines).where(whereLines(f, r)).orderBy(desc(logLines.id)).offset(offset).limit(1);
  return row?.id ?? null;
}

/**
 * A pattern JavaScript accepts may still be one PostgreSQL refuses (or finds too complex): ask it
 * first, so the caller gets the parse error on the field instead of a failed query.
 */
export async function checkPatternInDb(db: Db, f: { text?: string; regex: boolean }): Promise<void> {
  if (!f.regex || !f.text) return;
  try {
    await db.execute(sql`select '' ~ ${toPostgresRegex(f.text)} as ok`);
  } catch (err) {
    let e: unknown = err;
    while (e instanceof Error && e.cause) e = e.cause;
    const message = e instanceof Error ? e.message : "invalid regular expression";
    throw badField("text", `invalid regular expression: ${message}`);
  }
}
