import "server-only";
import { and, desc, eq } from "drizzle-orm";
import { deployments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import { deploymentActions } from "@/server/engine/deployment-status";

export async function listDeployments({ ctx, environmentId, serviceId, limit }: { ctx: ServiceCtx; environmentId: string; serviceId?: string; limit: number }) {
  await requireEnvironment(ctx, environmentId, "org.read");
  const rows = await ctx.db
    .select({
      id: deployments.id,
      kind: deployments.kind,
      status: deployments.status,
      trigger: deployments.trigger,
      requestedBy: deployments.requestedByLabel,
      serviceId: deployments.serviceId,
      snapshot: deployments.snapshot,
      revision: deployments.revision,
      message: deployments.message,
      rollbackOf: deployments.rollbackOf,
      createdAt: deployments.createdAt,
      startedAt: deployments.startedAt,
      finishedAt: deployments.finishedAt,
    })
    .from(deployments)
    .where(and(eq(deployments.environmentId, environmentId), serviceId ? eq(deployments.serviceId, serviceId) : undefined))
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
  return rows.map(({ snapshot, ...r }) => ({
    ...r,
    services: snapshot.services.map((s) => s.name),
    durationMs: r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
    actions: deploymentActions(r.status),
  }));
}
