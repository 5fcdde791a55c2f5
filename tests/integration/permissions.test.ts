/**
 * Every procedure of the appRouter, called by every kind of caller. The expected outcome comes
 * from the minimum role written in the table below — not from the policy module — so a wrong
 * policy, a missing access check or a leak across organizations fails here.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { apiTokens, deployments, memberships, metricSamples, organizations, serviceRuntime, users } from "@/db/schema";
import { hashPassword } from "@/server/users/password";
import type { DeploymentStatus, RunningStatus } from "@/server/engine/deployment-status";
import { hashToken, newToken } from "@/server/auth/token-hash";
import type { Role } from "@/server/policy/policy";
import { createTestDb } from "../support/test-db";
import { addMember, makeOrg, makeUser } from "../support/actors";
import { callerFrom, type Caller } from "../support/context";
import { makeEnvironment, makeInvitation, makeProject, makeService, makeToken, uniq } from "../support/fixtures";
import { auditCount } from "../support/db-snapshot";
import { storeChunks } from "@/server/logs/store-chunks";
import { outcomeOf, outcomeOfSubscription, type Outcome } from "../support/trpc-errors";
import { callPath, routerProcedures, type InputOf, type ProcedurePath } from "../support/router-paths";

// ---------------------------------------------------------------------------------------------
// Callers

type ActorKey =
  | "owner"
  | "admin"
  | "developer"
  | "viewer"
  | "outsider"
  | "tokenBelowCreator"
  | "tokenAboveCreator"
  | "tokenOtherOrg"
  | "anonymous"
  | "rejectedToken";

/**
 * How each caller stands towards organization A (where every fixture lives): `kind` is how they
 * call (session, API token, nobody, a bad token); `role` their effective role in A (null: not theirs).
 */
const ACTORS: Record<ActorKey, { kind: "person" | "token" | "anonymous" | "rejected"; role: Role | null }> = {
  owner: { kind: "person", role: "owner" },
  admin: { kind: "person", role: "admin" },
  developer: { kind: "person", role: "developer" },
  viewer: { kind: "person", role: "viewer" },
  // Owner of organization B, not a member of A.
  outsider: { kind: "person", role: null },
  // Created by A's admin with the developer role: acts as a developer.
  tokenBelowCreator: { kind: "token", role: "developer" },
  // An admin token whose creator is now only a viewer in A: acts as a viewer.
  tokenAboveCreator: { kind: "token", role: "viewer" },
  // Scoped to organization B; its creator is an admin of A, which the token must not reach.
  tokenOtherOrg: { kind: "token", role: null },
  anonymous: { kind: "anonymous", role: null },
  rejectedToken: { kind: "rejected", role: null },
};

// ---------------------------------------------------------------------------------------------
// The table

/**
 * - public: anyone, signed in or not.
 * - account: any authenticated caller, not tied to an organization. `who`: "everyone" (tokens too),
 *   "people" (signed-in people only; API tokens are FORBIDDEN) or "no-one" (FORBIDDEN to all).
 * - org: a resource in organization A. `min` is the least role allowed; null means no role may.
 *   Outside A the resource does not exist (NOT_FOUND).
 */
type Access = { kind: "public" } | { kind: "account"; who: "everyone" | "people" | "no-one" } | { kind: "org"; min: Role | null };

type Path = ProcedurePath;

type Fixture = Awaited<ReturnType<typeof freshFixture>>;
type Row<P extends Path = Path> = {
  path: P;
  variant?: string;
  access: Access;
  /** Builds the call's input (and any row it needs) for one caller; `who` is the calling user (for "own" resources). */
  input: (f: Fixture, who: { userId: string; email: string }) => Promise<InputOf<P>>;
};
const row = <P extends Path>(r: Row<P>): Row => r;

const viewer = { kind: "org", min: "viewer" } as const;
const developer = { kind: "org", min: "developer" } as const;
const admin = { kind: "org", min: "admin" } as const;
const owner = { kind: "org", min: "owner" } as const;
const noRole = { kind: "org", min: null } as const;

