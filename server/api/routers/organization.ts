import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { createOrganizationInput, getOrganizationInput, updateOrganizationInput } from "@/server/organizations/organization-schemas";
import { listOrganizations } from "@/server/organizations/list-organizations";
import { getOrganization } from "@/server/organizations/get-organization";
import { createOrganization } from "@/server/organizations/create-organization";
import { updateOrganization } from "@/server/organizations/update-organization";

export const organizationRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listOrganizations({ ctx: svc(ctx) })),
  get: protectedProcedure.input(getOrganizationInput).query(({ ctx, input }) => getOrganization({ ctx: svc(ctx), slug: input.slug })),
  create: protectedProcedure.input(createOrganizationInput).mutation(({ ctx, input }) => createOrganization({ ctx: svc(ctx), input })),
  update: protectedProcedure.input(updateOrganizationInput).mutation(({ ctx, input }) => updateOrganization({ ctx: svc(ctx), input })),
});
