import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { actorOf, callerFor, makeUser } from "../support/actors";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

describe("smoke", () => {
  it("creates an org, project, environment and service and lists them", async () => {
    const u = await makeUser(h.db);
    const api = callerFor(h.db, actorOf(u));
    const org = await api.organization.create({ name: "Acme", slug: "acme" });
    const project = await api.project.create({ orgId: org.id, name: "shop" });
    const env = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
    await api.service.create({ environmentId: env.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
    const list = await api.service.list({ environmentId: env.id });
    expect(list.map((s) => s.name)).toEqual(["web"]);
    expect(list[0].spec.instances).toEqual({ min: 1, max: 1 });
    const audit = await api.audit.list({ orgId: org.id });
    expect(audit.items.map((a) => a.action)).toEqual(["service.create", "environment.create", "project.create", "organization.create"]);
    await expect(api.project.create({ orgId: org.id, name: "Bad_Name" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
