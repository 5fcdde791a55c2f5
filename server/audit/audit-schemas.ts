import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";

export const listAuditInput = z
  .object({
    orgId: uuidSchema,
    actor: z.string().trim().max(254).optional(),
    action: z.string().trim().max(80).optional(),
    resourceType: z.string().trim().max(40).optional(),
    from: z.coerce.date({ error: "from must be a date" }).optional(),
    to: z.coerce.date({ error: "to must be a date" }).optional(),
    limit: z.number().int().min(1).max(200).default(50),
    /** seq of the last row of the previous page. */
    before: z.number().int().positive().optional(),
  })
  .refine((i) => !i.from || !i.to || i.from <= i.to, { error: "from must not be after to", path: ["to"] });

export type ListAuditInput = z.infer<typeof listAuditInput>;
