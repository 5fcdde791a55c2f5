import "server-only";
import { and, asc, desc, eq, gt } from "drizzle-orm";
import { metricSamples } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireService } from "@/server/policy/access";
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
