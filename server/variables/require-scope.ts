import "server-only";
import type { VariableScope } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { forbidden } from "@/server/errors/app-error";
import { requireEnvironment, requireProject, requireService } from "@/server/policy/access";
import { can } from "@/server/policy/policy";
import type { ScopeInput } from "./variable-schemas";

export type ResolvedScope = {
  scope: VariableScope;
  scopeId: string;
  orgId: string;
  projectId: string;
  projectName: string;
  environmentId: string | null;
  environmentName: string | null;
  serviceId: string | null;
  /** "shop", "shop/staging" or "shop/staging/web". */
  label: string;
};

/**
 * Loads the scope and checks the caller may read (any member) or write its variables: developers
 * outside production, admins everywhere. Project-wide variables reach production too, so writing
 * them needs what production needs.
 */
export async function requireScope(ctx: ServiceCtx, input: ScopeInput, access: "read" | "write", db: DbOrTx = ctx.db): Promise<ResolvedScope> {
  if ("serviceId" in input) {
    const { service, environment, project } = await requireService(ctx, input.serviceId, access === "write" ? "variable.write" : "org.read", db);
    return {
      scope: "service",
      scopeId: service.id,
      orgId: project.orgId,
      projectId: project.id,
      projectName: project.name,
      environmentId: environment.id,
      environmentName: environment.name,
      serviceId: service.id,
      label: `${project.name}/${environment.name}/${service.name}`,
    };
  }
  if ("environmentId" in input) {
    const { environment, project } = await requireEnvironment(ctx, input.environmentId, access === "write" ? "variable.write" : "org.read", db);
    return {
      scope: "environment",
      scopeId: environment.id,
      orgId: project.orgId,
      projectId: project.id,
      projectName: project.name,
      environmentId: environment.id,
      environmentName: environment.name,
      serviceId: null,
      label: `${project.name}/${environment.name}`,
    };
  }
  const { project, role } = await requireProject(ctx, input.projectId, "org.read", db);
  if (access === "write" && !can(role, "variable.write", { mode: "production" })) {
    throw forbidden(`your role (${role}) may not change project-wide variables: they reach every environment, production included`);
  }
  return { scope: "project", scopeId: project.id, orgId: project.orgId, projectId: project.id, projectName: project.name, environmentId: null, environmentName: null, serviceId: null, label: project.name };
}
