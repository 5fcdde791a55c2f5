import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";

export const requestDeploymentInput = z.object({ environmentId: uuidSchema, serviceId: uuidSchema.optional() });
export const deploymentIdInput = z.object({ deploymentId: uuidSchema });
export const listDeploymentsInput = z.object({
  environmentId: uuidSchema,
  serviceId: uuidSchema.optional(),
  limit: z.number().int().min(1).max(100).default(30),
});
export const watchDeploymentInput = z.object({ deploymentId: uuidSchema, lastEventId: z.coerce.number().int().nonnegative().optional() });
export const watchEnvironmentInput = z.object({ environmentId: uuidSchema, lastEventId: z.string().optional() });
export const serviceIdInput = z.object({ serviceId: uuidSchema });
export type RequestDeploymentInput = z.infer<typeof requestDeploymentInput>;
