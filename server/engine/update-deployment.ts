import "server-only";
import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/server/auth/actor";
import { deployments, type DeploymentBuilds } from "@/db/schema";
import { bus } from "./event-bus";
import type { DeploymentStatus } from "./deployment-status";

/** Moves a deployment to a status, unless it already left `from` (e.g. someone canceled it). */
export async function setDeploymentStatus(
  db: DbOrTx,
  d: { id: string; environmentId: string },
  status: DeploymentStatus,
  opts: { from?: DeploymentStatus[]; message?: string | null; hint?: string | null; revision?: string | null; builds?: DeploymentBuilds } = {},
): Promise<boolean> {
  const terminal = status === "DEPLOYED" || status === "BUILD_ERROR" || status === "DEPLOYMENT_ERROR" || status === "CANCELED";
  const rows = await db
    .update(deployments)
    .set({
      status,
      ...(opts.message !== undefined ? { message: opts.message } : {}),
      ...(opts.hint !== undefined ? { hint: opts.hint } : {}),
      ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
      ...(opts.builds ? { builds: opts.builds } : {}),
      ...(terminal ? { finishedAt: new Date() } : {}),
    })
    .where(opts.from ? and(eq(deployments.id, d.id), inArray(deployments.status, opts.from)) : eq(deployments.id, d.id))
    .returning({ id: deployments.id });
  if (rows.length) bus.emit("deployment", { deploymentId: d.id, environmentId: d.environmentId });
  return rows.length > 0;
}

export async function getDeploymentStatus(db: DbOrTx, id: string): Promise<DeploymentStatus | null> {
  const [row] = await db.select({ status: deployments.status }).from(deployments).where(eq(deployments.id, id));
  return row?.status ?? null;
}
