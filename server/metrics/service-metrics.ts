import "server-only";
import { and, desc, eq, gte, isNull, lte, or, sql } from "drizzle-orm";
import { deployments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireService } from "@/server/policy/access";
import { querySeries } from "./query-series";

const MAX_MARKERS = 200;

/** A service's metric series over a range, with the deployments that touched it in that range as markers. */
export async function serviceMetrics({ ctx, serviceId, from, to }: { ctx: ServiceCtx; serviceId: string; from: Date; to: Date }) {
  const { service, environment } = await requireService(ctx, serviceId, "org.read");
  const series = await querySeries(ctx.db, { serviceId, from: from.getTime(), to: to.getTime() });
  // A marker sits where the deployment ended (traffic switched or it failed), or where it was asked for while it runs.
  const at = sql<Date>`coalesce(${deployments.finishedAt}, ${deployments.createdAt})`;
  const rows = await ctx.db
    .select({ id: deployments.id, status: deployments.status, kind: deployments.kind, revision: deployments.revision, at })
    .from(deployments)
    .where(
      and(
        eq(deployments.environmentId, environment.id),
        or(eq(deployments.serviceId, serviceId), isNull(deployments.serviceId)),
        gte(at, from),
        lte(at, to),
      ),
    )
    .orderBy(desc(at))
    .limit(MAX_MARKERS);
  const markers = rows.reverse().map((d) => ({ id: d.id, status: d.status, kind: d.kind, revision: d.revision, at: new Date(d.at).getTime() }));
  return { serviceId, serviceName: service.name, ...series, markers };
}
