/**
 * The audit log: every mutation writes exactly the expected events — who, what, which resource,
 * from where — and a refused mutation writes none; the list's filters and paging behave.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq, gt, max } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { auditEvents, deployments, memberships, serviceRuntime, services, users } from "@/db/schema";
import { hashPassword } from "@/server/users/password";
import type { DeploymentStatus, RunningStatus } from "@/server/engine/deployment-status";
import type { ServiceSpec } from "@/server/services/service-spec";
import type { Role } from "@/server/policy/policy";
import { createTestDb } from "../support/test-db";
import { makeOrg, makeUser } from "../support/actors";
import { callerFrom, type Caller } from "../support/context";
import { makeEnvironment, makeInvitation, makeProject, makeService, makeToken, uniq } from "../support/fixtures";
import { caught, type ErrorCode } from "../support/trpc-errors";
import { routerProcedures, type ProcedurePath } from "../support/router-paths";

let h: DbHandle;
type Person = { id: string; email: string };
let people: Record<"owner" | "admin" | "developer" | "viewer" | "target" | "joiner", Person>;

beforeAll(async () => {
  h = await createTestDb();
  const u = (name: string) => makeUser(h.db, `${name}-${Date.now()}@example.test`);
  people = { owner: await u("owner"), admin: await u("admin"), developer: await u("developer"), viewer: await u("viewer"), target: await u("target"), joiner: await u("joiner") };
  await h.db.update(users).set({ passwordHash: await hashPassword(OWNER_PASSWORD) }).where(eq(users.id, people.owner.id));
});
afterAll(async () => h?.close());

const IP = "198.51.100.7";
const OWNER_PASSWORD = "owner's long password";

/** A fresh organization with one member per role, a project with a staging and a production environment, and an admin's API token. */
async function freshWorld() {
  const db = h.db;
  const org = await makeOrg(db, uniq("org"));
  const roles: [keyof typeof people, Role][] = [["owner", "owner"], ["admin", "admin"], ["developer", "developer"], ["viewer", "viewer"], ["target", "developer"]];
  await db.insert(memberships).values(roles.map(([key, role]) => ({ orgId: org.id, userId: people[key].id, role })));
  const project = await makeProject(db, org.id, "shop");
  const staging = await makeEnvironment(db, project.id, "staging");
  const production = await makeEnvironment(db, project.id, "production");
  const web = await makeService(db, staging.id, "web");
  const prodWeb = await makeService(db, production.id, "web");
  const adminToken = await makeToken(db, { orgId: org.id, userId: people.admin.id, role: "admin", name: "admin-ci" });
  return { org, project, staging, production, web, prodWeb, adminToken };
}

const BUILD = { buildId: "b-1", dir: "/nonexistent/build", startCommand: "node server.js", revision: "abc1234" };

/** A past deployment of one service, with (or without) a kept build. */
async function pastDeployment(svc: { id: string; environmentId: string; name: string; type: "application" | "worker"; spec: ServiceSpec }, status: DeploymentStatus, withBuild = true) {
  const [d] = await h.db
    .insert(deployments)
    .values({
      environmentId: svc.environmentId,
      serviceId: svc.id,
      status,
      trigger: "ui",
      snapshot: { services: [{ id: svc.id, name: svc.name, type: svc.type, spec: svc.spec }] },
      requestKey: uniq("req"),
      builds: withBuild ? { [svc.id]: BUILD } : {},
    })
    .returning();
  return d;
}

/** Marks a service as observed in `status`, running the kept build. */
async function observed(serviceId: string, status: RunningStatus) {
  await h.db.insert(serviceRuntime).values({ serviceId, status, buildId: BUILD.buildId, buildDir: BUILD.dir, startCommand: BUILD.startCommand, revision: BUILD.revision });
}
type World = Awaited<ReturnType<typeof freshWorld>>;

type Via = "owner" | "developer" | "viewer" | "joiner" | "token" | "cli" | "cliSignIn";

