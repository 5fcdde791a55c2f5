import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { memberships, organizations, users } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { createCaller } from "@/server/api/root";
import type { Role } from "@/server/policy/policy";
import { routeHostname } from "@/server/engine/service-url";

let counter = 0;

/** A user row with a throwaway password hash (tests that sign in use createOwner instead). */
export async function makeUser(db: Db, email = `user${++counter}-${Date.now()}@example.test`) {
  const [u] = await db.insert(users).values({ email, name: email.split("@")[0], passwordHash: "x" }).returning();
  return u;
}

export async function makeOrg(db: Db, slug = `org-${++counter}`) {
  const [o] = await db.insert(organizations).values({ name: slug, slug }).returning();
  return o;
}

export async function addMember(db: Db, orgId: string, userId: string, role: Role) {
  await db.insert(memberships).values({ orgId, userId, role });
}

export const actorOf = (u: { id: string; email: string }): Actor => ({ userId: u.id, email: u.email, token: null });

/** A tRPC caller as a given actor (or anonymous), exactly as the HTTP handler would build it. */
export function callerFor(db: Db, actor: Actor | null, opts: { rejectedToken?: boolean } = {}) {
  return createCaller({ db, actor, meta: { source: actor?.token ? "api" : "ui", ip: "127.0.0.1" }, rejectedToken: opts.rejectedToken ?? false, sessionExpiresAt: null, response: { status: null } });
}

export async function userByEmail(db: Db, email: string) {
  const [u] = await db.select().from(users).where(eq(users.email, email));
  return u;
}

/** An owner with an org, project "shop" and environment "staging", and a caller acting as them. */
export async function makeEnvironment(h: { db: Db }, slug = `org-${Math.random().toString(36).slice(2, 8)}`) {
  const user = await makeUser(h.db);
  const api = callerFor(h.db, actorOf(user));
  const org = await api.organization.create({ name: slug, slug });
  const project = await api.project.create({ orgId: org.id, name: "shop" });
  const env = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
  /** Where the router serves one of this environment's services. */
  const hostname = (service: string) => routeHostname(service, { organizationSlug: org.slug, projectName: project.name, environmentName: env.name });
  return { user, api, org, project, env, hostname };
}
