import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { AppError } from "@/server/errors/app-error";
import { deploymentAllows } from "@/server/engine/deployment-status";
import { enqueueDeployment } from "./request-deployment";
import { findDeployment } from "./find-deployment";

/** Rollback = deploy a previous deployment's snapshot again, with its builds when they are still kept. */
export async function rollbackDeployment({ ctx, deploymentId }: { ctx: ServiceCtx; deploymentId: string }) {
  const { deployment: d } = await findDeployment(ctx, deploymentId, "deployment.run");
  if (!deploymentAllows(d.status, "rollback")) throw new AppError("CONFLICT", `cannot roll back to a ${d.status} deployment; choose one that was deployed`);
  if (Object.keys(d.builds).length === 0) throw new AppError("CONFLICT", "that deployment never finished a build; choose one that was deployed");
  return enqueueDeployment({ ctx, environmentId: d.environmentId, serviceId: d.serviceId ?? undefined, kind: "rollback", snapshot: d.snapshot.services, builds: d.builds, rollbackOf: d.id });
}
