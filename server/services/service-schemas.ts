import { z } from "zod";
import { dnsLabel, uuidSchema } from "@/server/validation/names";
import { serviceSpecSchema } from "./service-spec";

export const serviceTypeSchema = z.enum(["application", "worker"], { error: "type must be application or worker" });

export const listServicesInput = z.object({ environmentId: uuidSchema });
export const getServiceInput = z.object({ environmentId: uuidSchema, name: z.string().min(1).max(40) });
export const createServiceInput = z.object({
  environmentId: uuidSchema,
  name: dnsLabel("service"),
  type: serviceTypeSchema,
  spec: serviceSpecSchema,
});
export const updateServiceInput = z.object({ serviceId: uuidSchema, spec: serviceSpecSchema });
export const deleteServiceInput = z.object({ serviceId: uuidSchema });

export type CreateServiceInput = z.infer<typeof createServiceInput>;
export type UpdateServiceInput = z.infer<typeof updateServiceInput>;
