/**
 * Signing in (and its throttle), the first-run owner, invitations from link to membership, and
 * API tokens from creation to the request that carries them.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, count, eq, isNull } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { apiTokens, auditEvents, invitations, memberships, signInAttempts, users } from "@/db/schema";
import { AppError } from "@/server/errors/app-error";
import { createOwner } from "@/server/users/create-owner";
import { hashPassword } from "@/server/users/password";
import { signUpWithInvitation } from "@/server/users/sign-up-with-invitation";
import { FAILURE_WINDOW_MS, MAX_FAILURES, verifyCredentials } from "@/server/users/verify-credentials";
import type { Role } from "@/server/policy/policy";
import { createTestDb } from "../support/test-db";
import { addMember, makeOrg, makeUser, userByEmail } from "../support/actors";
import { callerFrom, contextFrom } from "../support/context";
import { makeInvitation, makeToken, uniq } from "../support/fixtures";
import { snapshotAll } from "../support/db-snapshot";
import { caught } from "../support/trpc-errors";
import { callPath } from "../support/router-paths";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

const OWNER = { name: "Ada", email: "ada@example.test", password: "correct horse battery" };
const meta = { source: "ui" as const, ip: "203.0.113.9" };

/** The AppError a service call rejects with (service functions are called directly here, not through tRPC). */
async function appErrorOf(call: Promise<unknown>): Promise<AppError> {
  const err = await call.then(
    () => new Error("expected the call to fail, but it succeeded"),
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw err;
  return err;
}

async function orgWith(roles: Partial<Record<Role, { id: string }>>) {
  const org = await makeOrg(h.db, uniq("org"));
  for (const [role, user] of Object.entries(roles)) await addMember(h.db, org.id, user.id, role as Role);
  return org;
}

async function membershipRole(orgId: string, userId: string): Promise<Role | null> {
  const [m] = await h.db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return m?.role ?? null;
}

// These run in order: the owner can only be created while the database has no user.
describe("first-run owner", () => {
  it("creates the owner exactly once, even when two first-run requests race", async () => {
    const [{ n }] = await h.db.select({ n: count() }).from(users);
    expect(n).toBe(0);
    const results = await Promise.allSettled([
      createOwner({ db: h.db, input: OWNER, meta }),
      createOwner({ db: h.db, input: { ...OWNER, email: "eve@example.test" }, meta }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected");
    expect(rejected?.status === "rejected" && rejected.reason).toMatchObject({ code: "FORBIDDEN" });
    const all = await h.db.select().from(users);
    expect(all).toHaveLength(1);
    // Whichever won, the password is stored as a bcrypt hash only.
    expect(all[0].passwordHash).toMatch(/^\$2[aby]\$/);
    expect(all[0].passwordHash).not.toContain(OWNER.password);
    const audit = await h.db.select().from(auditEvents).where(eq(auditEvents.action, "user.create_owner"));
    expect(audit).toEqual([expect.objectContaining({ orgId: null, actorUserId: all[0].id, actorLabel: all[0].email, resourceType: "user", resourceId: all[0].id, source: "ui", ip: meta.ip })]);
    // Keep the rest of the file simple: make Ada the owner if Eve won the race.
    if (all[0].email !== OWNER.email) await h.db.update(users).set({ email: OWNER.email }).where(eq(users.id, all[0].id));
  });

  it("refuses a second owner", async () => {
    const before = await snapshotAll(h.db);
    const err = await appErrorOf(createOwner({ db: h.db, input: { name: "Mallory", email: "mallory@example.test", password: "another password" }, meta }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/already exists/);
    expect(await snapshotAll(h.db)).toEqual(before);
  });
});

describe("verifyCredentials", () => {
  const ip = () => `10.0.0.${uniq("").slice(1)}`;

  it("accepts the right password (email in any case) and refuses a wrong one or an unknown email", async () => {
    const at = ip();
    const ok = await verifyCredentials({ db: h.db, email: OWNER.email, password: OWNER.password, ip: at });
    expect(ok).toMatchObject({ ok: true, user: { email: OWNER.email } });
    await expect(verifyCredentials({ db: h.db, email: "  ADA@Example.TEST ", password: OWNER.password, ip: at })).resolves.toMatchObject({ ok: true });
    await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: "wrong password!", ip: at })).resolves.toEqual({ ok: false, reason: "invalid" });
    await expect(verifyCredentials({ db: h.db, email: "nobody@example.test", password: OWNER.password, ip: at })).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it(`after ${MAX_FAILURES} failures for one email + address, refuses even the right password there, not from another address`, async () => {
    const [at, elsewhere] = [ip(), ip()];
    for (let i = 0; i < MAX_FAILURES - 1; i++) {
      await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: `wrong ${i}`, ip: at })).resolves.toEqual({ ok: false, reason: "invalid" });
    }
    // Four failures do not lock: the limit is five.
    await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: OWNER.password, ip: at })).resolves.toMatchObject({ ok: true });
    await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: "wrong 5", ip: at })).resolves.toEqual({ ok: false, reason: "invalid" });

    const limited = await verifyCredentials({ db: h.db, email: OWNER.email, password: OWNER.password, ip: at });
    expect(limited).toMatchObject({ ok: false, reason: "rate_limited" });
    const retry = limited.ok === false && limited.reason === "rate_limited" ? limited.retryAfterSeconds : -1;
    expect(retry).toBeGreaterThan(FAILURE_WINDOW_MS / 1000 - 60);
    expect(retry).toBeLessThanOrEqual(FAILURE_WINDOW_MS / 1000);

    await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: OWNER.password, ip: elsewhere })).resolves.toMatchObject({ ok: true });
    // Another account from the throttled address is judged on its own.
    const other = await makeUser(h.db, `${uniq("bob")}@example.test`);
    await h.db.update(users).set({ passwordHash: await hashPassword("bob's password") }).where(eq(users.id, other.id));
    await expect(verifyCredentials({ db: h.db, email: other.email, password: "bob's password", ip: at })).resolves.toMatchObject({ ok: true });
  });

  it("forgets failures older than the window", async () => {
    const at = ip();
    const old = new Date(Date.now() - FAILURE_WINDOW_MS - 60_000);
    await h.db.insert(signInAttempts).values(Array.from({ length: MAX_FAILURES + 2 }, () => ({ email: OWNER.email, ip: at, success: false, createdAt: old })));
    await expect(verifyCredentials({ db: h.db, email: OWNER.email, password: OWNER.password, ip: at })).resolves.toMatchObject({ ok: true });
  });
});

