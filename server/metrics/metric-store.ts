import "server-only";
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { metricSamples, type MetricTier } from "@/db/schema";
import { combine } from "./sample-math";
import { retentionMs, TIER_MS } from "./metric-config";

export type SampleRow = typeof metricSamples.$inferInsert;

const num = (n: number) => (Number.isFinite(n) ? n : 0);

/**
 * Writes samples with one statement per chunk: each column is sent as one array and unnested in the
 * database (the stack notes' fastest batched insert; 16 parameters whatever the row count). A retried
 * tick or a second rollup of the same bucket replaces its row instead of failing.
 */
export async function writeSamples(db: Db, rows: readonly SampleRow[], chunk = 5_000): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    // sql.param: one placeholder per column array (a bare array would be spread into a list).
    const col = <T>(f: (r: SampleRow) => T) => sql.param(part.map(f));
    await db.execute(sql`
      insert into metric_samples (service_id, tier, bucket_start, seconds, cpu, cpu_max, rss, rss_max, instances, restarts, requests, status_4xx, status_5xx, latency, latency_max_ms, per_instance)
      select s, t, b, sec, c, cm, r, rm, inst, rs, rq, s4, s5, l::int[], lm, pi::jsonb
      from unnest(
        ${col((r) => r.serviceId)}::uuid[], ${col((r) => r.tier)}::smallint[], ${col((r) => new Date(r.bucketStart).toISOString())}::timestamptz[],
        ${col((r) => num(r.seconds))}::real[], ${col((r) => num(r.cpu))}::real[], ${col((r) => num(r.cpuMax))}::real[],
        ${col((r) => num(r.rss))}::float8[], ${col((r) => num(r.rssMax))}::float8[], ${col((r) => num(r.instances))}::real[],
        ${col((r) => r.restarts)}::int[], ${col((r) => r.requests)}::int[], ${col((r) => r.status4xx)}::int[], ${col((r) => r.status5xx)}::int[],
        ${col((r) => `{${r.latency.join(",")}}`)}::text[], ${col((r) => num(r.latencyMaxMs))}::real[], ${col((r) => (r.perInstance ? JSON.stringify(r.perInstance) : null))}::text[]
      ) as u(s, t, b, sec, c, cm, r, rm, inst, rs, rq, s4, s5, l, lm, pi)
      on conflict (service_id, tier, bucket_start) do update set
        seconds = excluded.seconds, cpu = excluded.cpu, cpu_max = excluded.cpu_max, rss = excluded.rss, rss_max = excluded.rss_max,
        instances = excluded.instances, restarts = excluded.restarts, requests = excluded.requests, status_4xx = excluded.status_4xx,
        status_5xx = excluded.status_5xx, latency = excluded.latency, latency_max_ms = excluded.latency_max_ms, per_instance = excluded.per_instance`);
  }
}

/**
 * Rolls the rows of tier `from` inside [start, start + width of `to`) up into one row of tier `to` per
 * service. Called when a minute or an hour has closed; re-running it rewrites the same row.
 */
export async function rollup(db: Db, opts: { serviceIds: readonly string[]; to: 1 | 2; start: number }): Promise<number> {
  if (opts.serviceIds.length === 0) return 0;
  const from = (opts.to - 1) as MetricTier;
  const start = new Date(opts.start);
  const end = new Date(opts.start + TIER_MS[opts.to]);
  const rows = await db
    .select()
    .from(metricSamples)
    .where(and(inArray(metricSamples.serviceId, [...opts.serviceIds]), eq(metricSamples.tier, from), gte(metricSamples.bucketStart, start), lt(metricSamples.bucketStart, end)));
  const byService = new Map<string, SampleRow[]>();
  for (const r of rows) {
    const list = byService.get(r.serviceId) ?? [];
    list.push(r);
    byService.set(r.serviceId, list);
  }
  const out: SampleRow[] = [...byService].map(([serviceId, list]) => ({ serviceId, tier: opts.to, bucketStart: start, ...combine(list), perInstance: null }));
  await writeSamples(db, out);
  return out.length;
}

/** Deletes what each tier keeps no longer: rows that start before now − retention. Returns the count per tier. */
export async function pruneSamples(db: Db, opts: { now: number; retention?: Record<MetricTier, number> }): Promise<Record<MetricTier, number>> {
  const retention = opts.retention ?? retentionMs();
  const deleted: Record<MetricTier, number> = { 0: 0, 1: 0, 2: 0 };
  for (const tier of [0, 1, 2] as const) {
    const rows = await db
      .delete(metricSamples)
      .where(and(eq(metricSamples.tier, tier), lt(metricSamples.bucketStart, new Date(opts.now - retention[tier]))))
      .returning({ serviceId: metricSamples.serviceId });
    deleted[tier] = rows.length;
  }
  return deleted;
}
