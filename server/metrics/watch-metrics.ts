import "server-only";
import { and, asc, desc, eq, gt, max } from "drizzle-orm";
import { metricSamples, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment, requireService } from "@/server/policy/access";
import type { InstanceSample } from "@/db/schema";
import { toPoint, type MetricPoint } from "./sample-math";

export type LivePoint = MetricPoint & { perInstance: InstanceSample[] };

/**
 * A service's raw samples newer than `afterMs` (bucket start, ms), oldest first; without `afterMs`, only
 * the newest one. The live chart's resume point is the bucket start.
 */
export async function latestSamples({ ctx, serviceId, afterMs, limit = 100 }: { ctx: ServiceCtx; serviceId: string; afterMs?: number; limit?: number }): Promise<LivePoint[]> {
  await requireService(ctx, serviceId, "org.read");
  const where = and(eq(metricSamples.serviceId, serviceId), eq(metricSamples.tier, 0), afterMs === undefined ? undefined : gt(metricSamples.bucketStart, new Date(afterMs)));
  const rows = await ctx.db
    .select()
    .from(metricSamples)
    .where(where)
    .orderBy(afterMs === undefined ? desc(metricSamples.bucketStart) : asc(metricSamples.bucketStart))
    .limit(afterMs === undefined ? 1 : limit);
  return rows.map((r) => ({ ...toPoint(r.bucketStart.getTime(), r), perInstance: r.perInstance ?? [] }));
}

/**
 * The newest raw sample's bucket start (ms) among an environment's services, or null before the
 * first: what the overview's live stream announces, so a client knows its sparklines are behind.
 */
export async function latestEnvironmentSample({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }): Promise<number | null> {
  await requireEnvironment(ctx, environmentId, "org.read");
  const [row] = await ctx.db
    .select({ at: max(metricSamples.bucketStart) })
    .from(metricSamples)
    .innerJoin(services, eq(services.id, metricSamples.serviceId))
    .where(and(eq(services.environmentId, environmentId), eq(metricSamples.tier, 0)));
  return row?.at ? row.at.getTime() : null;
}
