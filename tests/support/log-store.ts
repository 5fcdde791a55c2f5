import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { rowsOf } from "@/db/rows-of";
import type { LogStream } from "@/server/logs/log-schemas";

/** A stored line as one row per line used to hold it. */
export type StoredLine = { id: number; serviceId: string; deploymentId: string | null; instanceId: string | null; stream: LogStream; line: string; createdAt: Date };
/** A stored chunk as it is (ids, times, arrays, bytes). */
export type StoredChunk = {
  firstId: number;
  lastId: number;
  serviceId: string;
  deploymentId: string | null;
  minAt: Date;
  maxAt: Date;
  instanceIds: (string | null)[];
  streams: LogStream[];
  ats: Date[];
  lines: string[];
  bytes: number;
};

const where = (serviceId?: string) => (serviceId ? sql`where c.service_id = ${serviceId}` : sql``);

/**
 * Every stored line (of one service, or all), oldest first, expanded from the chunks in SQL — the
 * test's view of the table, independent of the console's queries. Built as JSON by the database so
 * both drivers answer alike (ids as numbers, times as ISO text).
 */
export async function storedLines(db: Db, serviceId?: string): Promise<StoredLine[]> {
  const r = await db.execute(sql`select coalesce(json_agg(json_build_object('id', id, 'serviceId', service_id, 'deploymentId', deployment_id,
      'instanceId', instance_id, 'stream', stream, 'line', line, 'createdAt', at) order by id), '[]')::text as rows
    from (select c.first_id + u.ord - 1 as id, c.service_id, c.deployment_id, u.instance_id, u.stream, u.line, u.at
      from log_chunks c cross join lateral unnest(c.lines, c.instance_ids, c.streams, c.ats) with ordinality as u(line, instance_id, stream, at, ord) ${where(serviceId)}) t`);
  const rows = JSON.parse(String(rowsOf(r)[0].rows)) as (Omit<StoredLine, "createdAt"> & { createdAt: string })[];
  return rows.map((l) => ({ ...l, createdAt: new Date(l.createdAt) }));
}

/** Every stored chunk (of one service, or all), by first id. */
export async function storedChunks(db: Db, serviceId?: string): Promise<StoredChunk[]> {
  const r = await db.execute(sql`select coalesce(json_agg(json_build_object('firstId', first_id, 'lastId', last_id, 'serviceId', service_id,
      'deploymentId', deployment_id, 'minAt', min_at, 'maxAt', max_at, 'instanceIds', instance_ids, 'streams', streams, 'ats', ats, 'lines', lines,
      'bytes', bytes) order by first_id), '[]')::text as rows from log_chunks c ${where(serviceId)}`);
  type Raw = Omit<StoredChunk, "minAt" | "maxAt" | "ats"> & { minAt: string; maxAt: string; ats: string[] };
  return (JSON.parse(String(rowsOf(r)[0].rows)) as Raw[]).map((c) => ({ ...c, minAt: new Date(c.minAt), maxAt: new Date(c.maxAt), ats: c.ats.map((a) => new Date(a)) }));
}

/** The newest stored line id of any service (0 when none). */
export async function newestStoredId(db: Db): Promise<number> {
  return Number(rowsOf(await db.execute(sql`select coalesce(max(last_id), 0) as id from log_chunks`))[0].id);
}
