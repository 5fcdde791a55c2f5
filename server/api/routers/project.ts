import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { createProjectInput, deleteProjectInput, getProjectInput, listProjectsInput, updateProjectInput } from "@/server/projects/project-schemas";
import { listProjects } from "@/server/projects/list-projects";
import { getProject } from "@/server/projects/get-project";
import { createProject } from "@/server/projects/create-project";
import { updateProject } from "@/server/projects/update-project";
import { deleteProject } from "@/server/projects/delete-project";

export const projectRouter = createTRPCRouter({
  list: protectedProcedure.input(listProjectsInput).query(({ ctx, input }) => listProjects({ ctx: svc(ctx), orgId: input.orgId })),
  get: protectedProcedure.input(getProjectInput).query(({ ctx, input }) => getProject({ ctx: svc(ctx), ...input })),
  create: protectedProcedure.input(createProjectInput).mutation(({ ctx, input }) => createProject({ ctx: svc(ctx), input })),
  update: protectedProcedure.input(updateProjectInput).mutation(({ ctx, input }) => updateProject({ ctx: svc(ctx), input })),
  delete: protectedProcedure.input(deleteProjectInput).mutation(({ ctx, input }) => deleteProject({ ctx: svc(ctx), projectId: input.projectId })),
});
