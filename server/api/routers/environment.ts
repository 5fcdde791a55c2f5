import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import {
  createEnvironmentInput,
  deleteEnvironmentInput,
  getEnvironmentInput,
  listEnvironmentsInput,
  updateEnvironmentInput,
} from "@/server/environments/environment-schemas";
import { listEnvironments } from "@/server/environments/list-environments";
import { getEnvironment } from "@/server/environments/get-environment";
import { createEnvironment } from "@/server/environments/create-environment";
import { updateEnvironment } from "@/server/environments/update-environment";
import { deleteEnvironment } from "@/server/environments/delete-environment";

export const environmentRouter = createTRPCRouter({
  list: protectedProcedure.input(listEnvironmentsInput).query(({ ctx, input }) => listEnvironments({ ctx: svc(ctx), projectId: input.projectId })),
  get: protectedProcedure.input(getEnvironmentInput).query(({ ctx, input }) => getEnvironment({ ctx: svc(ctx), ...input })),
  create: protectedProcedure.input(createEnvironmentInput).mutation(({ ctx, input }) => createEnvironment({ ctx: svc(ctx), input })),
  update: protectedProcedure.input(updateEnvironmentInput).mutation(({ ctx, input }) => updateEnvironment({ ctx: svc(ctx), input })),
  delete: protectedProcedure.input(deleteEnvironmentInput).mutation(({ ctx, input }) => deleteEnvironment({ ctx: svc(ctx), environmentId: input.environmentId })),
});
