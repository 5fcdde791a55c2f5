/** cli.login through createCaller: password check and its rate limit, organization choice, the token it makes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { apiTokens, auditEvents, users } from "@/db/schema";
import { createOwner } from "@/server/users/create-owner";
import { hashPassword } from "@/server/users/password";
import { MAX_FAILURES } from "@/server/users/verify-credentials";
import { createTestDb } from "../support/test-db";
import { addMember, makeOrg } from "../support/actors";
import { callerFrom } from "../support/context";
import { caught } from "../support/trpc-errors";

const PASSWORD = "a long enough password";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

async function person(email: string) {
  const [u] = await h.db.insert(users).values({ email, name: email.split("@")[0], passwordHash: await hashPassword(PASSWORD) }).returning();
  return u;
}

const login = async (input: { email: string; password: string; org?: string; hostname?: string }, ip = "10.0.0.1") =>
  (await callerFrom(h.db, { client: "cli", ip })).cli.login(input);

describe("cli.login", () => {
  it("creates a cli@<host> token with the person's role in their only organization, audited as cli", async () => {
    const owner = await createOwner({ db: h.db, input: { name: "Owner", email: "owner@example.test", password: PASSWORD }, meta: { source: "ui", ip: null } });
    const org = await makeOrg(h.db, "solo");
    await addMember(h.db, org.id, owner.id, "developer");
    const result = await login({ email: "Owner@Example.test", password: PASSWORD, hostname: "laptop.local" });
    expect(result).toMatchObject({ org: { slug: "solo", name: "solo" }, role: "developer" });
    expect(result.token).toMatch(/^slw_/);
    const [row] = await h.db.select().from(apiTokens).where(eq(apiTokens.id, result.tokenId));
    expect(row).toMatchObject({ name: "cli@laptop.local", role: "developer", orgId: org.id, userId: owner.id });
    const [event] = await h.db.select().from(auditEvents).where(eq(auditEvents.resourceId, row.id));
    expect(event).toMatchObject({ action: "token.create", source: "cli", ip: "10.0.0.1", actorUserId: owner.id });
    // The token works, as the CLI uses it.
    const api = await callerFrom(h.db, { bearer: result.token, client: "cli" });
    expect((await api.organization.list()).map((o) => o.slug)).toEqual(["solo"]);
    // A host name is kept printable; none at all gives "cli@cli".
    expect((await login({ email: "owner@example.test", password: PASSWORD, hostname: "we ird/host\n" })).tokenId).toBeDefined();
    const names = (await h.db.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.userId, owner.id))).map((t) => t.name);
    expect(names).toContain("cli@weirdhost");
    await login({ email: "owner@example.test", password: PASSWORD });
    expect((await h.db.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.userId, owner.id))).map((t) => t.name)).toContain("cli@cli");
  });

  it("asks which organization when there are several, and accepts --org", async () => {
    const u = await person("multi@example.test");
    for (const slug of ["beta", "alpha"]) {
      const o = await makeOrg(h.db, slug);
      await addMember(h.db, o.id, u.id, slug === "alpha" ? "admin" : "viewer");
    }
    const err = await caught(login({ email: u.email, password: PASSWORD }));
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: "you belong to several organizations; choose one with --org: alpha, beta" });
    expect((await login({ email: u.email, password: PASSWORD, org: "beta" })).role).toBe("viewer");
    expect((await caught(login({ email: u.email, password: PASSWORD, org: "gamma" }))).message).toBe('you are not a member of an organization "gamma"; yours: alpha, beta');
  });

  it("refuses a wrong password with one message, rate-limits, and never creates a token then", async () => {
    const u = await person("guess@example.test");
    const o = await makeOrg(h.db, "guessed");
    await addMember(h.db, o.id, u.id, "owner");
    const tokensBefore = (await h.db.select().from(apiTokens)).length;
    expect(await caught(login({ email: u.email, password: "wrong password" }, "10.9.9.9"))).toMatchObject({ code: "UNAUTHORIZED", message: "wrong email or password" });
    expect(await caught(login({ email: "nobody@example.test", password: "wrong password" }, "10.9.9.9"))).toMatchObject({ code: "UNAUTHORIZED", message: "wrong email or password" });
    for (let i = 1; i < MAX_FAILURES; i++) await caught(login({ email: u.email, password: "wrong password" }, "10.9.9.9"));
    const limited = await caught(login({ email: u.email, password: PASSWORD }, "10.9.9.9"));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
    expect(limited.message).toMatch(/too many failed sign-ins .* try again in \d+ minute/);
    expect((await h.db.select().from(apiTokens)).length).toBe(tokensBefore);
    // Another address is not held back by these failures.
    expect((await login({ email: u.email, password: PASSWORD }, "10.9.9.10")).role).toBe("owner");
  });

  it("a person in no organization is told to create one", async () => {
    const u = await person("lonely@example.test");
    expect(await caught(login({ email: u.email, password: PASSWORD }))).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("not a member of any organization") });
  });

  it("a bad bearer token is refused even here (the CLI never sends one to login)", async () => {
    const api = await callerFrom(h.db, { bearer: "slw_bogus", client: "cli" });
    expect((await caught(api.cli.login({ email: "owner@example.test", password: PASSWORD }))).code).toBe("UNAUTHORIZED");
  });
});