describe("invitations", () => {
  it("create → lookup → sign up creates the person and the membership with the invited role", async () => {
    const owner = await userByEmail(h.db, OWNER.email);
    const org = await orgWith({ owner });
    const api = await callerFrom(h.db, { session: owner });
    const inv = await api.invitation.create({ orgId: org.id, email: "Grace@Example.test", role: "developer" });
    expect(inv).toMatchObject({ email: "grace@example.test", role: "developer" });
    const token = inv.path.replace(/^\/invite\//, "");
    expect(token.length).toBeGreaterThan(30);
    // Only a hash of the link is stored.
    expect(JSON.stringify(await h.db.select().from(invitations))).not.toContain(token);

    const anonymous = await callerFrom(h.db, {});
    await expect(anonymous.invitation.lookup({ token })).resolves.toEqual({ email: "grace@example.test", role: "developer", orgName: org.name, orgSlug: org.slug, hasAccount: false });

    const result = await signUpWithInvitation({ db: h.db, input: { token, name: "Grace", password: "grace's password" }, meta });
    expect(result).toEqual({ email: "grace@example.test", orgSlug: org.slug });
    const grace = await userByEmail(h.db, "grace@example.test");
    expect(grace).toMatchObject({ name: "Grace" });
    expect(await membershipRole(org.id, grace.id)).toBe("developer");
    await expect(verifyCredentials({ db: h.db, email: "grace@example.test", password: "grace's password", ip: "10.9.9.9" })).resolves.toMatchObject({ ok: true });
    const audit = await h.db.select().from(auditEvents).where(eq(auditEvents.orgId, org.id));
    expect(audit.map((a) => a.action).sort()).toEqual(["invitation.accept", "invitation.create", "user.sign_up"]);

    // The link is spent.
    expect(await caught(anonymous.invitation.lookup({ token }))).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already been used/) });
    const before = await snapshotAll(h.db);
    expect(await appErrorOf(signUpWithInvitation({ db: h.db, input: { token, name: "Grace again", password: "another password" }, meta }))).toMatchObject({ code: "CONFLICT" });
    expect(await caught((await callerFrom(h.db, { session: grace })).invitation.accept({ token }))).toMatchObject({ code: "CONFLICT" });
    expect(await snapshotAll(h.db)).toEqual(before);
  });

  it("refuses a revoked, an expired and an unknown link, writing nothing", async () => {
    const owner = await userByEmail(h.db, OWNER.email);
    const org = await orgWith({ owner });
    const api = await callerFrom(h.db, { session: owner });
    const revoked = await api.invitation.create({ orgId: org.id, email: "rev@example.test", role: "viewer" });
    await api.invitation.revoke({ invitationId: revoked.id });
    const expired = await makeInvitation(h.db, { orgId: org.id, email: "exp@example.test", expiresAt: new Date(Date.now() - 1000) });
    const cases = [
      { token: revoked.path.replace(/^\/invite\//, ""), code: "CONFLICT", message: /revoked/ },
      { token: expired.token, code: "CONFLICT", message: /expired/ },
      { token: "inv_no-such-invitation-at-all", code: "NOT_FOUND", message: /not valid/ },
    ] as const;
    const anonymous = await callerFrom(h.db, {});
    const before = await snapshotAll(h.db);
    for (const c of cases) {
      expect(await caught(anonymous.invitation.lookup({ token: c.token }))).toMatchObject({ code: c.code, message: expect.stringMatching(c.message) });
      const err = await appErrorOf(signUpWithInvitation({ db: h.db, input: { token: c.token, name: "Someone", password: "some password" }, meta }));
      expect(err).toMatchObject({ code: c.code, message: expect.stringMatching(c.message) });
    }
    expect(await snapshotAll(h.db)).toEqual(before);
  });

  it("cannot revoke an invitation that is already used or revoked (nothing changes, nothing is logged)", async () => {
    const owner = await userByEmail(h.db, OWNER.email);
    const org = await orgWith({ owner });
    const api = await callerFrom(h.db, { session: owner });
    const used = await api.invitation.create({ orgId: org.id, email: `${uniq("used")}@example.test`, role: "viewer" });
    await signUpWithInvitation({ db: h.db, input: { token: used.path.replace(/^\/invite\//, ""), name: "Used", password: "used password" }, meta });
    const revoked = await api.invitation.create({ orgId: org.id, email: `${uniq("rev")}@example.test`, role: "viewer" });
    await api.invitation.revoke({ invitationId: revoked.id });
    const before = await snapshotAll(h.db);
    for (const id of [used.id, revoked.id]) expect((await caught(api.invitation.revoke({ invitationId: id }))).code).toBe("NOT_FOUND");
    expect(await snapshotAll(h.db)).toEqual(before);
  });

  it("is accepted only by the signed-in person it addresses, never by a token", async () => {
    const owner = await userByEmail(h.db, OWNER.email);
    const org = await orgWith({ owner });
    const invitee = await makeUser(h.db, `${uniq("invitee")}@example.test`);
    const stranger = await makeUser(h.db, `${uniq("stranger")}@example.test`);
    const inv = await (await callerFrom(h.db, { session: owner })).invitation.create({ orgId: org.id, email: invitee.email, role: "admin" });
    const token = inv.path.replace(/^\/invite\//, "");
    expect(await (await callerFrom(h.db, {})).invitation.lookup({ token })).toMatchObject({ hasAccount: true });

    // The invitee's own API token (for another organization) may not accept on their behalf.
    const elsewhere = await orgWith({ owner: invitee });
    const inviteeToken = await makeToken(h.db, { orgId: elsewhere.id, userId: invitee.id, role: "owner" });
    // Authenticating records the token's use: do it before taking the "nothing written" snapshot.
    const tokenApi = await callerFrom(h.db, { bearer: inviteeToken.token });
    const before = await snapshotAll(h.db);
    const wrongPerson = await caught((await callerFrom(h.db, { session: stranger })).invitation.accept({ token }));
    expect(wrongPerson).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining(invitee.email) });
    const byToken = await caught(tokenApi.invitation.accept({ token }));
    expect(byToken.code).toBe("FORBIDDEN");
    expect(await snapshotAll(h.db)).toEqual(before);
    // An account exists already: signing up again is refused; signing in and accepting works.
    expect(await appErrorOf(signUpWithInvitation({ db: h.db, input: { token, name: "Dup", password: "dup password" }, meta }))).toMatchObject({ code: "CONFLICT" });

    await expect((await callerFrom(h.db, { session: invitee })).invitation.accept({ token })).resolves.toEqual({ orgSlug: org.slug, role: "admin" });
    expect(await membershipRole(org.id, invitee.id)).toBe("admin");
    expect(await membershipRole(org.id, stranger.id)).toBeNull();
  });

  it("refuses an invitation above what the inviter may grant", async () => {
    const owner = await userByEmail(h.db, OWNER.email);
    const admin = await makeUser(h.db, `${uniq("admin")}@example.test`);
    const dev = await makeUser(h.db, `${uniq("dev")}@example.test`);
    const org = await orgWith({ owner, admin, developer: dev });
    const before = await snapshotAll(h.db);
    // Ownership is transferred, never granted by invitation — not even by the owner.
    for (const who of [owner, admin]) {
      const e = await caught(callPath(await callerFrom(h.db, { session: who }), "invitation.create", { orgId: org.id, email: "boss@example.test", role: "owner" }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.fieldErrors).toHaveProperty(["role"]);
    }
    // A developer may not invite at all, not even a viewer.
    const e = await caught((await callerFrom(h.db, { session: dev })).invitation.create({ orgId: org.id, email: "friend@example.test", role: "viewer" }));
    expect(e.code).toBe("FORBIDDEN");
    expect(await snapshotAll(h.db)).toEqual(before);
  });
});

describe("API tokens", () => {
  const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

  it("returns the clear token once and stores only its hash", async () => {
    const dev = await makeUser(h.db, `${uniq("dev")}@example.test`);
    const org = await orgWith({ developer: dev });
    const api = await callerFrom(h.db, { session: dev });
    const created = await api.token.create({ orgId: org.id, name: "laptop", role: "developer" });
    expect(created.token).toMatch(/^slw_[A-Za-z0-9_-]{40,}$/);
    const [row] = await h.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row.tokenHash).toBe(sha256(created.token));
    expect(row.prefix).toBe(created.token.slice(0, 10));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(JSON.stringify(row)).not.toContain(created.token.slice(10));
    // Nowhere else either: not in listings, not in the audit log.
    const listed = await api.token.list({ orgId: org.id });
    expect(listed).toEqual([expect.objectContaining({ id: created.id, name: "laptop", prefix: row.prefix, role: "developer", lastUsedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(await h.db.select().from(auditEvents))).not.toContain(created.token.slice(10));
  });

  it("authenticates a request with `Authorization: Bearer`, as source api (or cli), and records its use", async () => {
    const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
    const org = await orgWith({ owner });
    await orgWith({ owner }); // a second organization the token must not show
    const created = await (await callerFrom(h.db, { session: owner })).token.create({ orgId: org.id, name: "ci", role: "admin" });

    // The address is the one the console's entry resolved for the request (client-address.ts), not a client's header.
    const { ctx, sessionAsked } = await contextFrom(h.db, { bearer: created.token, ip: "192.0.2.10" });
    expect(sessionAsked).toBe(false);
    expect(ctx.rejectedToken).toBe(false);
    expect(ctx.actor).toEqual({ userId: owner.id, email: owner.email, token: { id: created.id, orgId: org.id, role: "admin" } });
    expect(ctx.meta).toEqual({ source: "api", ip: "192.0.2.10" });
    const [used] = await h.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(used.lastUsedAt).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - (used.lastUsedAt?.getTime() ?? 0))).toBeLessThan(60_000);

    const api = await callerFrom(h.db, { bearer: created.token });
    expect(await api.viewer.me()).toEqual({ userId: owner.id, email: owner.email, viaToken: true });
    expect((await api.organization.list()).map((o) => ({ id: o.id, role: o.role }))).toEqual([{ id: org.id, role: "admin" }]);
    expect((await contextFrom(h.db, { bearer: created.token, client: "cli" })).ctx.meta.source).toBe("cli");

    // Use is recorded at minute resolution: an hour-old stamp is refreshed.
    const hourAgo = new Date(Date.now() - 3600_000);
    await h.db.update(apiTokens).set({ lastUsedAt: hourAgo }).where(eq(apiTokens.id, created.id));
    await contextFrom(h.db, { bearer: created.token });
    const [refreshed] = await h.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(refreshed.lastUsedAt?.getTime()).toBeGreaterThan(hourAgo.getTime() + 3000_000);
  });

  it("answers UNAUTHORIZED, with a clear message, for a revoked or unknown token — never falling back to the session", async () => {
    const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
    const org = await orgWith({ owner });
    const session = await callerFrom(h.db, { session: owner });
    const created = await session.token.create({ orgId: org.id, name: "old", role: "viewer" });
    await session.token.revoke({ tokenId: created.id });
    const [row] = await h.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row.revokedAt).toBeInstanceOf(Date);
    expect(await session.token.list({ orgId: org.id })).toEqual([]);

    for (const bearer of [created.token, "slw_unknown-token-value", ""]) {
      const { ctx, sessionAsked } = await contextFrom(h.db, { bearer, session: owner });
      expect(ctx).toMatchObject({ actor: null, rejectedToken: true });
      expect(sessionAsked).toBe(false);
      const api = await callerFrom(h.db, { bearer, session: owner });
      for (const call of [api.organization.list(), api.viewer.me(), api.member.list({ orgId: org.id })]) {
        expect(await caught(call)).toMatchObject({ code: "UNAUTHORIZED", message: "the API token is unknown or revoked" });
      }
    }
    // Revoking twice: the token is gone.
    expect((await caught(session.token.revoke({ tokenId: created.id }))).code).toBe("NOT_FOUND");
  });

  it("never carries more than its creator: no higher role at creation, capped after a demotion, gone after removal", async () => {
    const admin = await makeUser(h.db, `${uniq("adm")}@example.test`);
    const dev = await makeUser(h.db, `${uniq("dev")}@example.test`);
    const org = await orgWith({ admin, developer: dev });
    const otherOrg = await orgWith({ owner: admin });

    const before = await snapshotAll(h.db);
    const tooHigh = await caught((await callerFrom(h.db, { session: dev })).token.create({ orgId: org.id, name: "x", role: "admin" }));
    expect(tooHigh).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { role: [expect.stringMatching(/higher than yours \(developer\)/)] } });
    expect(await snapshotAll(h.db)).toEqual(before);

    const adminApi = await callerFrom(h.db, { session: admin });
    const created = await adminApi.token.create({ orgId: org.id, name: "deploy", role: "admin" });
    const asToken = () => callerFrom(h.db, { bearer: created.token });
    await expect((await asToken()).project.create({ orgId: org.id, name: "by-token" })).resolves.toMatchObject({ name: "by-token" });
    // Scoped to its organization, although its creator owns another one.
    expect((await caught((await asToken()).project.list({ orgId: otherOrg.id }))).code).toBe("NOT_FOUND");
    // A token cannot mint a token above itself either.
    const viewerToken = await makeToken(h.db, { orgId: org.id, userId: admin.id, role: "viewer" });
    expect((await caught((await callerFrom(h.db, { bearer: viewerToken.token })).token.create({ orgId: org.id, name: "y", role: "developer" }))).code).toBe("BAD_REQUEST");

    await h.db.update(memberships).set({ role: "viewer" }).where(and(eq(memberships.orgId, org.id), eq(memberships.userId, admin.id)));
    expect((await caught((await asToken()).project.create({ orgId: org.id, name: "after-demotion" }))).code).toBe("FORBIDDEN");
    await expect((await asToken()).member.list({ orgId: org.id })).resolves.toHaveLength(2);
    expect((await (await asToken()).organization.list()).map((o) => o.role)).toEqual(["viewer"]);

    await h.db.delete(memberships).where(and(eq(memberships.orgId, org.id), eq(memberships.userId, admin.id)));
    expect((await caught((await asToken()).member.list({ orgId: org.id }))).code).toBe("NOT_FOUND");
    expect(await (await asToken()).organization.list()).toEqual([]);
  });

  it("lists a member's own tokens to them, and everyone's to an admin", async () => {
    const admin = await makeUser(h.db, `${uniq("adm")}@example.test`);
    const viewer = await makeUser(h.db, `${uniq("view")}@example.test`);
    const org = await orgWith({ admin, viewer });
    const mine = await (await callerFrom(h.db, { session: viewer })).token.create({ orgId: org.id, name: "mine", role: "viewer" });
    const theirs = await (await callerFrom(h.db, { session: admin })).token.create({ orgId: org.id, name: "theirs", role: "admin" });
    expect((await (await callerFrom(h.db, { session: viewer })).token.list({ orgId: org.id })).map((t) => t.id)).toEqual([mine.id]);
    expect((await (await callerFrom(h.db, { session: admin })).token.list({ orgId: org.id })).map((t) => t.id).sort()).toEqual([mine.id, theirs.id].sort());
    const open = await h.db.select({ n: count() }).from(apiTokens).where(and(eq(apiTokens.orgId, org.id), isNull(apiTokens.revokedAt)));
    expect(open[0].n).toBe(2);
  });
});
