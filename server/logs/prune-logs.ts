import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { rowsOf } from "@/db/rows-of";
import { logCounters } from "./log-counters";
import type { LogRetention } from "./log-config";
import { lineId } from "./chunk-lines";
import { removeLines } from "./remove-lines";

/** Every service id that has lines, by skipping through the (service_id, first_id) index: no full scan. */
async function servicesWithLines(db: Db): Promise<string[]> {
  const r = await db.execute(sql`
    with recursive s(id) as (
      (select service_id from log_chunks order by service_id limit 1)
      union all
      select (select c.service_id from log_chunks c where c.service_id > s.id order by c.service_id limit 1) from s where s.id is not null
    )
    select id::text as id from s where id is not null`);
  return rowsOf(r).map((x) => String(x.id));
}

/** Lines printed before `cutoff` go; a chunk holding both sides keeps its newer lines. */
function pruneByAge(db: Db, serviceId: string, cutoff: string): Promise<number> {
  return removeLines(db, {
    serviceId,
    chunks: sql`g.min_at < ${cutoff}::timestamptz`,
    mayKeep: sql`g.max_at >= ${cutoff}::timestamptz`,
    keep: sql`u.at >= ${cutoff}::timestamptz`,
  });
}

/**
 * Beyond the newest `maxBytes`, the oldest lines go, the line that crosses the limit too: find the
 * chunk where the running total (newest first) passes the limit, then the line in it where it does.
 */
async function pruneBySize(db: Db, serviceId: string, maxBytes: number): Promise<number> {
  const [crossing] = rowsOf(
    await db.execute(sql`select first_id, newer - bytes as newer_before
      from (select first_id, bytes, sum(bytes) over (order by first_id desc) as newer from log_chunks where service_id = ${serviceId}) t
      where newer > ${maxBytes} order by first_id desc limit 1`),
  );
  if (!crossing) return 0;
  const [edge] = rowsOf(
    await db.execute(sql`select ${lineId("c")} as id
      from log_chunks c, lateral (select ord, sum(octet_length(line)) over (order by ord desc) as newer from unnest(c.lines) with ordinality as x(line, ord)) u
      where c.first_id = ${Number(crossing.first_id)} and u.newer + ${Number(crossing.newer_before)}::bigint > ${maxBytes} order by u.ord desc limit 1`),
  );
  if (!edge) return 0;
  const edgeId = Number(edge.id);
  return removeLines(db, {
    serviceId,
    chunks: sql`g.first_id <= ${Number(crossing.first_id)}`,
    mayKeep: sql`g.last_id > ${edgeId}`,
    keep: sql`${lineId("g")} > ${edgeId}`,
  });
}

/**
 * Applies retention to every service's lines: lines older than `maxAgeMs` go, then the oldest lines
 * beyond the newest `maxBytes` (the line that crosses the limit goes too). Exact per line, whatever
 * the chunks: a chunk straddling a limit is cut. Returns how many lines were deleted.
 */
export async function pruneLogs({
  db,
  retention,
  now = new Date(),
  serviceIds,
}: {
  db: Db;
  retention: LogRetention;
  now?: Date;
  /** Only these services (default: every service with lines). */
  serviceIds?: string[];
}): Promise<{ byAge: number; bySize: number }> {
  const cutoff = new Date(now.getTime() - retention.maxAgeMs).toISOString();
  let byAge = 0;
  let bySize = 0;
  for (const serviceId of serviceIds ?? (await servicesWithLines(db))) {
    byAge += await pruneByAge(db, serviceId, cutoff);
    bySize += await pruneBySize(db, serviceId, retention.maxBytes);
  }
  logCounters.linesPruned += byAge + bySize;
  return { byAge, bySize };
}
