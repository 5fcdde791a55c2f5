import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";

export const roleSchema = z.enum(["owner", "admin", "developer", "viewer"], { error: "role must be owner, admin, developer or viewer" });
export const assignableRoleSchema = z.enum(["admin", "developer", "viewer"], {
  error: "role must be admin, developer or viewer (ownership is transferred, not assigned)",
});

export const listMembersInput = z.object({ orgId: uuidSchema });
export const updateMemberRoleInput = z.object({ orgId: uuidSchema, userId: uuidSchema, role: assignableRoleSchema });
export const removeMemberInput = z.object({ orgId: uuidSchema, userId: uuidSchema });
export const transferOwnershipInput = z.object({ orgId: uuidSchema, userId: uuidSchema });

export type UpdateMemberRoleInput = z.infer<typeof updateMemberRoleInput>;
