import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { environments, memberships, projects, services } from "@/db/schema";
import { perHandle } from "@/db/per-handle";
import { cachedAccessRead } from "./access-cache";
import { noteAccessCheck } from "./access-scope";
import type { Actor, DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { forbidden, notFound } from "@/server/errors/app-error";
import { can, denialMessage, lowerRole, type EnvironmentMode, type Permission, type Role } from "./policy";

/**
 * Each check is ONE query: the resource, its organization and the caller's membership there (a left
 * join — no membership row means "not yours"). Statements are prepared per database or transaction
 * handle, on first use: a check inside a transaction must read through that transaction. On PGlite,
 * a check outside a transaction is answered from access-cache.ts until one of those tables changes.
 */
const placeholder = { id: sql.placeholder("id"), userId: sql.placeholder("userId"), orgId: sql.placeholder("orgId") };
const callerIsMemberOf = (orgId: typeof projects.orgId) => and(eq(memberships.orgId, orgId), eq(memberships.userId, placeholder.userId));

const membershipQuery = perHandle((db: DbOrTx) =>
  db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, placeholder.orgId), eq(memberships.userId, placeholder.userId)))
    .limit(1)
    .prepare("slipway_access_membership"),
);

const projectQuery = perHandle((db: DbOrTx) =>
  db
    .select({ project: projects, memberRole: memberships.role })
    .from(projects)
    .leftJoin(memberships, callerIsMemberOf(projects.orgId))
    .where(eq(projects.id, placeholder.id))
    .limit(1)
    .prepare("slipway_access_project"),
);

const environmentQuery = perHandle((db: DbOrTx) =>
  db
    .select({ environment: environments, project: projects, memberRole: memberships.role })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .leftJoin(memberships, callerIsMemberOf(projects.orgId))
    .where(eq(environments.id, placeholder.id))
    .limit(1)
    .prepare("slipway_access_environment"),
);

const serviceQuery = perHandle((db: DbOrTx) =>
  db
    .select({ service: services, environment: environments, project: projects, memberRole: memberships.role })
    .from(services)
    .innerJoin(environments, eq(environments.id, services.environmentId))
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .leftJoin(memberships, callerIsMemberOf(projects.orgId))
    .where(eq(services.id, placeholder.id))
    .limit(1)
    .prepare("slipway_access_service"),
);

/** The role that counts, given the caller's membership (if any) in the organization that owns the resource. */
function roleIn(actor: Actor, orgId: string, memberRole: Role | null): Role | null {
  // A token opens only its own organization.
  if (actor.token && actor.token.orgId !== orgId) return null;
  if (!memberRole) return null;
  // A token never carries more than its creator holds today.
  return actor.token ? lowerRole(actor.token.role, memberRole) : memberRole;
}

/** The caller's effective role in an organization, or null when it is not theirs (or not their token's). */
export async function effectiveRole(ctx: ServiceCtx, orgId: string, db: DbOrTx = ctx.db): Promise<Role | null> {
  const { actor } = ctx;
  if (actor.token && actor.token.orgId !== orgId) return null;
  const [m] = await cachedAccessRead(db, `m:${orgId}:${actor.userId}`, () => membershipQuery(db).execute({ orgId, userId: actor.userId }));
  return roleIn(actor, orgId, m?.role ?? null);
}

function check(role: Role | null, permission: Permission, what: string, mode?: EnvironmentMode): Role {
  // Outside the caller's organizations a resource does not exist, whatever it is.
  if (!role) throw notFound(what);
  if (!can(role, permission, { mode })) throw forbidden(denialMessage(role, permission, { mode }));
  return role;
}

export async function requireOrg(ctx: ServiceCtx, orgId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const role = check(await effectiveRole(ctx, orgId, db), permission, "organization");
  noteAccessCheck({ kind: "org", id: orgId, permission, orgId });
  return { orgId, role };
}

export async function requireProject(ctx: ServiceCtx, projectId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [row] = await cachedAccessRead(db, `p:${projectId}:${ctx.actor.userId}`, () => projectQuery(db).execute({ id: projectId, userId: ctx.actor.userId }));
  if (!row) throw notFound("project");
  const { project, memberRole } = row;
  const role = check(roleIn(ctx.actor, project.orgId, memberRole), permission, "project");
  noteAccessCheck({ kind: "project", id: projectId, permission, orgId: project.orgId });
  return { project, role };
}

export async function requireEnvironment(ctx: ServiceCtx, environmentId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [row] = await cachedAccessRead(db, `e:${environmentId}:${ctx.actor.userId}`, () => environmentQuery(db).execute({ id: environmentId, userId: ctx.actor.userId }));
  if (!row) throw notFound("environment");
  const { environment, project, memberRole } = row;
  const role = check(roleIn(ctx.actor, project.orgId, memberRole), permission, "environment", environment.mode);
  noteAccessCheck({ kind: "environment", id: environmentId, permission, orgId: project.orgId });
  return { environment, project, role };
}

export async function requireService(ctx: ServiceCtx, serviceId: string, permission: Permission, db: DbOrTx = ctx.db) {
  const [row] = await cachedAccessRead(db, `s:${serviceId}:${ctx.actor.userId}`, () => serviceQuery(db).execute({ id: serviceId, userId: ctx.actor.userId }));
  if (!row) throw notFound("service");
  const { service, environment, project, memberRole } = row;
  const role = check(roleIn(ctx.actor, project.orgId, memberRole), permission, "service", environment.mode);
  noteAccessCheck({ kind: "service", id: serviceId, permission, orgId: project.orgId });
  return { service, environment, project, role };
}