const TABLE: Row[] = [
  row({ path: "viewer.me", access: { kind: "public" }, input: async () => undefined }),

  row({ path: "organization.list", access: { kind: "account", who: "everyone" }, input: async () => undefined }),
  row({ path: "organization.get", access: viewer, input: async (f) => ({ slug: f.org.slug }) }),
  row({ path: "organization.create", access: { kind: "account", who: "people" }, input: async () => ({ name: "New org", slug: uniq("neworg") }) }),
  row({ path: "organization.update", access: admin, input: async (f) => ({ orgId: f.org.id, name: "Renamed" }) }),

  row({ path: "member.list", access: viewer, input: async (f) => ({ orgId: f.org.id }) }),
  row({ path: "member.updateRole", access: admin, input: async (f) => ({ orgId: f.org.id, userId: f.users.target.id, role: "viewer" }) }),
  row({ path: "member.updateRole", variant: "the owner", access: noRole, input: async (f) => ({ orgId: f.org.id, userId: f.users.owner.id, role: "admin" }) }),
  row({ path: "member.remove", access: admin, input: async (f) => ({ orgId: f.org.id, userId: f.users.target.id }) }),
  row({ path: "member.remove", variant: "the owner", access: noRole, input: async (f) => ({ orgId: f.org.id, userId: f.users.owner.id }) }),
  row({ path: "member.transferOwnership", access: owner, input: async (f) => ({ orgId: f.org.id, userId: f.users.target.id }) }),

  row({ path: "invitation.list", access: admin, input: async (f) => ({ orgId: f.org.id }) }),
  row({ path: "invitation.create", access: admin, input: async (f) => ({ orgId: f.org.id, email: `${uniq("invitee")}@example.test`, role: "developer" }) }),
  row({
    path: "invitation.revoke",
    access: admin,
    input: async (f) => ({ invitationId: (await makeInvitation(f.db, { orgId: f.org.id, email: `${uniq("inv")}@example.test` })).row.id }),
  }),
  // The link is the credential.
  row({
    path: "invitation.lookup",
    access: { kind: "public" },
    input: async (f) => ({ token: (await makeInvitation(f.db, { orgId: f.org.id, email: `${uniq("inv")}@example.test` })).token }),
  }),
  // An invitation to organization C addressed to the caller: a person accepts it, a token may not.
  row({
    path: "invitation.accept",
    variant: "addressed to the caller",
    access: { kind: "account", who: "people" },
    input: async (f, who) => ({ token: (await makeInvitation(f.db, { orgId: f.inviteOrg.id, email: who.email })).token }),
  }),
  row({
    path: "invitation.accept",
    variant: "addressed to someone else",
    access: { kind: "account", who: "no-one" },
    input: async (f) => ({ token: (await makeInvitation(f.db, { orgId: f.inviteOrg.id, email: `${uniq("someone")}@example.test` })).token }),
  }),

  row({ path: "project.list", access: viewer, input: async (f) => ({ orgId: f.org.id }) }),
  row({ path: "project.get", access: viewer, input: async (f) => ({ orgId: f.org.id, name: (await f.project()).name }) }),
  row({ path: "project.create", access: admin, input: async (f) => ({ orgId: f.org.id, name: uniq("newproj") }) }),
  row({ path: "project.update", access: admin, input: async (f) => ({ projectId: (await f.project()).id, description: "changed" }) }),
  row({ path: "project.delete", access: admin, input: async (f) => ({ projectId: (await f.project()).id }) }),

  row({ path: "environment.list", access: viewer, input: async (f) => ({ projectId: (await f.project()).id }) }),
  row({ path: "environment.get", access: viewer, input: async (f) => ({ projectId: (await f.environment("production")).projectId, name: "production" }) }),
  row({ path: "environment.create", variant: "staging", access: admin, input: async (f) => ({ projectId: (await f.project()).id, name: "staging", mode: "staging" }) }),
  row({ path: "environment.create", variant: "production", access: admin, input: async (f) => ({ projectId: (await f.project()).id, name: "prod", mode: "production" }) }),
  row({ path: "environment.update", access: admin, input: async (f) => ({ environmentId: (await f.environment("staging")).id, mode: "production" }) }),
  row({ path: "environment.delete", access: admin, input: async (f) => ({ environmentId: (await f.environment("staging")).id }) }),

  // Services: developers write outside production only; production is for admins and owners.
  row({ path: "service.list", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.environment("production")).id }) }),
  row({ path: "service.get", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.environment("production")).id, name: (await f.service("production")).name }) }),
  ...(["staging", "production"] as const).flatMap((mode) => {
    const write = mode === "production" ? admin : developer;
    return [
      row({
        path: "service.create",
        variant: mode,
        access: write,
        input: async (f) => ({ environmentId: (await f.environment(mode)).id, name: "api", type: "application", spec: { source: { git: "https://example.test/api.git", branch: "main" }, port: 3000 } }),
      }),
      row({ path: "service.update", variant: mode, access: write, input: async (f) => ({ serviceId: (await f.service(mode)).id, spec: { source: { path: "./examples/hello-node" }, port: 9090 } }) }),
      // A folder on the console's machine as a source: admins only, in every mode (developers use git).
      row({
        path: "service.create",
        variant: `${mode}, a path source`,
        access: admin,
        input: async (f) => ({ environmentId: (await f.environment(mode)).id, name: "api", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 3000 } }),
      }),
      row({ path: "service.update", variant: `${mode}, another path source`, access: admin, input: async (f) => ({ serviceId: (await f.service(mode)).id, spec: { source: { path: "./examples/static-site" }, port: 8080 } }) }),
      row({ path: "service.delete", variant: mode, access: write, input: async (f) => ({ serviceId: (await f.service(mode)).id }) }),
    ];
  }),

  row({ path: "token.list", access: viewer, input: async (f) => ({ orgId: f.org.id }) }),
  row({ path: "token.create", access: viewer, input: async (f) => ({ orgId: f.org.id, name: "ci", role: "viewer" }) }),
  // Any member revokes their own tokens; someone else's needs an admin.
  row({ path: "token.revoke", variant: "own token", access: viewer, input: async (f, who) => ({ tokenId: (await makeToken(f.db, { orgId: f.org.id, userId: who.userId, role: "viewer" })).row.id }) }),
  row({ path: "token.revoke", variant: "someone else's token", access: admin, input: async (f) => ({ tokenId: (await makeToken(f.db, { orgId: f.org.id, userId: f.users.target.id, role: "viewer" })).row.id }) }),

  row({ path: "audit.list", access: viewer, input: async (f) => ({ orgId: f.org.id }) }),

  // Deployments and the runtime: anyone in the organization watches; deploying and operating
  // services follows the service-write rule (developers outside production, admins everywhere).
  row({ path: "deployment.list", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.environment("production")).id }) }),
  row({ path: "deployment.get", variant: "production", access: viewer, input: async (f) => ({ deploymentId: (await f.deployment("production", "DEPLOYED")).id }) }),
  row({ path: "deployment.events", variant: "production", access: viewer, input: async (f) => ({ deploymentId: (await f.deployment("production", "DEPLOYED")).id }) }),
  row({ path: "deployment.watch", variant: "production", access: viewer, input: async (f) => ({ deploymentId: (await f.deployment("production", "DEPLOYED")).id }) }),
  row({ path: "runtime.status", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.service("production")).environmentId }) }),
  row({ path: "logs.history", variant: "production", access: viewer, input: async (f) => ({ serviceId: (await f.service("production")).id }) }),
  // Seeded with one stored line, so the stream's first value comes from the backfill.
  row({ path: "logs.watch", variant: "production", access: viewer, input: async (f) => ({ serviceId: (await f.logged("production")).id }) }),
  row({ path: "runtime.watchStatus", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.service("production")).environmentId }) }),
  // Metrics: anyone in the organization reads them. The live stream is seeded with one sample, so its first value comes from the backfill.
  row({ path: "metrics.service", variant: "production", access: viewer, input: async (f) => ({ serviceId: (await f.service("production")).id, from: new Date(Date.now() - 3_600_000), to: new Date() }) }),
  row({ path: "metrics.environment", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.service("production")).environmentId }) }),
  row({ path: "metrics.watch", variant: "production", access: viewer, input: async (f) => ({ serviceId: (await f.sampled("production")).id }) }),
  row({ path: "metrics.watchEnvironment", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.sampled("production")).environmentId }) }),
  // The CLI's sign-in: the email and password in the input are the credential, whoever calls.
  row({ path: "cli.login", access: { kind: "public" }, input: async (f) => ({ email: f.users.owner.email, password: OWNER_PASSWORD, org: f.org.slug, hostname: "laptop" }) }),

  // Manifests: reading a plan or an export needs only membership; applying needs what each change
  // would need on its own (project.write to create a project, service.write in the mode's terms).
  row({ path: "manifest.plan", access: viewer, input: async (f) => ({ orgId: f.org.id, manifest: manifestOf("shop", "staging", 9090) }) }),
  row({ path: "manifest.export", variant: "production", access: viewer, input: async (f) => ({ environmentId: (await f.service("production")).environmentId }) }),
  row({ path: "manifest.applyManifest", variant: "creates a project", access: admin, input: async (f) => ({ orgId: f.org.id, manifest: manifestOf(uniq("newshop"), "staging", 9090) }) }),
  ...(["staging", "production"] as const).map((mode) =>
    row({
      path: "manifest.applyManifest",
      variant: `changes a ${mode} service`,
      access: mode === "production" ? admin : developer,
      input: async (f) => {
        await f.service(mode);
        return { orgId: f.org.id, manifest: manifestOf("shop", mode, 9090) };
      },
    }),
  ),
  row({
    path: "manifest.applyManifest",
    variant: "sets a path source",
    access: admin,
    input: async (f) => {
      await f.service("staging");
      return { orgId: f.org.id, manifest: { ...manifestOf("shop", "staging", 8080), services: [{ name: "web", type: "application", source: { path: path.resolve("examples/static-site") }, port: 8080 }] } };
    },
  }),
  ...(["staging", "production"] as const).flatMap((mode) => {
    const run = mode === "production" ? admin : developer;
    return [
      row({ path: "deployment.create", variant: mode, access: run, input: async (f) => ({ environmentId: (await f.service(mode)).environmentId }) }),
      row({ path: "deployment.cancel", variant: mode, access: run, input: async (f) => ({ deploymentId: (await f.deployment(mode, "QUEUED")).id }) }),
      row({ path: "deployment.rollback", variant: mode, access: run, input: async (f) => ({ deploymentId: (await f.deployment(mode, "DEPLOYED")).id }) }),
      row({ path: "runtime.stop", variant: mode, access: run, input: async (f) => ({ serviceId: (await f.running(mode, "RUNNING")).id }) }),
      row({ path: "runtime.start", variant: mode, access: run, input: async (f) => ({ serviceId: (await f.running(mode, "STOPPED")).id }) }),
      row({ path: "runtime.restart", variant: mode, access: run, input: async (f) => ({ serviceId: (await f.running(mode, "RUNNING")).id }) }),
    ];
  }),
  // Variables: members read them (secrets only as a mask); writing follows the variable-write rule
  // (developers outside production, admins everywhere); project-wide variables reach production,
  // so they need an admin. Rotating the installation's master key is an owner's.
  row({ path: "variable.list", variant: "production service", access: viewer, input: async (f) => ({ scope: { serviceId: (await f.service("production")).id } }) }),
  row({ path: "variable.effective", variant: "production", access: viewer, input: async (f) => ({ serviceId: (await f.service("production")).id }) }),
  row({ path: "variable.export", variant: "production", access: viewer, input: async (f) => ({ scope: { environmentId: (await f.environment("production")).id } }) }),
  row({ path: "variable.importPlan", variant: "production", access: viewer, input: async (f) => ({ scope: { environmentId: (await f.environment("production")).id }, text: "A=1\n", mode: "merge", overwriteSecrets: [] }) }),
  row({ path: "variable.set", variant: "project scope", access: admin, input: async (f) => ({ scope: { projectId: (await f.project()).id }, name: "SHARED", kind: "value", value: "x" }) }),
  row({ path: "variable.unset", variant: "project scope", access: admin, input: async (f) => ({ scope: await variableIn(f, { projectId: (await f.project()).id }), name: "TO_UNSET" }) }),
  row({ path: "variable.import", variant: "project scope", access: admin, input: async (f) => ({ scope: { projectId: (await f.project()).id }, text: "A=1\n", mode: "merge", overwriteSecrets: [] }) }),
  ...(["staging", "production"] as const).flatMap((mode) => {
    const write = mode === "production" ? admin : developer;
    return [
      row({ path: "variable.set", variant: `${mode} environment`, access: write, input: async (f) => ({ scope: { environmentId: (await f.environment(mode)).id }, name: "API_SECRET", kind: "secret", value: "s3cret-value" }) }),
      row({ path: "variable.set", variant: `${mode} service`, access: write, input: async (f) => ({ scope: { serviceId: (await f.service(mode)).id }, name: "GREETING", kind: "value", value: "hi" }) }),
      row({ path: "variable.unset", variant: `${mode} service`, access: write, input: async (f) => ({ scope: await variableIn(f, { serviceId: (await f.service(mode)).id }), name: "TO_UNSET" }) }),
      row({ path: "variable.import", variant: `${mode} environment`, access: write, input: async (f) => ({ scope: { environmentId: (await f.environment(mode)).id }, text: "A=1\nB='two'\n", mode: "replace", overwriteSecrets: [] }) }),
    ];
  }),
  row({
    path: "variable.rotateKey",
    access: owner,
    input: async (f) => {
      // An explicit key: rotating must not touch a key file in the developer's data folder.
      process.env.SLIPWAY_MASTER_KEY ??= "0f".repeat(32);
      return { orgId: f.org.id };
    },
  }),
];

