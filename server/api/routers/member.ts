import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { listMembersInput, removeMemberInput, transferOwnershipInput, updateMemberRoleInput } from "@/server/members/member-schemas";
import { listMembers } from "@/server/members/list-members";
import { updateMemberRole } from "@/server/members/update-member-role";
import { removeMember } from "@/server/members/remove-member";
import { transferOwnership } from "@/server/members/transfer-ownership";

export const memberRouter = createTRPCRouter({
  list: protectedProcedure.input(listMembersInput).query(({ ctx, input }) => listMembers({ ctx: svc(ctx), orgId: input.orgId })),
  updateRole: protectedProcedure.input(updateMemberRoleInput).mutation(({ ctx, input }) => updateMemberRole({ ctx: svc(ctx), input })),
  remove: protectedProcedure.input(removeMemberInput).mutation(({ ctx, input }) => removeMember({ ctx: svc(ctx), ...input })),
  transferOwnership: protectedProcedure.input(transferOwnershipInput).mutation(({ ctx, input }) => transferOwnership({ ctx: svc(ctx), ...input })),
});
