/**
 * On PGlite, access checks are answered from a cache that every change to memberships, projects,
 * environments and services empties as it commits. The cache must never answer with what was true
 * before a change: not after a role change, a removed membership, a production switch or a delete —
 * through the API or raw SQL — and not inside a transaction. On PostgreSQL every check reads.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { eq, sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { environments, memberships, services } from "@/db/schema";
import { requireEnvironment, requireService } from "@/server/policy/access";
import type { ServiceCtx } from "@/server/auth/actor";
import { addMember, actorOf, makeOrg, makeUser } from "../support/actors";
import { callerFrom } from "../support/context";
import { makeEnvironment, makeProject, makeService, uniq } from "../support/fixtures";
import { caught } from "../support/trpc-errors";
import { countQueries } from "../support/count-queries";
import { createTestDb } from "../support/test-db";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

async function world(role: "developer" | "viewer" = "developer") {
  const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
  const dev = await makeUser(h.db, `${uniq("dev")}@example.test`);
  const org = await makeOrg(h.db, uniq("org"));
  await addMember(h.db, org.id, owner.id, "owner");
  await addMember(h.db, org.id, dev.id, role);
  const project = await makeProject(h.db, org.id);
  const env = await makeEnvironment(h.db, project.id, "staging");
  const service = await makeService(h.db, env.id);
  const ctxOf = (u: { id: string; email: string }): ServiceCtx => ({ db: h.db, actor: actorOf(u), meta: { source: "api", ip: "127.0.0.1" } });
  return { owner, dev, org, project, env, service, ctxOf };
}

/** Runs a check until the cache holds it, then proves a repeat sends no statement on PGlite (and one on PostgreSQL). */
async function expectCached(check: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await check();
  const texts = countQueries(h.db);
  await check();
  if (h.kind === "pglite") expect(texts).toEqual([]);
  else expect(texts.length).toBe(1);
  vi.restoreAllMocks();
}

describe("access checks cached on PGlite", () => {
  it("answers a repeated check without a query, and refuses at once when the membership is removed through the API", async () => {
    const w = await world();
    await expectCached(() => requireEnvironment(w.ctxOf(w.dev), w.env.id, "service.write"));
    const asDev = await callerFrom(h.db, { session: w.dev });
    expect((await asDev.service.list({ environmentId: w.env.id })).map((s) => s.id)).toEqual([w.service.id]);

    const asOwner = await callerFrom(h.db, { session: w.owner });
    await asOwner.member.remove({ orgId: w.org.id, userId: w.dev.id });

    expect(await caught(asDev.service.list({ environmentId: w.env.id }))).toMatchObject({ code: "NOT_FOUND" });
    await expect(requireEnvironment(w.ctxOf(w.dev), w.env.id, "org.read")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("sees a role lowered by raw SQL and an environment switched to production on the very next check", async () => {
    const w = await world();
    await expectCached(() => requireService(w.ctxOf(w.dev), w.service.id, "service.write"));

    await h.db.update(memberships).set({ role: "viewer" }).where(eq(memberships.userId, w.dev.id));
    await expect(requireService(w.ctxOf(w.dev), w.service.id, "service.write")).rejects.toMatchObject({ code: "FORBIDDEN" });

    await h.db.update(memberships).set({ role: "developer" }).where(eq(memberships.userId, w.dev.id));
    await expectCached(() => requireService(w.ctxOf(w.dev), w.service.id, "service.write"));
    await h.db.execute(sql`update ${environments} set mode = 'production' where ${environments.id} = ${w.env.id}`);
    await expect(requireService(w.ctxOf(w.dev), w.service.id, "service.write")).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("returns the current row after a service changes, and NOT_FOUND once it is deleted", async () => {
    const w = await world();
    await expectCached(() => requireService(w.ctxOf(w.dev), w.service.id, "org.read"));
    await h.db.update(services).set({ desiredState: "stopped" }).where(eq(services.id, w.service.id));
    expect((await requireService(w.ctxOf(w.dev), w.service.id, "org.read")).service.desiredState).toBe("stopped");

    await h.db.delete(services).where(eq(services.id, w.service.id));
    await expect(requireService(w.ctxOf(w.dev), w.service.id, "org.read")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("reads through the transaction inside one, never from the cache", async () => {
    const w = await world();
    await expectCached(() => requireEnvironment(w.ctxOf(w.dev), w.env.id, "service.write"));
    await h.db
      .transaction(async (tx) => {
        await tx.update(memberships).set({ role: "viewer" }).where(eq(memberships.userId, w.dev.id));
        await expect(requireEnvironment(w.ctxOf(w.dev), w.env.id, "service.write", tx)).rejects.toMatchObject({ code: "FORBIDDEN" });
        tx.rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Error && err.message.includes("Rollback"))) throw err;
      });
    // Rolled back: the developer may write again, and nothing stale was cached by the transaction.
    await expect(requireEnvironment(w.ctxOf(w.dev), w.env.id, "service.write")).resolves.toMatchObject({ role: "developer" });
  });

  it("hands out frozen rows, so one caller cannot change what the next one reads", async () => {
    const w = await world();
    await expectCached(() => requireEnvironment(w.ctxOf(w.dev), w.env.id, "org.read"));
    const { environment } = await requireEnvironment(w.ctxOf(w.dev), w.env.id, "org.read");
    if (h.kind === "pglite") expect(Object.isFrozen(environment)).toBe(true);
    expect(environment.mode).toBe("staging");
  });
});
