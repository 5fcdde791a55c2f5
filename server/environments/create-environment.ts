import "server-only";
import { and, eq } from "drizzle-orm";
import { environments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireProject } from "@/server/policy/access";
import { conflict } from "@/server/errors/app-error";
import { isUniqueViolation } from "@/server/errors/db-errors";
import type { CreateEnvironmentInput } from "./environment-schemas";

const nameTaken = (name: string) => conflict("name", `an environment named "${name}" already exists in this project`);

export async function createEnvironment({ ctx, input }: { ctx: ServiceCtx; input: CreateEnvironmentInput }) {
  const { project } = await requireProject(ctx, input.projectId, "environment.write");
  try {
    return await ctx.db.transaction(async (tx) => {
      const [dup] = await tx
        .select({ id: environments.id })
        .from(environments)
        .where(and(eq(environments.projectId, input.projectId), eq(environments.name, input.name)));
      if (dup) throw nameTaken(input.name);
      const [environment] = await tx.insert(environments).values(input).returning();
      await recordAudit(tx, ctx, {
        orgId: project.orgId,
        action: "environment.create",
        resourceType: "environment",
        resourceId: environment.id,
        resourceName: `${project.name}/${environment.name}`,
        metadata: { mode: environment.mode },
      });
      return environment;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}
