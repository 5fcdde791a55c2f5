import { z } from "zod";
import { dnsLabel, uuidSchema } from "@/server/validation/names";

export const environmentModeSchema = z.enum(["production", "staging", "development", "preview"], {
  error: "mode must be one of production, staging, development, preview",
});

export const listEnvironmentsInput = z.object({ projectId: uuidSchema });
export const getEnvironmentInput = z.object({ projectId: uuidSchema, name: z.string().min(1).max(40) });
export const createEnvironmentInput = z.object({
  projectId: uuidSchema,
  name: dnsLabel("environment"),
  mode: environmentModeSchema,
  runtime: z.enum(["process"], { error: "runtime must be process" }).default("process"),
});
export const updateEnvironmentInput = z.object({ environmentId: uuidSchema, mode: environmentModeSchema });
export const deleteEnvironmentInput = z.object({ environmentId: uuidSchema });

export type CreateEnvironmentInput = z.infer<typeof createEnvironmentInput>;
export type UpdateEnvironmentInput = z.infer<typeof updateEnvironmentInput>;
