import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";
import { roleSchema } from "@/server/members/member-schemas";

export const createTokenInput = z.object({
  orgId: uuidSchema,
  name: z.string().trim().min(1, { error: "token name is required" }).max(80, { error: "token name must be at most 80 characters" }),
  role: roleSchema,
});
export const listTokensInput = z.object({ orgId: uuidSchema });
export const revokeTokenInput = z.object({ tokenId: uuidSchema });

export type CreateTokenInput = z.infer<typeof createTokenInput>;
