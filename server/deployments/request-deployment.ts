import "server-only";
import crypto from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { deployments, services, type DeploymentBuilds, type SnapshotService } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireEnvironment } from "@/server/policy/access";
import { AppError, notFound } from "@/server/errors/app-error";
import { bus } from "@/server/engine/event-bus";

type Kind = "deploy" | "rollback" | "start" | "restart";

export type EnqueueOptions = {
  ctx: ServiceCtx;
  environmentId: string;
  serviceId?: string;
  kind?: Kind;
  /** Use this snapshot instead of the current desired state (rollback). */
  snapshot?: SnapshotService[];
  /** Run these builds instead of building (rollback, start, restart). */
  builds?: DeploymentBuilds;
  rollbackOf?: string;
};

/**
 * Queues a deployment of an environment (or one service) with a snapshot of its desired state. An
 * identical request that is still queued is merged into the existing one instead.
 */
export async function enqueueDeployment(opts: EnqueueOptions) {
  const { ctx } = opts;
  const { environment, project } = await requireEnvironment(ctx, opts.environmentId, "deployment.run");
  const kind = opts.kind ?? "deploy";
  const result = await ctx.db.transaction(async (tx) => {
    let snapshot = opts.snapshot;
    if (!snapshot) {
      const rows = await tx
        .select({ id: services.id, name: services.name, type: services.type, spec: services.spec })
        .from(services)
        .where(opts.serviceId ? and(eq(services.environmentId, environment.id), eq(services.id, opts.serviceId)) : eq(services.environmentId, environment.id))
        .orderBy(asc(services.name));
      if (opts.serviceId && rows.length === 0) throw notFound("service");
      snapshot = rows;
    }
    if (snapshot.length === 0) throw new AppError("BAD_REQUEST", "this environment has no services to deploy; create a service first");
    const builds = opts.builds ?? {};
    const requestKey = crypto
      .createHash("sha256")
      .update(JSON.stringify([kind, opts.serviceId ?? null, snapshot, builds]))
      .digest("hex");
    const [queued] = await tx
      .select({ id: deployments.id })
      .from(deployments)
      .where(and(eq(deployments.environmentId, environment.id), eq(deployments.status, "QUEUED"), eq(deployments.requestKey, requestKey)))
      .limit(1);
    if (queued) return { id: queued.id, merged: true };
    const [row] = await tx
      .insert(deployments)
      .values({
        environmentId: environment.id,
        serviceId: opts.serviceId ?? null,
        kind,
        trigger: ctx.meta.source,
        requestedBy: ctx.actor.userId,
        requestedByLabel: ctx.actor.email,
        snapshot: { services: snapshot },
        builds,
        requestKey,
        rollbackOf: opts.rollbackOf ?? null,
      })
      .returning({ id: deployments.id });
    await recordAudit(tx, ctx, {
      orgId: project.orgId,
      action: `deployment.${kind}`,
      resourceType: "deployment",
      resourceId: row.id,
      resourceName: `${project.name}/${environment.name}${opts.serviceId ? `/${snapshot[0].name}` : ""}`,
      metadata: { services: snapshot.map((s) => s.name), ...(opts.rollbackOf ? { rollbackOf: opts.rollbackOf } : {}) },
    });
    return { id: row.id, merged: false };
  });
  bus.emit("queued", { environmentId: environment.id });
  return result;
}
