import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { rowsOf } from "@/db/rows-of";
import { badField } from "@/server/errors/app-error";
import { lineId, linesOf } from "./chunk-lines";
import { toPostgresRegex } from "./log-pattern";
import type { LogRow, LogStream } from "./log-schemas";

export type LineFilter = { serviceId: string; deploymentId?: string; instanceId?: string; stream?: LogStream; text?: string; regex: boolean };
export type IdRange = { afterId?: number; beforeId?: number; upToId?: number; from?: Date; to?: Date };

const LINE_ID = lineId("c");
const LINES_OF_C = linesOf("c");

/**
 * The chunk conditions of a filter and a window of ids / times, on chunk `c`: they use the
 * (service, first_id) / (deployment, first_id) / (service, min_at) indexes. A chunk that passes may
 * still hold lines outside the window: `lineConditions` gives exactly the lines one row per line gave.
 */
function chunkConditions(f: LineFilter, r: IdRange): SQL[] {
  const conds: SQL[] = [sql`c.service_id = ${f.serviceId}`];
  if (f.deploymentId) conds.push(sql`c.deployment_id = ${f.deploymentId}`);
  if (r.afterId !== undefined) {
    // Only the service's last chunk starting at or before afterId can hold later lines: start there.
    conds.push(sql`c.first_id >= coalesce((select p.first_id from log_chunks p where p.service_id = ${f.serviceId} and p.first_id <= ${r.afterId}
      order by p.first_id desc limit 1), ${r.afterId}::bigint + 1)`);
    conds.push(sql`c.last_id > ${r.afterId}`);
  }
  if (r.beforeId !== undefined) conds.push(sql`c.first_id < ${r.beforeId}`);
  if (r.upToId !== undefined) conds.push(sql`c.first_id <= ${r.upToId}`);
  if (r.from) conds.push(sql`c.max_at >= ${r.from.toISOString()}::timestamptz`);
  if (r.to) conds.push(sql`c.min_at <= ${r.to.toISOString()}::timestamptz`);
  return conds;
}

/**
 * Before a chunk's lines are expanded: a line holding the text makes the chunk's joined text hold it,
 * so one search per chunk skips the expansion of chunks without a match (a rare text used to expand
 * every line of the service). Not among the window's conditions: there it let the planner scan and
 * search every chunk of the service before taking the window.
 */
function expandConditions(f: LineFilter): SQL[] {
  return f.text && !f.regex ? [sql`strpos(lower(array_to_string(c.lines, E'\n')), lower(${f.text})) > 0`] : [];
}

/** The per-line conditions, on line `u` of chunk `c`. */
function lineConditions(f: LineFilter, r: IdRange): SQL[] {
  const conds: SQL[] = [];
  if (r.afterId !== undefined) conds.push(sql`${LINE_ID} > ${r.afterId}`);
  if (r.beforeId !== undefined) conds.push(sql`${LINE_ID} < ${r.beforeId}`);
  if (r.upToId !== undefined) conds.push(sql`${LINE_ID} <= ${r.upToId}`);
  if (r.from) conds.push(sql`u.at >= ${r.from.toISOString()}::timestamptz`);
  if (r.to) conds.push(sql`u.at <= ${r.to.toISOString()}::timestamptz`);
  if (f.instanceId) conds.push(sql`u.instance_id = ${f.instanceId}`);
  if (f.stream) conds.push(sql`u.stream = ${f.stream}`);
  if (f.text) conds.push(f.regex ? sql`u.line ~ ${toPostgresRegex(f.text)}` : sql`strpos(lower(u.line), lower(${f.text})) > 0`);
  return conds;
}

const all = (conds: SQL[]) => (conds.length ? sql.join(conds, sql` and `) : sql`true`);

type Packed = [number, string | null, string | null, LogStream, string, string];

/** Chunks per read: the first read is small (a page usually lies in a chunk or two), later ones larger. */
const FIRST_WINDOW = 8;
const MAX_WINDOW = 128;

