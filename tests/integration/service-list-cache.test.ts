/**
 * service.list answers an unchanged environment from the list the console built last
 * (server/services/list-services.ts), keyed by environments.services_version, which a trigger bumps
 * with every change to the environment's services. The cache must never answer a stale list: not
 * after changes through the API, not after writes that bypass the service code (the engine, another
 * console, plain SQL), and never to someone who may not read the environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { openDb, type DbHandle } from "@/db/client";
import { environments, services } from "@/db/schema";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { makeEnvironment, makeProject, makeService, uniq, webSpec } from "../support/fixtures";
import { caught } from "../support/trpc-errors";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

async function world() {
  const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
  const org = await makeOrg(h.db, uniq("org"));
  await addMember(h.db, org.id, owner.id, "owner");
  const project = await makeProject(h.db, org.id);
  const staging = await makeEnvironment(h.db, project.id, "staging");
  const other = await makeEnvironment(h.db, project.id, "development");
  for (const name of ["web", "api", "worker"]) await makeService(h.db, staging.id, name);
  await makeService(h.db, other.id, "lonely");
  return { owner, org, project, staging, other, api: callerFor(h.db, actorOf(owner)) };
}

const names = (list: readonly { name: string }[]) => list.map((s) => s.name);
const version = async (environmentId: string) =>
  (await h.db.select({ v: environments.servicesVersion }).from(environments).where(eq(environments.id, environmentId)))[0].v;

describe("service.list snapshot", () => {
  it("answers an unchanged environment with the same snapshot, sorted by name, frozen", async () => {
    const w = await world();
    const first = await w.api.service.list({ environmentId: w.staging.id });
    expect(names(first)).toEqual(["api", "web", "worker"]);
    expect(first[0].updatedAt).toBeInstanceOf(Date);
    const second = await w.api.service.list({ environmentId: w.staging.id });
    expect(second).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0]) && Object.isFrozen(first[0].spec)).toBe(true);
    expect(() => (first as unknown as { name: string }[]).push({ name: "x" })).toThrow(TypeError);
  });

  it("changes with every create, update and delete through the API, and only for that environment", async () => {
    const w = await world();
    const otherBefore = await w.api.service.list({ environmentId: w.other.id });
    const v0 = await version(w.staging.id);

    const created = await w.api.service.create({ environmentId: w.staging.id, name: "cron", type: "application", spec: webSpec() });
    expect(names(await w.api.service.list({ environmentId: w.staging.id }))).toEqual(["api", "cron", "web", "worker"]);

    await w.api.service.update({ serviceId: created.id, spec: { ...webSpec(), port: 9191 } });
    const afterUpdate = await w.api.service.list({ environmentId: w.staging.id });
    expect(afterUpdate.find((s) => s.name === "cron")?.spec.port).toBe(9191);

    await w.api.service.delete({ serviceId: created.id });
    expect(names(await w.api.service.list({ environmentId: w.staging.id }))).toEqual(["api", "web", "worker"]);

    expect(await version(w.staging.id)).toBe(v0 + 3);
    expect(await w.api.service.list({ environmentId: w.other.id })).toBe(otherBefore);
  });

  it("sees writes that bypass the service code: the engine's desired state, plain SQL, a cascade", async () => {
    const w = await world();
    const before = await w.api.service.list({ environmentId: w.staging.id });
    expect(before.every((s) => s.desiredState === "running")).toBe(true);

    // As the engine stops a service (server/deployments/service-control.ts): no updatedAt change.
    await h.db.update(services).set({ desiredState: "stopped" }).where(eq(services.name, "web"));
    const stopped = await w.api.service.list({ environmentId: w.staging.id });
    expect(stopped.find((s) => s.name === "web")?.desiredState).toBe("stopped");

    await h.db.execute(sql`update services set name = 'www' where environment_id = ${w.staging.id} and name = 'api'`);
    expect(names(await w.api.service.list({ environmentId: w.staging.id }))).toEqual(["web", "worker", "www"]);

    await h.db.execute(sql`delete from services where environment_id = ${w.staging.id} and name = 'worker'`);
    expect(names(await w.api.service.list({ environmentId: w.staging.id }))).toEqual(["web", "www"]);
  });

  it("answers NOT_FOUND to an outsider even while a snapshot is cached", async () => {
    const w = await world();
    await w.api.service.list({ environmentId: w.staging.id });
    const outsider = await makeUser(h.db, `${uniq("out")}@example.test`);
    const elsewhere = await makeOrg(h.db, uniq("org"));
    await addMember(h.db, elsewhere.id, outsider.id, "owner");
    expect(await caught(callerFor(h.db, actorOf(outsider)).service.list({ environmentId: w.staging.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await caught(callerFor(h.db, null).service.list({ environmentId: w.staging.id }))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  // One PGlite data folder belongs to one process: a second console exists on PostgreSQL only.
  it.skipIf(!process.env.TEST_DATABASE_URL)("sees a change made by another console on the same PostgreSQL", async () => {
    const url = (h.db as unknown as { $client: { options?: { connectionString?: string } } }).$client.options?.connectionString;
    expect(h.kind).toBe("postgres");
    if (!url) throw new Error("the test database's pool has no connection string");
    const w = await world();
    const cached = await w.api.service.list({ environmentId: w.staging.id });
    const second = await openDb({ databaseUrl: url, migrate: false });
    try {
      await callerFor(second.db, actorOf(w.owner)).service.create({ environmentId: w.staging.id, name: "from-b", type: "worker", spec: { source: { path: "./examples/worker" } } });
    } finally {
      await second.close();
    }
    const now = await w.api.service.list({ environmentId: w.staging.id });
    expect(now).not.toBe(cached);
    expect(names(now)).toContain("from-b");
  });
});
