import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError } from "@/server/errors/app-error";
import { deploymentAllows } from "@/server/engine/deployment-status";
import { getEngine } from "@/server/engine/engine";
import { recordEvent } from "@/server/engine/record-event";
import { setDeploymentStatus } from "@/server/engine/update-deployment";
import { findDeployment } from "./find-deployment";

/** A queued deployment is canceled at once; a running one goes CANCELING and its runner stops it. */
export async function cancelDeployment({ ctx, deploymentId }: { ctx: ServiceCtx; deploymentId: string }) {
  const { deployment: d, project, environment } = await findDeployment(ctx, deploymentId, "deployment.run");
  if (!deploymentAllows(d.status, "cancel")) throw new AppError("CONFLICT", `a ${d.status} deployment cannot be canceled`);
  const status = await ctx.db.transaction(async (tx) => {
    const done = await setDeploymentStatus(tx, d, "CANCELED", { from: ["QUEUED"], message: "canceled before it started" });
    const next = done ? "CANCELED" : (await setDeploymentStatus(tx, d, "CANCELING", { from: ["PRECHECK", "BUILDING", "DEPLOYING"] })) ? "CANCELING" : null;
    if (!next) throw new AppError("CONFLICT", "the deployment finished before it could be canceled");
    await recordAudit(tx, ctx, { orgId: project.orgId, action: "deployment.cancel", resourceType: "deployment", resourceId: d.id, resourceName: `${project.name}/${environment.name}` });
    await recordEvent(tx, { deploymentId: d.id, environmentId: d.environmentId, stage: "cancel", step: "cancel requested", status: "warning", message: `cancel requested by ${ctx.actor.email}` });
    return next;
  });
  if (status === "CANCELING") getEngine()?.cancel(d.id);
  return { id: d.id, status };
}