/**
 * Matching lines in id order: ascending from the low end, or the newest `limit` (returned oldest first).
 *
 * Read window by window: each query takes the next chunks in id order (at most 8, then 32, then 128
 * at a time, through the indexes) and only then expands them, so the work of one query is bounded by
 * its window whatever plan PostgreSQL picks. One query over all of a service's chunks let the planner,
 * when its statistics are missing or stale (PGlite has no autovacuum), sort every line of the service
 * instead of walking the index: a newest page that takes 0.2 s took 1.8 s over 1.1M stored lines.
 * A window comes back as one JSON text built by the database: on PGlite, decoding rows one by one in
 * JavaScript costs about twice as much as JSON.parse of the same page.
 */
export async function selectLines(db: Db, f: LineFilter, r: IdRange, opts: { limit: number; newest?: boolean }): Promise<LogRow[]> {
  const order = opts.newest ? sql`desc` : sql`asc`;
  const out: LogRow[] = [];
  let edge: number | null = null;
  for (let window = FIRST_WINDOW; out.length < opts.limit; window = Math.min(window * 4, MAX_WINDOW)) {
    const past = edge === null ? [] : [opts.newest ? sql`c.first_id < ${edge}` : sql`c.first_id > ${edge}`];
    const result = await db.execute(sql`with w as materialized (
        select c.first_id, c.deployment_id, c.instance_ids, c.streams, c.ats, c.lines from log_chunks c
        where ${all([...chunkConditions(f, r), ...past])} order by c.first_id ${order} limit ${window}),
      m as (select ${LINE_ID} as id, c.deployment_id, u.instance_id, u.stream, u.line, u.at from w as c ${LINES_OF_C}
        where ${all([...expandConditions(f), ...lineConditions(f, r)])} order by c.first_id ${order}, u.ord ${order} limit ${opts.limit - out.length})
      select (select coalesce(json_agg(json_build_array(id, deployment_id, instance_id, stream, line, at) order by id ${order}), '[]')::text from m) as page,
        (select ${opts.newest ? sql`min` : sql`max`}(first_id) from w) as edge, (select count(*) from w)::int as chunks`);
    const [row] = rowsOf(result);
    const page = JSON.parse(String(row.page)) as Packed[];
    for (const [id, deploymentId, instanceId, stream, line, at] of page) out.push({ id, deploymentId, instanceId, stream, line, at: new Date(at) });
    if (Number(row.chunks) < window) break; // no chunks left
    edge = Number(row.edge);
  }
  return opts.newest ? out.reverse() : out;
}

/** The newest stored id of a service (0 when none): an index lookup (a chunk's lines end at its last_id). */
export async function newestId(db: Db, serviceId: string): Promise<number> {
  const [row] = rowsOf(await db.execute(sql`select last_id from log_chunks where service_id = ${serviceId} order by first_id desc limit 1`));
  return row ? Number(row.last_id) : 0;
}

/** The newest stored id of any service (0 when none): where "everything up to here" is known to be visible. */
export async function newestGlobalId(db: Db): Promise<number> {
  // Chunks never overlap in ids: the one that starts last ends last.
  const [row] = rowsOf(await db.execute(sql`select last_id from log_chunks order by first_id desc limit 1`));
  return row ? Number(row.last_id) : 0;
}

/** Counts matching lines in a window, stopping at `cap` + 1 (so a huge backlog costs a bounded read). */
export async function countLines(db: Db, f: LineFilter, r: IdRange, cap?: number): Promise<number> {
  // No order: the scan stops at the cap whatever the plan.
  const limit = cap !== undefined ? sql`limit ${cap + 1}` : sql``;
  const [row] = rowsOf(
    await db.execute(sql`select count(*)::int as n from (select 1 from log_chunks c ${LINES_OF_C}
      where ${all([...chunkConditions(f, r), ...expandConditions(f), ...lineConditions(f, r)])} ${limit}) m`),
  );
  return Number(row?.n ?? 0);
}

/** The id of the `offset`-th newest matching line in a window (0 = the newest), or null. */
export async function idFromNewest(db: Db, f: LineFilter, r: IdRange, offset: number): Promise<number | null> {
  const newest = await selectLines(db, f, r, { limit: offset + 1, newest: true });
  return newest.length === offset + 1 ? newest[0].id : null;
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
