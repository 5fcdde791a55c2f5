import "server-only";
import { and, eq } from "drizzle-orm";
import { projects } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { conflict } from "@/server/errors/app-error";
import { isUniqueViolation } from "@/server/errors/db-errors";
import type { CreateProjectInput } from "./project-schemas";

const nameTaken = (name: string) => conflict("name", `a project named "${name}" already exists in this organization`);

export async function createProject({ ctx, input }: { ctx: ServiceCtx; input: CreateProjectInput }) {
  await requireOrg(ctx, input.orgId, "project.write");
  try {
    return await ctx.db.transaction(async (tx) => {
      const [dup] = await tx.select({ id: projects.id }).from(projects).where(and(eq(projects.orgId, input.orgId), eq(projects.name, input.name)));
      if (dup) throw nameTaken(input.name);
      const [project] = await tx.insert(projects).values(input).returning();
      await recordAudit(tx, ctx, { orgId: input.orgId, action: "project.create", resourceType: "project", resourceId: project.id, resourceName: project.name });
      return project;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}
