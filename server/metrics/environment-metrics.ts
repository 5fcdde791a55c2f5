import "server-only";
import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { metricSamples } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { environmentStatus } from "@/server/deployments/environment-status";

const SPARK_RANGE_MS = 3_600_000;
const SPARK_STEP_S = 60;

export type SparkPoint = { t: number; rps: number; cpu: number; rss: number };

/**
 * Every service of an environment with its status, instance count and the last hour as one-minute
 * sparkline points (requests/s, CPU %, memory), added up in the database: one query for all services.
 */
export async function environmentMetrics({ ctx, environmentId, now = Date.now() }: { ctx: ServiceCtx; environmentId: string; now?: number }) {
  const status = await environmentStatus({ ctx, environmentId });
  const ids = status.services.map((s) => s.id);
  const since = new Date(now - SPARK_RANGE_MS);
  const bin = sql<Date>`date_bin(${sql.raw(`interval '${SPARK_STEP_S} seconds'`)}, ${metricSamples.bucketStart}, timestamptz '2000-01-01')`;
  const rows = ids.length
    ? await ctx.db
        .select({
          serviceId: metricSamples.serviceId,
          t: bin,
          rps: sql<number>`sum(${metricSamples.requests})::float8 / nullif(sum(${metricSamples.seconds}), 0)`,
          cpu: sql<number>`sum(${metricSamples.cpu} * ${metricSamples.seconds})::float8 / nullif(sum(${metricSamples.seconds}), 0)`,
          rss: sql<number>`sum(${metricSamples.rss} * ${metricSamples.seconds})::float8 / nullif(sum(${metricSamples.seconds}), 0)`,
        })
        .from(metricSamples)
        .where(and(inArray(metricSamples.serviceId, ids), eq(metricSamples.tier, 0), gte(metricSamples.bucketStart, since)))
        .groupBy(metricSamples.serviceId, bin)
        .orderBy(bin)
    : [];
  const spark = new Map<string, SparkPoint[]>();
  for (const r of rows) {
    const list = spark.get(r.serviceId) ?? [];
    const round = (x: number | null) => Math.round(Number(x ?? 0) * 100) / 100;
    list.push({ t: new Date(r.t).getTime(), rps: round(r.rps), cpu: round(r.cpu), rss: Math.round(Number(r.rss ?? 0)) });
    spark.set(r.serviceId, list);
  }
  return {
    environmentId,
    from: since.getTime(),
    to: now,
    services: status.services.map((s) => ({
      id: s.id,
      name: s.name,
      status: s.status,
      instances: s.instances.length,
      points: spark.get(s.id) ?? [],
    })),
  };
}
