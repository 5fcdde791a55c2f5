/**
 * Invalid input is refused with the right code, the response names the offending field, and
 * nothing at all is written: every row of every table (audit log included) is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { addMember, makeUser } from "../support/actors";
import { callerFrom, type Caller } from "../support/context";
import { makeInvitation } from "../support/fixtures";
import { rowCounts, snapshotAll } from "../support/db-snapshot";
import { caught, type ErrorCode } from "../support/trpc-errors";
import { callPath, type ProcedurePath } from "../support/router-paths";

let h: DbHandle;
let api: Caller;
let w: { orgId: string; projectId: string; stagingId: string; webId: string; workerId: string; memberEmail: string; pendingEmail: string };

beforeAll(async () => {
  h = await createTestDb();
  const owner = await makeUser(h.db, "owner@example.test");
  api = await callerFrom(h.db, { session: owner, ip: "198.51.100.4" });
  // The setting the bad input collides with, built through the API as a person would.
  const org = await api.organization.create({ name: "Acme", slug: "acme" });
  const project = await api.project.create({ orgId: org.id, name: "shop" });
  const staging = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
  const web = await api.service.create({ environmentId: staging.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  const worker = await api.service.create({ environmentId: staging.id, name: "jobs", type: "worker", spec: { source: { path: "./examples/worker" } } });
  const member = await makeUser(h.db, "dev@example.test");
  await addMember(h.db, org.id, member.id, "developer");
  await makeInvitation(h.db, { orgId: org.id, email: "pending@example.test", role: "viewer" });
  w = { orgId: org.id, projectId: project.id, stagingId: staging.id, webId: web.id, workerId: worker.id, memberEmail: member.email, pendingEmail: "pending@example.test" };
});
afterAll(async () => h?.close());

type Case = { name: string; path: ProcedurePath; input: () => unknown; code: ErrorCode; field: string };

const src = { path: "./examples/hello-node" };
const app = (spec: Record<string, unknown>) => () => ({ environmentId: w.stagingId, name: "api", type: "application", spec });

const BAD_NAMES: [string, string][] = [
  ["uppercase", "Shop"],
  ["underscore", "my_shop"],
  ["leading dash", "-shop"],
  ["trailing dash", "shop-"],
  ["41 characters", "a".repeat(41)],
  ["empty", ""],
];

const CASES: Case[] = [
  // DNS-label names, everywhere a name becomes part of a hostname.
  ...BAD_NAMES.flatMap(([what, name]): Case[] => [
    { name: `organization slug: ${what}`, path: "organization.create", input: () => ({ name: "Org", slug: name }), code: "BAD_REQUEST", field: "slug" },
    { name: `project name: ${what}`, path: "project.create", input: () => ({ orgId: w.orgId, name }), code: "BAD_REQUEST", field: "name" },
    { name: `environment name: ${what}`, path: "environment.create", input: () => ({ projectId: w.projectId, name, mode: "staging" }), code: "BAD_REQUEST", field: "name" },
    { name: `service name: ${what}`, path: "service.create", input: () => ({ environmentId: w.stagingId, name, type: "application", spec: { source: src } }), code: "BAD_REQUEST", field: "name" },
  ]),

  // Names that are taken.
  { name: "duplicate organization slug", path: "organization.create", input: () => ({ name: "Other", slug: "acme" }), code: "CONFLICT", field: "slug" },
  { name: "duplicate project name", path: "project.create", input: () => ({ orgId: w.orgId, name: "shop" }), code: "CONFLICT", field: "name" },
  { name: "duplicate environment name", path: "environment.create", input: () => ({ projectId: w.projectId, name: "staging", mode: "production" }), code: "CONFLICT", field: "name" },
  { name: "duplicate service name", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "web", type: "worker", spec: { source: src } }), code: "CONFLICT", field: "name" },
  { name: "invitation for a member", path: "invitation.create", input: () => ({ orgId: w.orgId, email: w.memberEmail, role: "viewer" }), code: "CONFLICT", field: "email" },
  { name: "second pending invitation (any case)", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "Pending@Example.TEST", role: "viewer" }), code: "CONFLICT", field: "email" },

  // Ports.
  ...[0, 65536, 1.5, -1, "8080"].map((port): Case => ({ name: `port ${JSON.stringify(port)}`, path: "service.create", input: app({ source: src, port }), code: "BAD_REQUEST", field: "spec.port" })),
  { name: "port 0 on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: src, port: 0 } }), code: "BAD_REQUEST", field: "spec.port" },

  // Instances.
  { name: "instances min > max", path: "service.create", input: app({ source: src, instances: { min: 3, max: 2 } }), code: "BAD_REQUEST", field: "spec.instances.max" },
  { name: "instances min 0", path: "service.create", input: app({ source: src, instances: { min: 0, max: 1 } }), code: "BAD_REQUEST", field: "spec.instances.min" },
  { name: "instances max 21", path: "service.create", input: app({ source: src, instances: { min: 1, max: 21 } }), code: "BAD_REQUEST", field: "spec.instances.max" },
  { name: "instances min 21", path: "service.create", input: app({ source: src, instances: { min: 21, max: 21 } }), code: "BAD_REQUEST", field: "spec.instances.min" },
  { name: "instances min > max on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: src, instances: { min: 5, max: 1 } } }), code: "BAD_REQUEST", field: "spec.instances.max" },

  // Values outside an enumeration.
  { name: "unknown environment mode", path: "environment.create", input: () => ({ projectId: w.projectId, name: "qa", mode: "prod" }), code: "BAD_REQUEST", field: "mode" },
  { name: "unknown environment mode on update", path: "environment.update", input: () => ({ environmentId: w.stagingId, mode: "qa" }), code: "BAD_REQUEST", field: "mode" },
  { name: "unknown runtime", path: "environment.create", input: () => ({ projectId: w.projectId, name: "qa", mode: "staging", runtime: "docker" }), code: "BAD_REQUEST", field: "runtime" },
  { name: "unknown service type", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "cron", type: "cron", spec: { source: src } }), code: "BAD_REQUEST", field: "type" },
  { name: "unknown invitation role", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "new@example.test", role: "superuser" }), code: "BAD_REQUEST", field: "role" },
  { name: "invitation as owner (ownership is transferred)", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "new@example.test", role: "owner" }), code: "BAD_REQUEST", field: "role" },
  { name: "unknown member role", path: "member.updateRole", input: () => ({ orgId: w.orgId, userId: w.webId, role: "root" }), code: "BAD_REQUEST", field: "role" },
  { name: "unknown token role", path: "token.create", input: () => ({ orgId: w.orgId, name: "ci", role: "root" }), code: "BAD_REQUEST", field: "role" },
  { name: "invalid invitation email", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "not-an-email", role: "viewer" }), code: "BAD_REQUEST", field: "email" },
  { name: "id that is not a uuid", path: "project.delete", input: () => ({ projectId: "shop" }), code: "BAD_REQUEST", field: "projectId" },

  // Malformed sources.
  { name: "source with neither path nor git", path: "service.create", input: app({ source: {} }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "source with both path and git", path: "service.create", input: app({ source: { path: "./x", git: "https://example.test/x.git" } }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "missing source", path: "service.create", input: app({ port: 8080 }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "bad git url", path: "service.create", input: app({ source: { git: "not a url" } }), code: "BAD_REQUEST", field: "spec.source.git" },
  { name: "git url as an option", path: "service.create", input: app({ source: { git: "--upload-pack=touch /tmp/x" } }), code: "BAD_REQUEST", field: "spec.source.git" },
  { name: "branch starting with a dash", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "-evil" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "branch with '..'", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "a..b" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "branch with a space", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "my branch" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "commit that is not hex", path: "service.create", input: app({ source: { git: "https://example.test/x.git", commit: "main" } }), code: "BAD_REQUEST", field: "spec.source.commit" },
  { name: "bad source on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: { path: "" } } }), code: "BAD_REQUEST", field: "spec.source.path" },
  { name: "unknown spec key", path: "service.create", input: app({ source: src, replicas: 3 }), code: "BAD_REQUEST", field: "spec" },

  // A worker serves no HTTP.
  { name: "worker with a port", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "queue", type: "worker", spec: { source: src, port: 8080 } }), code: "BAD_REQUEST", field: "spec.port" },
  { name: "worker with a health-check path", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "queue", type: "worker", spec: { source: src, healthcheck: { path: "/healthz" } } }), code: "BAD_REQUEST", field: "spec.healthcheck.path" },
  { name: "port added to a worker on update", path: "service.update", input: () => ({ serviceId: w.workerId, spec: { source: src, port: 8080 } }), code: "BAD_REQUEST", field: "spec.port" },
];

describe("bad input", () => {
  for (const c of CASES) {
    it(`${c.path}: ${c.name} → ${c.code} naming ${c.field}`, async () => {
      const before = await snapshotAll(h.db);
      const e = await caught(callPath(api, c.path, c.input()));
      expect(e.code).toBe(c.code);
      expect(e.fieldErrors).toHaveProperty([c.field]);
      expect(e.fieldErrors?.[c.field]?.join(" ")).toMatch(/\S/);
      expect(e.message).not.toMatch(/internal error/);
      expect(await snapshotAll(h.db), "nothing may be written").toEqual(before);
    });
  }

  it("names the taken value in a conflict message", async () => {
    const e = await caught(api.project.create({ orgId: w.orgId, name: "shop" }));
    expect(e.fieldErrors?.name?.[0]).toContain('"shop"');
  });

  it("two concurrent creates of one name: one wins, the other is a CONFLICT naming the field, one audit event", async () => {
    const before = await rowCounts(h.db);
    const results = await Promise.allSettled([
      api.project.create({ orgId: w.orgId, name: "race" }),
      api.project.create({ orgId: w.orgId, name: "race" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r) => r.status === "rejected");
    const e = await caught(loser?.status === "rejected" ? Promise.reject(loser.reason) : Promise.resolve());
    expect(e.code).toBe("CONFLICT");
    expect(e.fieldErrors).toHaveProperty(["name"]);
    const after = await rowCounts(h.db);
    expect(after.projects - before.projects).toBe(1);
    expect(after.auditEvents - before.auditEvents).toBe(1);
  });

  it("accepts the limits the refusals sit next to", async () => {
    // A validator that refused everything would pass the table above; these must pass.
    const name40 = "a".repeat(40);
    await expect(api.project.create({ orgId: w.orgId, name: name40 })).resolves.toMatchObject({ name: name40 });
    await expect(api.project.create({ orgId: w.orgId, name: "0-shop-9" })).resolves.toMatchObject({ name: "0-shop-9" });
    for (const [i, port] of [1, 65535].entries()) {
      await expect(api.service.create({ environmentId: w.stagingId, name: `edge-${i}`, type: "application", spec: { source: src, port } })).resolves.toMatchObject({ spec: { port } });
    }
    await expect(
      api.service.create({ environmentId: w.stagingId, name: "wide", type: "application", spec: { source: { git: "git@example.test:org/x.git", branch: "feature/x-1.2", commit: "abcdef0" }, instances: { min: 20, max: 20 } } }),
    ).resolves.toMatchObject({ spec: { instances: { min: 20, max: 20 } } });
    await expect(api.service.create({ environmentId: w.stagingId, name: "bg", type: "worker", spec: { source: src } })).resolves.toMatchObject({ type: "worker" });
  });
});
