/**
 * Each service's uid: allocated once from the configured range, recorded, the same on every call,
 * never given to two services, never reused after a delete, and safe when several consoles allocate
 * at once (on PostgreSQL, two handles on one database race for real).
 */
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { services, serviceUids } from "@/db/schema";
import { serviceIdentity } from "@/server/engine/service-identity";
import { createTestDb } from "../support/test-db";
import { makeEnvironment } from "../support/actors";
import { EXAMPLES, startTestEngine, waitForDeployment } from "../support/engine-harness";

let h: DbHandle & { url?: string };
let other: DbHandle | null = null;

beforeAll(async () => {
  h = await createTestDb();
  // A second console on the same database, where the harness gives one (PostgreSQL).
  if (h.url) other = await openDb({ databaseUrl: h.url, migrate: false });
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

async function makeServices(count: number): Promise<string[]> {
  const { api, env } = await makeEnvironment(h);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = await api.service.create({ environmentId: env.id, name: `svc${i}`, type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") }, run: { command: "true" } } });
    ids.push(s.id);
  }
  return ids;
}

describe("serviceIdentity", () => {
  const range = { first: 310_000, last: 310_999 };

  it("allocates from the range's start, records it, and gives the same uid again", async () => {
    const [a, b] = await makeServices(2);
    const first = await serviceIdentity(h.db, a, range);
    expect(first).toEqual({ uid: 310_000, gid: 310_000 });
    expect(await serviceIdentity(h.db, a, range)).toEqual(first);
    expect(await serviceIdentity(h.db, b, range)).toEqual({ uid: 310_001, gid: 310_001 });
    const rows = await h.db.select().from(serviceUids).where(eq(serviceUids.serviceId, a));
    expect(rows.map((r) => r.uid)).toEqual([310_000]);
  });

  it("gives distinct uids when many allocations (and two consoles) race", async () => {
    const ids = await makeServices(12);
    const dbs = [h.db, other?.db ?? h.db];
    // Every service asked for twice at once, from both consoles: one uid each, all distinct.
    const got = await Promise.all(ids.flatMap((id, i) => [serviceIdentity(dbs[i % 2], id, range), serviceIdentity(dbs[(i + 1) % 2], id, range)]));
    for (let i = 0; i < ids.length; i++) expect(got[2 * i]).toEqual(got[2 * i + 1]);
    const uids = ids.map((_, i) => got[2 * i].uid);
    expect(new Set(uids).size).toBe(ids.length);
    for (const uid of uids) expect(uid).toBeGreaterThanOrEqual(range.first);
  });

  it("never hands a deleted service's uid to another", async () => {
    const [gone, fresh] = await makeServices(2);
    const old = await serviceIdentity(h.db, gone, range);
    await h.db.delete(services).where(eq(services.id, gone));
    const [retired] = await h.db.select().from(serviceUids).where(eq(serviceUids.uid, old.uid));
    expect(retired.serviceId).toBeNull();
    expect((await serviceIdentity(h.db, fresh, range)).uid).toBeGreaterThan(old.uid);
  });

  it("moves a service whose uid fell outside a changed range, and says when a range is used up", async () => {
    const [a, b] = await makeServices(2);
    const before = await serviceIdentity(h.db, a, range);
    const moved = await serviceIdentity(h.db, a, { first: 320_000, last: 320_000 });
    expect(moved.uid).toBe(320_000);
    expect(before.uid).not.toBe(moved.uid);
    await expect(serviceIdentity(h.db, b, { first: 320_000, last: 320_000 })).rejects.toThrow(/no free service uid left in SLIPWAY_SERVICE_UID_RANGE 320000-320000: widen the range/);
  });
});

describe("a deployment when the uid range is unusable", () => {
  it("fails its pre-check naming the setting, and starts nothing", async () => {
    const rt = await startTestEngine(h);
    try {
      const { api, env } = await makeEnvironment(h);
      await api.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") }, run: { command: "sleep 60" } } });
      vi.stubEnv("SLIPWAY_SERVICE_UID_RANGE", "5-1");
      const d = await api.deployment.create({ environmentId: env.id });
      const done = await waitForDeployment(h, d.id);
      expect(done.status).toBe("DEPLOYMENT_ERROR");
      expect(done.message).toMatch(/^cannot give the services their own users: SLIPWAY_SERVICE_UID_RANGE must be "first-last"/);
      expect(done.hint).toContain("SLIPWAY_SERVICE_UID_RANGE");
      expect(rt.runtime.supervisor.list()).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      await rt.stop();
    }
  });
});
