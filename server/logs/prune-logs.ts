import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { logCounters } from "./log-counters";
import type { LogRetention } from "./log-config";

type Row = Record<string, unknown>;
const rowsOf = (r: unknown): Row[] => (Array.isArray(r) ? (r as Row[]) : ((r as { rows?: Row[] }).rows ?? []));

/** Every service id that has lines, by skipping through the (service_id, id) index: no full scan. */
async function servicesWithLines(db: Db): Promise<string[]> {
  const r = await db.execute(sql`
    with recursive s(id) as (
      (select service_id from log_lines order by service_id limit 1)
      union all
      select (select l.service_id from log_lines l where l.service_id > s.id order by l.service_id limit 1) from s where s.id is not null
    )
    select id::text as id from s where id is not null`);
  return rowsOf(r).map((x) => String(x.id));
}

const deletedCount = (r: unknown): number => Number(rowsOf(r)[0]?.n ?? 0);

/**
 * Applies retention to every service's lines: lines older than `maxAgeMs` go, then the oldest lines
 * beyond the newest `maxBytes` (the line that crosses the limit goes too). Returns what was deleted.
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
    byAge += deletedCount(
      await db.execute(sql`with d as (delete from log_lines where service_id = ${serviceId} and created_at < ${cutoff}::timestamptz returning 1) select count(*)::int as n from d`),
    );
    const [total] = rowsOf(await db.execute(sql`select coalesce(sum(bytes), 0)::bigint as total from log_lines where service_id = ${serviceId}`));
    if (Number(total?.total ?? 0) <= retention.maxBytes) continue;
    // The newest line whose running total (newest first) passes the limit: it and everything older go.
    const [edge] = rowsOf(
      await db.execute(sql`select id from (select id, sum(bytes) over (order by id desc) as newer from log_lines where service_id = ${serviceId}) t
        where newer > ${retention.maxBytes} order by id desc limit 1`),
    );
    if (!edge) continue;
    bySize += deletedCount(
      await db.execute(sql`with d as (delete from log_lines where service_id = ${serviceId} and id <= ${Number(edge.id)} returning 1) select count(*)::int as n from d`),
    );
  }
  logCounters.linesPruned += byAge + bySize;
  return { byAge, bySize };
}