/** The scope, with a variable TO_UNSET set in it by the owner (before the call under test). */
async function variableIn<S extends { projectId: string } | { serviceId: string }>(f: Fixture, scope: S): Promise<S> {
  const api = await callerFrom(f.db, { session: f.users.owner });
  await api.variable.set({ scope, name: "TO_UNSET", kind: "value", value: "x" });
  return scope;
}

/** A manifest of project/environment (named after its mode) with the one service the fixture makes, on another port. */
function manifestOf(project: string, mode: "staging" | "production", port: number) {
  // A git source: developers may set one (a path source needs an admin, see the rows that set one).
  return { project, environment: mode, mode, services: [{ name: "web", type: "application", source: { git: "https://example.test/hello-node.git" }, port }] };
}

/** The expected outcome, from the table's access rule and the caller's standing. */
function expectedOutcome(access: Access, actor: (typeof ACTORS)[ActorKey]): Outcome {
  // A bad bearer token is refused everywhere, never treated as anonymous.
  if (actor.kind === "rejected") return "UNAUTHORIZED";
  if (access.kind === "public") return "allowed";
  if (actor.kind === "anonymous") return "UNAUTHORIZED";
  if (access.kind === "account") {
    if (access.who === "no-one") return "FORBIDDEN";
    return access.who === "people" && actor.kind === "token" ? "FORBIDDEN" : "allowed";
  }
  if (actor.role === null) return "NOT_FOUND";
  return access.min !== null && RANK[actor.role] >= RANK[access.min] ? "allowed" : "FORBIDDEN";
}
const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

