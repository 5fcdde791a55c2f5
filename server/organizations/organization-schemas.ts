import { z } from "zod";
import { dnsLabel, uuidSchema } from "@/server/validation/names";

export const orgNameSchema = z
  .string()
  .trim()
  .min(1, { error: "organization name is required" })
  .max(80, { error: "organization name must be at most 80 characters" });

export const createOrganizationInput = z.object({ name: orgNameSchema, slug: dnsLabel("organization URL") });
export const updateOrganizationInput = z.object({ orgId: uuidSchema, name: orgNameSchema });
export const getOrganizationInput = z.object({ slug: z.string().min(1).max(40) });

export type CreateOrganizationInput = z.infer<typeof createOrganizationInput>;
export type UpdateOrganizationInput = z.infer<typeof updateOrganizationInput>;
