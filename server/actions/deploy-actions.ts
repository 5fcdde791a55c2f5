"use server";
import { z } from "zod";
import { enqueueDeployment } from "@/server/deployments/request-deployment";
import { cancelDeployment } from "@/server/deployments/cancel-deployment";
import { rollbackDeployment } from "@/server/deployments/rollback-deployment";
import { restartService, startService, stopService } from "@/server/deployments/service-control";
import { uuidSchema } from "@/server/validation/names";
import { runAction } from "./action-context";

const id = (v: unknown) => uuidSchema.parse(v);

/** Deploy (or redeploy) an environment, or one service of it. */
export async function deployAction(environmentId: string, serviceId?: string) {
  const input = z.object({ environmentId: uuidSchema, serviceId: uuidSchema.optional() }).parse({ environmentId, serviceId });
  return runAction((ctx) => enqueueDeployment({ ctx, ...input }));
}

export async function cancelDeploymentAction(deploymentId: string) {
  return runAction((ctx) => cancelDeployment({ ctx, deploymentId: id(deploymentId) }));
}

export async function rollbackAction(deploymentId: string) {
  return runAction((ctx) => rollbackDeployment({ ctx, deploymentId: id(deploymentId) }));
}

export async function stopServiceAction(serviceId: string) {
  return runAction((ctx) => stopService({ ctx, serviceId: id(serviceId) }));
}

export async function startServiceAction(serviceId: string) {
  return runAction((ctx) => startService({ ctx, serviceId: id(serviceId) }));
}

export async function restartServiceAction(serviceId: string) {
  return runAction((ctx) => restartService({ ctx, serviceId: id(serviceId) }));
}
