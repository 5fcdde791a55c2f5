import "server-only";
import { and, eq } from "drizzle-orm";
import { environments, memberships, projects, services } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { forbidden, notFound } from "@/server/errors/app-error";
import { can, denialMessage, lowerRole, type EnvironmentMode, type Permission, type Role } from "./policy";

/** The caller's effective role in an organization, or null when it is not theirs (or not their token's). */
export async function effectiveRole(ctx: ServiceCtx, orgId: string, db: DbOrTx = ctx.db): Promise<Role | null> {
  const { actor } = ctx;
  if (actor.token && actor.token.orgId !== orgId) return null;
  const [m] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, actor.userId)))
    .limit(1);
  if (!m) return null;
  // A token never carries more than its creator holds today.
  return actor.token ? lowerRole(actor.token.role, m.role) : m.role;
}

function check(role: Role | null, permission: Permission, what: string, mode?: EnvironmentMode): Role {
  // Outside the caller's organizations a resource does not exist, whatever it is.
  if (!role) throw notFound(what);
  if (!can(role, permission, { mode })) throw forbidden(denialMessage(role, permission, { mode }));
  return role;
}

export async function requireOrg(ctx: ServiceCtx, orgId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const role = check(await effectiveRole(ctx, orgId, db), permission, "organization");
  return { orgId, role };
}

export async function requireProject(ctx: ServiceCtx, projectId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [project] = await db.select().from(projects).where(eq(projects.id, projectId)).limit(1);
  if (!project) throw notFound("project");
  const role = check(await effectiveRole(ctx, project.orgId, db), permission, "project");
  return { project, role };
}

export async function requireEnvironment(ctx: ServiceCtx, environmentId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [row] = await db
    .select({ environment: environments, project: projects })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(eq(environments.id, environmentId))
    .limit(1);
  if (!row) throw notFound("environment");
  const role = check(await effectiveRole(ctx, row.project.orgId, db), permission, "environment", row.environment.mode);
  return { ...row, role };
}

export async function requireService(ctx: ServiceCtx, serviceId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [row] = await db
    .select({ service: services, environment: environments, project: projects })
    .from(services)
    .innerJoin(environments, eq(environments.id, services.environmentId))
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(eq(services.id, serviceId))
    .limit(1);
  if (!row) throw notFound("service");
  const role = check(await effectiveRole(ctx, row.project.orgId, db), permission, "service", row.environment.mode);
  return { ...row, role };
}