/** The caller, and the actor fields every event it causes must carry. */
async function callerVia(w: World, via: Via) {
  if (via === "cliSignIn") {
    // Nobody signed in yet: the CLI sends the owner's email and password (cli.login), from the CLI.
    const api = await callerFrom(h.db, { ip: IP, client: "cli" });
    return { api, actor: { actorUserId: people.owner.id, actorTokenId: null, actorLabel: people.owner.email, source: "cli", ip: IP } };
  }
  if (via === "token" || via === "cli") {
    // `ip`: the address the console's entry resolved (socket, or trusted proxy: tests/integration/client-address.test.ts).
    const api = await callerFrom(h.db, { bearer: w.adminToken.token, ip: IP, client: via === "cli" ? "cli" : undefined });
    return { api, actor: { actorUserId: people.admin.id, actorTokenId: w.adminToken.row.id, actorLabel: `${people.admin.email} (token)`, source: via === "cli" ? "cli" : "api", ip: IP } };
  }
  const p = people[via];
  const api = await callerFrom(h.db, { session: p, ip: IP });
  return { api, actor: { actorUserId: p.id, actorTokenId: null, actorLabel: p.email, source: "ui", ip: IP } };
}

type Expected = { orgId: string | null; action: string; resourceType: string; resourceId: string | null; resourceName: string; metadata?: Record<string, unknown> };

type Row = {
  path: ProcedurePath;
  variant?: string;
  via: Via;
  /** Makes the change; returns the events it must have written, built from what it returned. */
  run: (api: Caller, w: World) => Promise<Expected[]>;
  /** The same procedure, refused: it must write nothing. */
  refused: { via: Via; code: ErrorCode; call: (api: Caller, w: World) => Promise<unknown> };
};

