import { z } from "zod";
import { dnsLabel, uuidSchema } from "@/server/validation/names";

const description = z.string().trim().max(500, { error: "description must be at most 500 characters" });

export const listProjectsInput = z.object({ orgId: uuidSchema });
export const getProjectInput = z.object({ orgId: uuidSchema, name: z.string().min(1).max(40) });
export const createProjectInput = z.object({ orgId: uuidSchema, name: dnsLabel("project"), description: description.default("") });
export const updateProjectInput = z.object({ projectId: uuidSchema, description });
export const deleteProjectInput = z.object({ projectId: uuidSchema });

export type CreateProjectInput = z.infer<typeof createProjectInput>;
export type UpdateProjectInput = z.infer<typeof updateProjectInput>;
