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
export const deploymentLogsInput = z.object({
  serviceId: uuidSchema,
  deploymentId: uuidSchema.optional(),
  afterId: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});

export type RequestDeploymentInput = z.infer<typeof requestDeploymentInput>;
export const watchLogsInput = z.object({
  serviceId: uuidSchema,
  deploymentId: uuidSchema.optional(),
  tail: z.number().int().min(0).max(5000).default(200),
  lastEventId: z.string().regex(/^\d+$/).optional(),
});