const TABLE: Row[] = [
  {
    path: "organization.create",
    via: "owner",
    run: async (api) => {
      const o = await api.organization.create({ name: "Second", slug: uniq("second") });
      return [{ orgId: o.id, action: "organization.create", resourceType: "organization", resourceId: o.id, resourceName: o.slug }];
    },
    refused: { via: "owner", code: "CONFLICT", call: (api, w) => api.organization.create({ name: "Dup", slug: w.org.slug }) },
  },
  {
    path: "organization.update",
    via: "token",
    run: async (api, w) => {
      await api.organization.update({ orgId: w.org.id, name: "Renamed" });
      return [{ orgId: w.org.id, action: "organization.update", resourceType: "organization", resourceId: w.org.id, resourceName: w.org.slug, metadata: { fields: ["name"] } }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.organization.update({ orgId: w.org.id, name: "Nope" }) },
  },
  {
    path: "member.updateRole",
    via: "owner",
    run: async (api, w) => {
      await api.member.updateRole({ orgId: w.org.id, userId: people.target.id, role: "viewer" });
      return [{ orgId: w.org.id, action: "member.update_role", resourceType: "member", resourceId: people.target.id, resourceName: people.target.email, metadata: { role: { from: "developer", to: "viewer" } } }];
    },
    refused: { via: "token", code: "FORBIDDEN", call: (api, w) => api.member.updateRole({ orgId: w.org.id, userId: people.owner.id, role: "viewer" }) },
  },
  {
    path: "member.remove",
    via: "cli",
    run: async (api, w) => {
      await api.member.remove({ orgId: w.org.id, userId: people.target.id });
      return [{ orgId: w.org.id, action: "member.remove", resourceType: "member", resourceId: people.target.id, resourceName: people.target.email }];
    },
    refused: { via: "owner", code: "FORBIDDEN", call: (api, w) => api.member.remove({ orgId: w.org.id, userId: people.owner.id }) },
  },
  {
    path: "member.transferOwnership",
    via: "owner",
    run: async (api, w) => {
      await api.member.transferOwnership({ orgId: w.org.id, userId: people.target.id });
      return [{ orgId: w.org.id, action: "member.transfer_ownership", resourceType: "member", resourceId: people.target.id, resourceName: people.target.email }];
    },
    // Not a member: refused inside the transaction, after the owner's own row was read.
    refused: { via: "owner", code: "NOT_FOUND", call: (api, w) => api.member.transferOwnership({ orgId: w.org.id, userId: people.joiner.id }) },
  },
  {
    path: "invitation.create",
    via: "token",
    run: async (api, w) => {
      const inv = await api.invitation.create({ orgId: w.org.id, email: "new@example.test", role: "developer" });
      return [{ orgId: w.org.id, action: "invitation.create", resourceType: "invitation", resourceId: inv.id, resourceName: "new@example.test", metadata: { role: "developer" } }];
    },
    refused: {
      via: "owner",
      code: "CONFLICT",
      call: async (api, w) => {
        await makeInvitation(h.db, { orgId: w.org.id, email: "pending@example.test" });
        return api.invitation.create({ orgId: w.org.id, email: "pending@example.test", role: "viewer" });
      },
    },
  },
  {
    path: "invitation.revoke",
    via: "owner",
    run: async (api, w) => {
      const { row } = await makeInvitation(h.db, { orgId: w.org.id, email: "gone@example.test" });
      await api.invitation.revoke({ invitationId: row.id });
      return [{ orgId: w.org.id, action: "invitation.revoke", resourceType: "invitation", resourceId: row.id, resourceName: "gone@example.test" }];
    },
    refused: {
      via: "developer",
      code: "FORBIDDEN",
      call: async (api, w) => api.invitation.revoke({ invitationId: (await makeInvitation(h.db, { orgId: w.org.id, email: "stays@example.test" })).row.id }),
    },
  },
  {
    path: "invitation.accept",
    via: "joiner",
    run: async (api, w) => {
      const { token } = await makeInvitation(h.db, { orgId: w.org.id, email: people.joiner.email, role: "developer" });
      await api.invitation.accept({ token });
      return [{ orgId: w.org.id, action: "invitation.accept", resourceType: "member", resourceId: people.joiner.id, resourceName: people.joiner.email, metadata: { role: "developer" } }];
    },
    refused: {
      via: "joiner",
      code: "FORBIDDEN",
      call: async (api, w) => api.invitation.accept({ token: (await makeInvitation(h.db, { orgId: w.org.id, email: "someone-else@example.test" })).token }),
    },
  },
  {
    path: "project.create",
    via: "owner",
    run: async (api, w) => {
      const p = await api.project.create({ orgId: w.org.id, name: "blog" });
      return [{ orgId: w.org.id, action: "project.create", resourceType: "project", resourceId: p.id, resourceName: "blog" }];
    },
    refused: { via: "owner", code: "CONFLICT", call: (api, w) => api.project.create({ orgId: w.org.id, name: "shop" }) },
  },
  {
    path: "project.update",
    via: "cli",
    run: async (api, w) => {
      await api.project.update({ projectId: w.project.id, description: "the shop" });
      return [{ orgId: w.org.id, action: "project.update", resourceType: "project", resourceId: w.project.id, resourceName: "shop", metadata: { fields: ["description"] } }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.project.update({ projectId: w.project.id, description: "no" }) },
  },
  {
    path: "project.delete",
    via: "owner",
    run: async (api, w) => {
      await api.project.delete({ projectId: w.project.id });
      return [{ orgId: w.org.id, action: "project.delete", resourceType: "project", resourceId: w.project.id, resourceName: "shop" }];
    },
    refused: { via: "viewer", code: "FORBIDDEN", call: (api, w) => api.project.delete({ projectId: w.project.id }) },
  },
  {
    path: "environment.create",
    via: "token",
    run: async (api, w) => {
      const e = await api.environment.create({ projectId: w.project.id, name: "qa", mode: "preview" });
      return [{ orgId: w.org.id, action: "environment.create", resourceType: "environment", resourceId: e.id, resourceName: "shop/qa", metadata: { mode: "preview" } }];
    },
    refused: { via: "owner", code: "CONFLICT", call: (api, w) => api.environment.create({ projectId: w.project.id, name: "staging", mode: "staging" }) },
  },
  {
    path: "environment.update",
    via: "owner",
    run: async (api, w) => {
      await api.environment.update({ environmentId: w.staging.id, mode: "development" });
      return [{ orgId: w.org.id, action: "environment.update", resourceType: "environment", resourceId: w.staging.id, resourceName: "shop/staging", metadata: { mode: { from: "staging", to: "development" } } }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.environment.update({ environmentId: w.staging.id, mode: "production" }) },
  },
  {
    path: "environment.delete",
    via: "owner",
    run: async (api, w) => {
      await api.environment.delete({ environmentId: w.production.id });
      return [{ orgId: w.org.id, action: "environment.delete", resourceType: "environment", resourceId: w.production.id, resourceName: "shop/production" }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.environment.delete({ environmentId: w.staging.id }) },
  },
  {
    path: "service.create",
    via: "developer",
    run: async (api, w) => {
      // A git source: a developer may not choose a folder on the console's machine.
      const s = await api.service.create({ environmentId: w.staging.id, name: "api", type: "worker", spec: { source: { git: "https://example.test/worker.git" } } });
      return [{ orgId: w.org.id, action: "service.create", resourceType: "service", resourceId: s.id, resourceName: "shop/staging/api", metadata: { type: "worker" } }];
    },
    // Refused after the access check, before the transaction.
    refused: { via: "developer", code: "BAD_REQUEST", call: (api, w) => api.service.create({ environmentId: w.staging.id, name: "bg", type: "worker", spec: { source: { path: "./w" }, port: 80 } }) },
  },
  {
    path: "service.update",
    variant: "production, by token",
    via: "token",
    run: async (api, w) => {
      await api.service.update({ serviceId: w.prodWeb.id, spec: { source: { path: "./examples/hello-node" }, port: 9000, instances: { min: 2, max: 3 } } });
      return [{ orgId: w.org.id, action: "service.update", resourceType: "service", resourceId: w.prodWeb.id, resourceName: "shop/production/web", metadata: { fields: ["instances", "port"] } }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.service.update({ serviceId: w.prodWeb.id, spec: { source: { path: "./x" } } }) },
  },
  {
    path: "service.delete",
    via: "developer",
    run: async (api, w) => {
      await api.service.delete({ serviceId: w.web.id });
      return [{ orgId: w.org.id, action: "service.delete", resourceType: "service", resourceId: w.web.id, resourceName: "shop/staging/web" }];
    },
    refused: { via: "viewer", code: "FORBIDDEN", call: (api, w) => api.service.delete({ serviceId: w.web.id }) },
  },
  {
    path: "token.create",
    via: "viewer",
    run: async (api, w) => {
      const t = await api.token.create({ orgId: w.org.id, name: "laptop", role: "viewer" });
      return [{ orgId: w.org.id, action: "token.create", resourceType: "token", resourceId: t.id, resourceName: "laptop", metadata: { role: "viewer" } }];
    },
    refused: { via: "viewer", code: "BAD_REQUEST", call: (api, w) => api.token.create({ orgId: w.org.id, name: "sneaky", role: "developer" }) },
  },
  {
    path: "token.revoke",
    via: "owner",
    run: async (api, w) => {
      await api.token.revoke({ tokenId: w.adminToken.row.id });
      return [{ orgId: w.org.id, action: "token.revoke", resourceType: "token", resourceId: w.adminToken.row.id, resourceName: "admin-ci" }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.token.revoke({ tokenId: w.adminToken.row.id }) },
  },
  {
    path: "deployment.create",
    via: "developer",
    run: async (api, w) => {
      const d = await api.deployment.create({ environmentId: w.staging.id });
      return [{ orgId: w.org.id, action: "deployment.deploy", resourceType: "deployment", resourceId: d.id, resourceName: "shop/staging", metadata: { services: ["web"] } }];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.deployment.create({ environmentId: w.production.id }) },
  },
  {
    path: "deployment.cancel",
    via: "token",
    run: async (api, w) => {
      const d = await pastDeployment(w.prodWeb, "QUEUED");
      await api.deployment.cancel({ deploymentId: d.id });
      return [{ orgId: w.org.id, action: "deployment.cancel", resourceType: "deployment", resourceId: d.id, resourceName: "shop/production" }];
    },
    refused: { via: "owner", code: "CONFLICT", call: async (api, w) => api.deployment.cancel({ deploymentId: (await pastDeployment(w.web, "DEPLOYED")).id }) },
  },
  {
    path: "deployment.rollback",
    via: "owner",
    run: async (api, w) => {
      const d = await pastDeployment(w.prodWeb, "DEPLOYED");
      const r = await api.deployment.rollback({ deploymentId: d.id });
      return [{ orgId: w.org.id, action: "deployment.rollback", resourceType: "deployment", resourceId: r.id, resourceName: "shop/production/web", metadata: { services: ["web"], rollbackOf: d.id } }];
    },
    refused: { via: "owner", code: "CONFLICT", call: async (api, w) => api.deployment.rollback({ deploymentId: (await pastDeployment(w.web, "BUILD_ERROR", false)).id }) },
  },
  {
    path: "runtime.stop",
    via: "developer",
    run: async (api, w) => {
      await observed(w.web.id, "RUNNING");
      await api.runtime.stop({ serviceId: w.web.id });
      return [{ orgId: w.org.id, action: "service.stop", resourceType: "service", resourceId: w.web.id, resourceName: "shop/staging/web" }];
    },
    refused: { via: "owner", code: "CONFLICT", call: (api, w) => api.runtime.stop({ serviceId: w.web.id }) },
  },
  {
    path: "runtime.start",
    via: "cli",
    run: async (api, w) => {
      await observed(w.prodWeb.id, "STOPPED");
      const d = await api.runtime.start({ serviceId: w.prodWeb.id });
      return [{ orgId: w.org.id, action: "deployment.start", resourceType: "deployment", resourceId: d.id, resourceName: "shop/production/web", metadata: { services: ["web"] } }];
    },
    refused: {
      via: "developer",
      code: "FORBIDDEN",
      call: async (api, w) => {
        await observed(w.prodWeb.id, "STOPPED");
        return api.runtime.start({ serviceId: w.prodWeb.id });
      },
    },
  },
  {
    path: "runtime.restart",
    via: "developer",
    run: async (api, w) => {
      await observed(w.web.id, "RUNNING");
      const d = await api.runtime.restart({ serviceId: w.web.id });
      return [{ orgId: w.org.id, action: "deployment.restart", resourceType: "deployment", resourceId: d.id, resourceName: "shop/staging/web", metadata: { services: ["web"] } }];
    },
    refused: {
      via: "viewer",
      code: "FORBIDDEN",
      call: async (api, w) => {
        await observed(w.web.id, "RUNNING");
        return api.runtime.restart({ serviceId: w.web.id });
      },
    },
  },
  {
    path: "cli.login",
    via: "cliSignIn",
    run: async (api, w) => {
      const r = await api.cli.login({ email: people.owner.email, password: OWNER_PASSWORD, org: w.org.slug, hostname: "laptop" });
      return [{ orgId: w.org.id, action: "token.create", resourceType: "token", resourceId: r.tokenId, resourceName: "cli@laptop", metadata: { role: "owner" } }];
    },
    refused: { via: "cliSignIn", code: "UNAUTHORIZED", call: (api, w) => api.cli.login({ email: people.owner.email, password: "not the password", org: w.org.slug }) },
  },
  {
    path: "manifest.applyManifest",
    via: "developer",
    run: async (api, w) => {
      // The service's source as a manifest must give it (absolute), so that only the port changes.
      await h.db.update(services).set({ spec: { ...w.web.spec, source: { path: "/srv/hello-node" } } }).where(eq(services.id, w.web.id));
      const manifest = { project: "shop", environment: "staging", mode: "staging", services: [{ name: "web", type: "application", source: { path: "/srv/hello-node" }, port: 9999 }] };
      await api.manifest.applyManifest({ orgId: w.org.id, manifest });
      return [{ orgId: w.org.id, action: "service.update", resourceType: "service", resourceId: w.web.id, resourceName: "shop/staging/web", metadata: { fields: ["port"], via: "manifest" } }];
    },
    // One refused change refuses the whole manifest: the staging project is untouched too.
    refused: {
      via: "developer",
      code: "FORBIDDEN",
      call: (api, w) =>
        api.manifest.applyManifest({ orgId: w.org.id, manifest: { project: "shop", environment: "production", mode: "production", services: [{ name: "web", source: { path: "/srv/x" }, port: 1234 }] } }),
    },
  },
  // Variables: names and flags in the metadata, never values (a secret's least of all).
  {
    path: "variable.set",
    via: "developer",
    run: async (api, w) => {
      const v = await api.variable.set({ scope: { serviceId: w.web.id }, name: "API_SECRET", kind: "secret", value: "never-in-the-audit-log" });
      return [
        {
          orgId: w.org.id,
          action: "variable.set",
          resourceType: "variable",
          resourceId: v.id,
          resourceName: "shop/staging/web:API_SECRET",
          metadata: { name: "API_SECRET", kind: "secret", scope: "service", availability: "runtime", asFile: false, change: "create" },
        },
      ];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.variable.set({ scope: { serviceId: w.prodWeb.id }, name: "X", kind: "value", value: "1" }) },
  },
  {
    path: "variable.unset",
    via: "token",
    run: async (api, w) => {
      const v = await api.variable.set({ scope: { projectId: w.project.id }, name: "OLD", kind: "value", value: "1" });
      await api.variable.unset({ scope: { projectId: w.project.id }, name: "OLD" });
      return [
        { orgId: w.org.id, action: "variable.set", resourceType: "variable", resourceId: v.id, resourceName: "shop:OLD", metadata: { name: "OLD", kind: "value", scope: "project", availability: "runtime", asFile: false, change: "create" } },
        { orgId: w.org.id, action: "variable.unset", resourceType: "variable", resourceId: v.id, resourceName: "shop:OLD", metadata: { name: "OLD", scope: "project", kind: "value" } },
      ];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.variable.unset({ scope: { projectId: w.project.id }, name: "OLD" }) },
  },
  {
    path: "variable.import",
    via: "developer",
    run: async (api, w) => {
      await api.variable.import({ scope: { environmentId: w.staging.id }, text: "B=2\nA=1\n", mode: "merge", overwriteSecrets: [] });
      return [
        {
          orgId: w.org.id,
          action: "variable.import",
          resourceType: "variable",
          resourceId: null,
          resourceName: "shop/staging",
          metadata: { scope: "environment", mode: "merge", created: ["A", "B"], updated: [], removed: [], skipped: [] },
        },
      ];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.variable.import({ scope: { environmentId: w.production.id }, text: "A=1\n", mode: "merge", overwriteSecrets: [] }) },
  },
  {
    path: "variable.rotateKey",
    via: "owner",
    run: async (api, w) => {
      // An explicit key: the test must not write a key file into the developer's data folder.
      process.env.SLIPWAY_MASTER_KEY ??= "0f".repeat(32);
      const r = await api.variable.rotateKey({ orgId: w.org.id });
      return [
        {
          orgId: w.org.id,
          action: "secrets.rotate_key",
          resourceType: "master_key",
          resourceId: null,
          resourceName: r.keyId,
          metadata: { keyId: r.keyId, previousKeyIds: r.previousKeyIds, secrets: r.secrets, deploymentSets: r.deploymentSets },
        },
      ];
    },
    refused: { via: "developer", code: "FORBIDDEN", call: (api, w) => api.variable.rotateKey({ orgId: w.org.id }) },
  },
];

async function lastSeq(): Promise<number> {
  const [{ seq }] = await h.db.select({ seq: max(auditEvents.seq) }).from(auditEvents);
  return seq ?? 0;
}
const eventsAfter = (seq: number) => h.db.select().from(auditEvents).where(gt(auditEvents.seq, seq)).orderBy(asc(auditEvents.seq));

describe("audit events of mutations", () => {
  it("has a row for every mutation of the router", () => {
    const mutations = routerProcedures().filter((p) => p.type === "mutation").map((p) => p.path);
    const covered = new Set(TABLE.map((r) => r.path));
    expect(mutations.filter((p) => !covered.has(p as ProcedurePath))).toEqual([]);
  });

  for (const r of TABLE) {
    it(`${r.path}${r.variant ? ` [${r.variant}]` : ""}: one event naming actor, action, resource, source and ip`, async () => {
      const w = await freshWorld();
      const { api, actor } = await callerVia(w, r.via);
      const before = await lastSeq();
      const expected = await r.run(api, w);
      const events = await eventsAfter(before);
      expect(events).toEqual(expected.map((e) => expect.objectContaining({ ...actor, ...e, metadata: e.metadata ?? {} })));
      expect(events.every((e) => e.createdAt instanceof Date && Math.abs(Date.now() - e.createdAt.getTime()) < 60_000)).toBe(true);
    });

    it(`${r.path}: refused (${r.refused.code}) writes no event`, async () => {
      const w = await freshWorld();
      const { api } = await callerVia(w, r.refused.via);
      const before = await lastSeq();
      expect((await caught(r.refused.call(api, w))).code).toBe(r.refused.code);
      expect(await eventsAfter(before)).toEqual([]);
    });
  }
});

describe("audit.list", () => {
  let w: World;
  let api: Caller;
  let all: Awaited<ReturnType<Caller["audit"]["list"]>>["items"];
  const T0 = new Date("2030-01-01T00:00:00Z").getTime();
  const minute = (n: number) => new Date(T0 + n * 60_000);

  beforeAll(async () => {
    w = await freshWorld();
    const owner = (await callerVia(w, "owner")).api;
    const token = (await callerVia(w, "token")).api;
    await owner.organization.update({ orgId: w.org.id, name: "Acme" });
    for (const name of ["alpha", "beta", "gamma"]) await owner.project.create({ orgId: w.org.id, name });
    await token.environment.create({ projectId: w.project.id, name: "qa", mode: "staging" });
    await token.service.create({ environmentId: w.staging.id, name: "api", type: "application", spec: { source: { path: "./examples/x" } } });
    await token.project.update({ projectId: w.project.id, description: "changed" });
    await owner.token.create({ orgId: w.org.id, name: "ci", role: "viewer" });
    // Another organization's events must never show up.
    const other = await freshWorld();
    await (await callerVia(other, "owner")).api.project.create({ orgId: other.org.id, name: "elsewhere" });
    // One event a minute, in order, so time ranges are exact.
    const rows = await h.db.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.orgId, w.org.id)).orderBy(asc(auditEvents.seq));
    for (const [i, row] of rows.entries()) await h.db.update(auditEvents).set({ createdAt: minute(i) }).where(eq(auditEvents.id, row.id));
    api = owner;
    all = (await api.audit.list({ orgId: w.org.id, limit: 200 })).items;
  });

  it("lists the organization's events, newest first, with who, what and from where", () => {
    expect(all.map((e) => e.action)).toEqual([
      "token.create",
      "project.update",
      "service.create",
      "environment.create",
      "project.create",
      "project.create",
      "project.create",
      "organization.update",
    ]);
    expect(all[0]).toMatchObject({ actor: people.owner.email, source: "ui", ip: IP, resourceType: "token", resourceName: "ci" });
    expect(all[1]).toMatchObject({ actor: `${people.admin.email} (token)`, source: "api", ip: IP, resourceName: "shop" });
  });

  it("filters by actor (part of the label, any case), action prefix, resource type and time", async () => {
    const list = async (f: Partial<Parameters<Caller["audit"]["list"]>[0]>) => (await api.audit.list({ orgId: w.org.id, limit: 200, ...f })).items.map((e) => e.seq);
    const seqs = (pred: (e: (typeof all)[number]) => boolean) => all.filter(pred).map((e) => e.seq);

    expect(await list({ actor: people.owner.email.split("@")[0].toUpperCase() })).toEqual(seqs((e) => e.actor === people.owner.email));
    expect(await list({ actor: "(token)" })).toEqual(seqs((e) => e.actor.endsWith("(token)")));
    expect(await list({ actor: "%" })).toEqual([]);
    expect(await list({ action: "project." })).toEqual(seqs((e) => e.action.startsWith("project.")));
    expect(await list({ action: "project.c" })).toHaveLength(3);
    // A prefix, not a substring; and LIKE wildcards are taken literally.
    expect(await list({ action: "create" })).toEqual([]);
    expect(await list({ action: "_roject" })).toEqual([]);
    expect(await list({ resourceType: "environment" })).toEqual(seqs((e) => e.resourceType === "environment"));
    expect(await list({ actor: "(token)", action: "project." })).toEqual(seqs((e) => e.actor.endsWith("(token)") && e.action.startsWith("project.")));
    // Both ends inclusive: events at minutes 2, 3 and 4.
    expect(await list({ from: minute(2), to: minute(4) })).toEqual(seqs((e) => e.createdAt >= minute(2) && e.createdAt <= minute(4)));
    expect(await list({ from: minute(2), to: minute(4) })).toHaveLength(3);
    expect(await list({ from: minute(7) })).toHaveLength(1);
    expect(await list({ to: minute(0) })).toHaveLength(1);
  });

  it("pages with before / nextBefore without gaps or repeats", async () => {
    const pages: number[][] = [];
    let before: number | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = await api.audit.list({ orgId: w.org.id, limit: 3, before });
      pages.push(page.items.map((e) => e.seq));
      if (page.nextBefore === null) break;
      expect(page.nextBefore).toBe(page.items[page.items.length - 1].seq);
      before = page.nextBefore;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat()).toEqual(all.map((e) => e.seq));
    // An exact multiple of the page size ends with nextBefore null, not an empty page.
    const exact = await api.audit.list({ orgId: w.org.id, limit: all.length });
    expect(exact.nextBefore).toBeNull();
    // Paging within a filter.
    const first = await api.audit.list({ orgId: w.org.id, action: "project.", limit: 2 });
    const second = await api.audit.list({ orgId: w.org.id, action: "project.", limit: 2, before: first.nextBefore ?? undefined });
    expect([...first.items, ...second.items].map((e) => e.seq)).toEqual(all.filter((e) => e.action.startsWith("project.")).map((e) => e.seq));
    expect(second.nextBefore).toBeNull();
  });

  it("refuses `from` after `to` as a BAD_REQUEST naming `to`", async () => {
    const e = await caught(api.audit.list({ orgId: w.org.id, from: minute(5), to: minute(1) }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.fieldErrors).toHaveProperty(["to"]);
    expect(e.message).toMatch(/^to: /);
  });

  it("is readable by a viewer, and not at all outside the organization", async () => {
    const viewerApi = (await callerVia(w, "viewer")).api;
    expect((await viewerApi.audit.list({ orgId: w.org.id, limit: 200 })).items.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    const outsider = await callerFrom(h.db, { session: people.joiner });
    expect((await caught(outsider.audit.list({ orgId: w.org.id }))).code).toBe("NOT_FOUND");
    const [stray] = await h.db.select().from(auditEvents).where(eq(auditEvents.resourceName, "elsewhere"));
    expect(all.map((e) => e.id)).not.toContain(stray.id);
  });
});
