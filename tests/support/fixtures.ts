import { apiTokens, environments, invitations, projects, services } from "@/db/schema";
import type { Db } from "@/db/client";
import { hashToken, newToken } from "@/server/auth/token-hash";
import type { EnvironmentMode, Role } from "@/server/policy/policy";
import type { ServiceSpec } from "@/server/services/service-spec";

let counter = 0;

/** A DNS-label-safe name, unique within the test process. */
export const uniq = (prefix: string) => `${prefix}-${++counter}`;

/** Rows written straight to the database: fixtures, not the behaviour under test. */
export async function makeProject(db: Db, orgId: string, name = uniq("proj")) {
  const [p] = await db.insert(projects).values({ orgId, name }).returning();
  return p;
}

export async function makeEnvironment(db: Db, projectId: string, mode: EnvironmentMode, name: string = mode) {
  const [e] = await db.insert(environments).values({ projectId, name, mode }).returning();
  return e;
}

export const webSpec = (): ServiceSpec => ({ source: { path: "./examples/hello-node" }, port: 8080, instances: { min: 1, max: 1 } });

export async function makeService(db: Db, environmentId: string, name = uniq("svc"), type: "application" | "worker" = "application") {
  const spec: ServiceSpec = type === "worker" ? { source: { path: "./examples/worker" }, instances: { min: 1, max: 1 } } : webSpec();
  const [s] = await db.insert(services).values({ environmentId, name, type, spec }).returning();
  return s;
}

/** A pending invitation and its clear link token. */
export async function makeInvitation(
  db: Db,
  opts: { orgId: string; email: string; role?: Exclude<Role, "owner">; invitedBy?: string; expiresAt?: Date },
) {
  const token = newToken("inv");
  const [row] = await db
    .insert(invitations)
    .values({
      orgId: opts.orgId,
      email: opts.email,
      role: opts.role ?? "viewer",
      tokenHash: hashToken(token),
      invitedBy: opts.invitedBy ?? null,
      expiresAt: opts.expiresAt ?? new Date(Date.now() + 24 * 3600 * 1000),
    })
    .returning();
  return { row, token };
}

/** An API token row and its clear value, as if created earlier through token.create. */
export async function makeToken(db: Db, opts: { orgId: string; userId: string; role: Role; name?: string }) {
  const token = newToken("slw");
  const [row] = await db
    .insert(apiTokens)
    .values({ orgId: opts.orgId, userId: opts.userId, role: opts.role, name: opts.name ?? uniq("token"), tokenHash: hashToken(token), prefix: token.slice(0, 10) })
    .returning();
  return { row, token };
}
