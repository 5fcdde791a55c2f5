import "server-only";
import { and, asc, desc, eq, gt } from "drizzle-orm";
import { logLines } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireService } from "@/server/policy/access";

/** A service's stored log lines after `afterId` (or the newest `limit` when none), oldest first. */
export async function listLogs({ ctx, serviceId, deploymentId, afterId, limit }: { ctx: ServiceCtx; serviceId: string; deploymentId?: string; afterId?: number; limit: number }) {
  await requireService(ctx, serviceId, "org.read");
  const where = and(eq(logLines.serviceId, serviceId), deploymentId ? eq(logLines.deploymentId, deploymentId) : undefined, afterId !== undefined ? gt(logLines.id, afterId) : undefined);
  const rows =
    afterId !== undefined
      ? await ctx.db.select().from(logLines).where(where).orderBy(asc(logLines.id)).limit(limit)
      : (await ctx.db.select().from(logLines).where(where).orderBy(desc(logLines.id)).limit(limit)).reverse();
  return rows.map((r) => ({ id: r.id, deploymentId: r.deploymentId, instanceId: r.instanceId, stream: r.stream, line: r.line, at: r.createdAt }));
}
