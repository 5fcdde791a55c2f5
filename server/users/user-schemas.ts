import { z } from "zod";
import { emailSchema } from "@/server/invitations/invitation-schemas";
import { passwordSchema } from "./password";

export const personNameSchema = z.string().trim().min(1, { error: "name is required" }).max(80, { error: "name must be at most 80 characters" });

export const createOwnerInput = z.object({ name: personNameSchema, email: emailSchema, password: passwordSchema });
export const signUpWithInvitationInput = z.object({ token: z.string().min(10).max(200), name: personNameSchema, password: passwordSchema });

export type CreateOwnerInput = z.infer<typeof createOwnerInput>;
export type SignUpWithInvitationInput = z.infer<typeof signUpWithInvitationInput>;