// ---------------------------------------------------------------------------------------------
// Fixtures: users are shared; every case gets its own organization A (and C) with fresh rows.

let h: DbHandle;
let people: Record<"owner" | "admin" | "developer" | "viewer" | "demoted" | "target" | "outsider", { id: string; email: string }>;
let otherOrgToken: string;
const OWNER_PASSWORD = "owner's long password";

beforeAll(async () => {
  h = await createTestDb();
  const u = async (name: string) => makeUser(h.db, `${name}-${Date.now()}@example.test`);
  people = {
    owner: await u("owner"),
    admin: await u("admin"),
    developer: await u("developer"),
    viewer: await u("viewer"),
    demoted: await u("demoted"),
    target: await u("target"),
    outsider: await u("outsider"),
  };
  // The owner signs in with a real password (cli.login).
  await h.db.update(users).set({ passwordHash: await hashPassword(OWNER_PASSWORD) }).where(eq(users.id, people.owner.id));
  const orgB = await makeOrg(h.db, "org-b");
  await addMember(h.db, orgB.id, people.outsider.id, "owner");
  // A's admin is also in B; the token they made there must not open A.
  await addMember(h.db, orgB.id, people.admin.id, "owner");
  otherOrgToken = (await makeToken(h.db, { orgId: orgB.id, userId: people.admin.id, role: "owner" })).token;
});
afterAll(async () => h?.close());

