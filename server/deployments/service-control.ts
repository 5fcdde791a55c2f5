import "server-only";
import { eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireService } from "@/server/policy/access";
import { AppError } from "@/server/errors/app-error";
import { serviceAllows, type ServiceAction } from "@/server/engine/deployment-status";
import { getEngine } from "@/server/engine/engine";
import { getServiceState, setServiceState } from "@/server/engine/service-state";
import { enqueueDeployment } from "./request-deployment";

async function load(ctx: ServiceCtx, serviceId: string, action: ServiceAction) {
  const access = await requireService(ctx, serviceId, "deployment.run");
  const state = await getServiceState(ctx.db, serviceId);
  const status = state?.status ?? "NOT_DEPLOYED";
  if (!serviceAllows(status, action)) throw new AppError("CONFLICT", `cannot ${action} a service that is ${status.toLowerCase().replace("_", " ")}`);
  return { ...access, state };
}

/** Stop: desired state becomes stopped and every instance is stopped (gracefully). */
export async function stopService({ ctx, serviceId }: { ctx: ServiceCtx; serviceId: string }) {
  const { service, environment, project } = await load(ctx, serviceId, "stop");
  await ctx.db.transaction(async (tx) => {
    await tx.update(services).set({ desiredState: "stopped" }).where(eq(services.id, serviceId));
    await recordAudit(tx, ctx, { orgId: project.orgId, action: "service.stop", resourceType: "service", resourceId: serviceId, resourceName: `${project.name}/${environment.name}/${service.name}` });
  });
  await getEngine()?.runtime.stop(serviceId);
  await setServiceState(ctx.db, serviceId, environment.id, { status: "STOPPED", instances: [], message: `stopped by ${ctx.actor.email}` });
  return { serviceId, status: "STOPPED" as const };
}

/** Start and restart run the version that was last deployed, without rebuilding, as a deployment (so they are queued, logged and zero-downtime). */
async function rerun(ctx: ServiceCtx, serviceId: string, kind: "start" | "restart") {
  const { service, environment, state } = await load(ctx, serviceId, kind);
  if (!state?.buildDir || !state.buildId) throw new AppError("CONFLICT", "this service has never been deployed; deploy it first");
  return enqueueDeployment({
    ctx,
    environmentId: environment.id,
    serviceId,
    kind,
    snapshot: [{ id: service.id, name: service.name, type: service.type, spec: service.spec }],
    builds: { [serviceId]: { buildId: state.buildId, dir: state.buildDir, startCommand: state.startCommand ?? "", revision: state.revision ?? "" } },
  });
}

export const startService = ({ ctx, serviceId }: { ctx: ServiceCtx; serviceId: string }) => rerun(ctx, serviceId, "start");
export const restartService = ({ ctx, serviceId }: { ctx: ServiceCtx; serviceId: string }) => rerun(ctx, serviceId, "restart");
