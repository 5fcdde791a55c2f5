import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";
import { assignableRoleSchema } from "@/server/members/member-schemas";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "email must be a valid address, like ada@example.com" }).max(254));

export const createInvitationInput = z.object({ orgId: uuidSchema, email: emailSchema, role: assignableRoleSchema });
export const listInvitationsInput = z.object({ orgId: uuidSchema });
export const revokeInvitationInput = z.object({ invitationId: uuidSchema });
export const invitationTokenInput = z.object({ token: z.string().min(10).max(200) });

export type CreateInvitationInput = z.infer<typeof createInvitationInput>;