async function freshFixture() {
  const db = h.db;
  // Batched: a case's fixture is three statements, plus what its row needs.
  const [org, inviteOrg] = await db
    .insert(organizations)
    .values([uniq("org-a"), uniq("org-c")].map((slug) => ({ name: slug, slug })))
    .returning();
  const roles = { owner: "owner", admin: "admin", developer: "developer", viewer: "viewer", demoted: "viewer", target: "developer" } as const;
  await db.insert(memberships).values(Object.entries(roles).map(([key, role]) => ({ orgId: org.id, userId: people[key as keyof typeof roles].id, role })));
  const below = newToken("slw");
  // Made while its creator was an admin; the creator has since been demoted to viewer.
  const above = newToken("slw");
  await db.insert(apiTokens).values([
    { orgId: org.id, userId: people.admin.id, role: "developer" as const, name: "below", tokenHash: hashToken(below), prefix: below.slice(0, 10) },
    { orgId: org.id, userId: people.demoted.id, role: "admin" as const, name: "above", tokenHash: hashToken(above), prefix: above.slice(0, 10) },
  ]);
  const tokens = { below, above };
  let project: Promise<Awaited<ReturnType<typeof makeProject>>> | undefined;
  const envs: Partial<Record<"staging" | "production", Promise<Awaited<ReturnType<typeof makeEnvironment>>>>> = {};
  const svcs: Partial<Record<"staging" | "production", Promise<Awaited<ReturnType<typeof makeService>>>>> = {};
  // Made on first use, so a case pays only for the rows it needs.
  const projectOnce = () => (project ??= makeProject(db, org.id, "shop"));
  const environmentOnce = (mode: "staging" | "production") => (envs[mode] ??= projectOnce().then((p) => makeEnvironment(db, p.id, mode)));
  const serviceOnce = (mode: "staging" | "production") => (svcs[mode] ??= environmentOnce(mode).then((e) => makeService(db, e.id, "web")));
  const build = { buildId: "b-1", dir: "/nonexistent/build", startCommand: "node server.js", revision: "abc1234" };
  /** A past deployment of the environment's service, with a kept build. */
  const deployment = async (mode: "staging" | "production", status: DeploymentStatus) => {
    const svc = await serviceOnce(mode);
    const [d] = await db
      .insert(deployments)
      .values({
        environmentId: svc.environmentId,
        serviceId: svc.id,
        status,
        trigger: "ui",
        snapshot: { services: [{ id: svc.id, name: svc.name, type: svc.type, spec: svc.spec }] },
        requestKey: uniq("req"),
        builds: { [svc.id]: build },
      })
      .returning();
    return d;
  };
  /** The environment's service, observed in `status` and running a kept build. */
  const running = async (mode: "staging" | "production", status: RunningStatus) => {
    const svc = await serviceOnce(mode);
    const state = { status, buildId: build.buildId, buildDir: build.dir, startCommand: build.startCommand, revision: build.revision };
    await db.insert(serviceRuntime).values({ serviceId: svc.id, ...state }).onConflictDoUpdate({ target: serviceRuntime.serviceId, set: state });
    return svc;
  };
  /** The environment's service, with one stored log line. */
  const logged = async (mode: "staging" | "production") => {
    const svc = await serviceOnce(mode);
    await storeChunks(db, [{ serviceId: svc.id, deploymentId: null, instanceId: null, stream: "stdout", line: "listening", at: new Date() }]);
    return svc;
  };
  /** The environment's service, with one stored raw metrics sample (at most one per bucket). */
  const sampled = async (mode: "staging" | "production") => {
    const svc = await serviceOnce(mode);
    await db
      .insert(metricSamples)
      .values({ serviceId: svc.id, tier: 0, bucketStart: new Date(), seconds: 5, cpu: 1, cpuMax: 1, rss: 1, rssMax: 1, instances: 1, restarts: 0, requests: 0, status4xx: 0, status5xx: 0, latency: [], latencyMaxMs: 0 })
      .onConflictDoNothing();
    return svc;
  };
  return { db, org, inviteOrg, users: people, tokens, project: projectOnce, environment: environmentOnce, service: serviceOnce, deployment, running, logged, sampled };
}

