/**
 * authenticate-token caches who is behind a token for a few seconds. The cache must never let a
 * revoked token through: not right after it was used (and cached), not when another console
 * process on the same PostgreSQL revoked it, not when the token's row is gone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import type { Role } from "@/server/policy/policy";
import { countQueries } from "../support/count-queries";
import { createTestDb } from "../support/test-db";
import { addMember, makeOrg, makeUser } from "../support/actors";
import { callerFrom, contextFrom } from "../support/context";
import { makeToken, uniq } from "../support/fixtures";
import { caught } from "../support/trpc-errors";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

const REFUSED = { code: "UNAUTHORIZED", message: "the API token is unknown or revoked" };

async function ownerWithToken(role: Role = "admin") {
  const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
  const org = await makeOrg(h.db, uniq("org"));
  await addMember(h.db, org.id, owner.id, "owner");
  const { row, token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role });
  return { owner, org, tokenId: row.id, token };
}

/** Several requests with the token, so its identity is cached; proves the last ones were served from the cache. */
async function useUntilCached(token: string) {
  for (let i = 0; i < 3; i++) expect((await contextFrom(h.db, { bearer: token })).ctx.rejectedToken).toBe(false);
  const texts = countQueries(h.db);
  const { ctx } = await contextFrom(h.db, { bearer: token });
  expect(ctx.rejectedToken).toBe(false);
  if (h.kind === "pglite") {
    // PGlite: the token change feed drops revoked or deleted tokens as they commit, so a hit sends nothing.
    expect(texts).toEqual([]);
  } else {
    // PostgreSQL: a hit reads the token's row by id (revoked? last used?) and does not join users.
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.some((t) => t.includes('"users"'))).toBe(false);
  }
  vi.restoreAllMocks();
}

describe("API token cache", () => {
  it("refuses a token revoked through token.revoke on the very next request, right after it was used and cached", async () => {
    const { owner, org, tokenId, token } = await ownerWithToken();
    await useUntilCached(token);
    const api = await callerFrom(h.db, { bearer: token });
    expect((await api.organization.list()).map((o) => o.id)).toEqual([org.id]);

    const session = await callerFrom(h.db, { session: owner });
    await session.token.revoke({ tokenId });

    const { ctx } = await contextFrom(h.db, { bearer: token });
    expect(ctx).toMatchObject({ actor: null, rejectedToken: true });
    const after = await callerFrom(h.db, { bearer: token });
    expect(await caught(after.organization.list())).toMatchObject(REFUSED);
    expect(await caught(after.viewer.me())).toMatchObject(REFUSED);
  });

  it("refuses a token another console process revoked (a write straight to the database), with no TTL to wait out", async () => {
    const { tokenId, token } = await ownerWithToken();
    await useUntilCached(token);
    await h.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, tokenId));
    expect((await contextFrom(h.db, { bearer: token })).ctx).toMatchObject({ actor: null, rejectedToken: true });
    // And it stays refused: the cached identity is not brought back.
    expect((await contextFrom(h.db, { bearer: token })).ctx).toMatchObject({ actor: null, rejectedToken: true });
  });

  it("refuses a cached token whose row is gone (its user deleted: cascade)", async () => {
    const { owner, token } = await ownerWithToken();
    await useUntilCached(token);
    await h.db.delete(users).where(eq(users.id, owner.id));
    expect((await contextFrom(h.db, { bearer: token })).ctx).toMatchObject({ actor: null, rejectedToken: true });
  });

  it("revoking one token leaves the owner's other cached token working, with the same actor as before", async () => {
    const { owner, org, tokenId, token } = await ownerWithToken("developer");
    const other = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "viewer" });
    await useUntilCached(token);
    await useUntilCached(other.token);
    await (await callerFrom(h.db, { session: owner })).token.revoke({ tokenId });
    expect((await contextFrom(h.db, { bearer: token })).ctx.rejectedToken).toBe(true);
    const { ctx } = await contextFrom(h.db, { bearer: other.token });
    expect(ctx.actor).toEqual({ userId: owner.id, email: owner.email, token: { id: other.row.id, orgId: org.id, role: "viewer" } });
  });
});
