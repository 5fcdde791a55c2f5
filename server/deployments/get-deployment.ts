import "server-only";
import { asc, eq, gt, and } from "drizzle-orm";
import { deploymentEvents } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { deploymentActions } from "@/server/engine/deployment-status";
import { findDeployment } from "./find-deployment";

export async function getDeployment({ ctx, deploymentId }: { ctx: ServiceCtx; deploymentId: string }) {
  const { deployment: d, environment, project, role } = await findDeployment(ctx, deploymentId, "org.read");
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    trigger: d.trigger,
    requestedBy: d.requestedByLabel,
    services: d.snapshot.services.map((s) => ({ id: s.id, name: s.name, type: s.type })),
    revision: d.revision,
    message: d.message,
    hint: d.hint,
    rollbackOf: d.rollbackOf,
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    environment: { id: environment.id, name: environment.name, mode: environment.mode },
    project: { id: project.id, name: project.name },
    actions: deploymentActions(d.status),
    role,
  };
}

/** Events after `afterId` (the resume point), oldest first. */
export async function listDeploymentEvents({ ctx, deploymentId, afterId = 0 }: { ctx: ServiceCtx; deploymentId: string; afterId?: number }) {
  await findDeployment(ctx, deploymentId, "org.read");
  return ctx.db
    .select()
    .from(deploymentEvents)
    .where(and(eq(deploymentEvents.deploymentId, deploymentId), gt(deploymentEvents.id, afterId)))
    .orderBy(asc(deploymentEvents.id));
}