async function callerOf(f: Fixture, key: ActorKey): Promise<{ api: Caller; who: { userId: string; email: string } }> {
  const db = f.db;
  const person = (p: { id: string; email: string }) => ({ userId: p.id, email: p.email });
  switch (key) {
    case "owner":
    case "admin":
    case "developer":
    case "viewer":
    case "outsider":
      return { api: await callerFrom(db, { session: people[key] }), who: person(people[key]) };
    case "tokenBelowCreator":
      return { api: await callerFrom(db, { bearer: f.tokens.below }), who: person(people.admin) };
    case "tokenAboveCreator":
      return { api: await callerFrom(db, { bearer: f.tokens.above }), who: person(people.demoted) };
    case "tokenOtherOrg":
      return { api: await callerFrom(db, { bearer: otherOrgToken }), who: person(people.admin) };
    case "anonymous":
      return { api: await callerFrom(db, {}), who: { userId: people.target.id, email: `${uniq("nobody")}@example.test` } };
    case "rejectedToken":
      // A session is present too: a bad token must not fall back to it.
      return { api: await callerFrom(db, { bearer: "slw_not-a-real-token", session: people.owner }), who: person(people.owner) };
  }
}

// ---------------------------------------------------------------------------------------------

describe("permissions", () => {
  it("has a row for every procedure of the router, and no row for a procedure that does not exist", () => {
    const covered = new Set(TABLE.map((r) => r.path));
    const all = routerProcedures().map((p) => p.path);
    expect(all.filter((p) => !covered.has(p as Path)), "procedures without a row in the permissions table").toEqual([]);
    expect([...covered].filter((p) => !all.includes(p)), "rows for unknown procedures").toEqual([]);
  });

  for (const r of TABLE) {
    it(`${r.path}${r.variant ? ` [${r.variant}]` : ""}`, async () => {
      const type = routerProcedures().find((p) => p.path === r.path)?.type;
      const isMutation = type === "mutation";
      const mismatches: string[] = [];
      // Reads and refusals leave their fixture as it was: they share one. A change that is expected
      // to go through gets a fresh fixture of its own. (A refusal that wrongly goes through is
      // reported as such; later callers of that row may then report knock-on mismatches.)
      const shared = await freshFixture();
      for (const key of Object.keys(ACTORS) as ActorKey[]) {
        const expected = expectedOutcome(r.access, ACTORS[key]);
        const f = isMutation && expected === "allowed" ? await freshFixture() : shared;
        const { api, who } = await callerOf(f, key);
        const input = await r.input(f, who);
        const auditBefore = await auditCount(f.db);
        const actual = type === "subscription" ? await outcomeOfSubscription(callPath(api, r.path, input)) : await outcomeOf(callPath(api, r.path, input));
        const written = (await auditCount(f.db)) - auditBefore;
        if (actual !== expected) mismatches.push(`${key}: expected ${expected}, got ${actual}`);
        // A refused call leaves no trace; an allowed change is always audited; a read never is.
        else if (actual !== "allowed" && written !== 0) mismatches.push(`${key}: refused with ${actual} but wrote ${written} audit event(s)`);
        else if (actual === "allowed" && isMutation && written < 1) mismatches.push(`${key}: allowed mutation wrote no audit event`);
        else if (!isMutation && written !== 0) mismatches.push(`${key}: a query wrote ${written} audit event(s)`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
