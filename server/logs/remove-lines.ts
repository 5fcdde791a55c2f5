import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { rowsOf } from "@/db/rows-of";
import { lineId, linesOf } from "./chunk-lines";

/**
 * Removes lines of one service, exactly: every chunk matching `chunks` (a condition on `g`, the chunk)
 * is taken out, and its lines that `keep` (a condition on `g` and `u`, the line as chunk-lines.ts
 * expands it) are put back, with their ids, as one chunk per run of
 * consecutive kept lines (ids stay contiguous within a chunk). `mayKeep` (on `g` alone) spares
 * expanding the chunks that keep nothing. One statement, so readers see the chunks before or after,
 * never half. Returns how many lines were removed.
 */
export async function removeLines(db: Db, o: { serviceId: string; chunks: SQL; mayKeep: SQL; keep: SQL }): Promise<number> {
  const r = await db.execute(sql`with gone as (
      delete from log_chunks as g where g.service_id = ${o.serviceId} and ${o.chunks} returning g.*),
    kept as (
      select g.first_id as chunk, g.service_id, g.deployment_id, ${lineId("g")} as id, u.line, u.instance_id, u.stream, u.at,
        u.ord - row_number() over (partition by g.first_id order by u.ord) as run
      from gone g ${linesOf("g")}
      where ${o.mayKeep} and ${o.keep}),
    put as (
      insert into log_chunks (first_id, last_id, service_id, deployment_id, min_at, max_at, instance_ids, streams, ats, lines, bytes)
      select min(id), max(id), service_id, deployment_id, min(at), max(at), array_agg(instance_id order by id), array_agg(stream order by id),
        array_agg(at order by id), array_agg(line order by id), coalesce(sum(octet_length(line)), 0)::int
      from kept group by chunk, run, service_id, deployment_id
      returning last_id - first_id + 1 as n)
    select (select coalesce(sum(last_id - first_id + 1), 0) from gone)::bigint - (select coalesce(sum(n), 0) from put)::bigint as removed`);
  return Number(rowsOf(r)[0]?.removed ?? 0);
}
