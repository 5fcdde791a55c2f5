import { createTRPCRouter, protectedProcedure, publicProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { createInvitationInput, invitationTokenInput, listInvitationsInput, revokeInvitationInput } from "@/server/invitations/invitation-schemas";
import { createInvitation } from "@/server/invitations/create-invitation";
import { listInvitations } from "@/server/invitations/list-invitations";
import { revokeInvitation } from "@/server/invitations/revoke-invitation";
import { lookupInvitation } from "@/server/invitations/lookup-invitation";
import { acceptInvitation } from "@/server/invitations/accept-invitation";

export const invitationRouter = createTRPCRouter({
  list: protectedProcedure.input(listInvitationsInput).query(({ ctx, input }) => listInvitations({ ctx: svc(ctx), orgId: input.orgId })),
  create: protectedProcedure.input(createInvitationInput).mutation(({ ctx, input }) => createInvitation({ ctx: svc(ctx), input })),
  revoke: protectedProcedure.input(revokeInvitationInput).mutation(({ ctx, input }) => revokeInvitation({ ctx: svc(ctx), invitationId: input.invitationId })),
  // The link itself is the credential: whoever holds it may see whom it invites, and to what.
  lookup: publicProcedure.input(invitationTokenInput).query(({ ctx, input }) => lookupInvitation({ db: ctx.db, token: input.token })),
  accept: protectedProcedure.input(invitationTokenInput).mutation(({ ctx, input }) => acceptInvitation({ ctx: svc(ctx), token: input.token })),
});
