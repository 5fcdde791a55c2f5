/**
 * Client addresses come from the socket unless a trusted proxy (SLIPWAY_TRUSTED_PROXIES) says
 * otherwise: sign-in limits and audit events through the console's real /api/trpc handler over HTTP
 * (cli.login is the CLI's sign-in; it goes through the same verifyCredentials as the sign-in page).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import superjson from "superjson";
import type { DbHandle } from "@/db/client";
import { auditEvents, signInAttempts, users } from "@/db/schema";
import { configureTrustedProxies, parseTrustedProxies, resolveClientAddress } from "@/server/auth/client-address";
import { hashPassword } from "@/server/users/password";
import { MAX_FAILURES } from "@/server/users/verify-credentials";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { startApiServer } from "../support/api-server";

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});
afterEach(() => configureTrustedProxies(""));

/** A person with a password, member of one organization (cli.login needs one). */
async function person(password: string) {
  const user = await makeUser(h.db);
  await h.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, user.id));
  const org = await makeOrg(h.db);
  await addMember(h.db, org.id, user.id, "developer");
  return { user, org };
}

async function cliLogin(email: string, password: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/trpc/cli.login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(superjson.serialize({ email, password })),
  });
  const body = (await res.json()) as { error?: { json: { message: string } } };
  return { status: res.status, message: body.error?.json.message ?? null };
}

describe("the rule", () => {
  const get = (headers: Record<string, string>) => (name: string) => headers[name];

  it("takes the socket's peer unless it is a trusted proxy, then the right-most untrusted hop", () => {
    const none = parseTrustedProxies("");
    expect(resolveClientAddress("127.0.0.1", get({ "x-forwarded-for": "203.0.113.9" }), none)).toBe("127.0.0.1");
    expect(resolveClientAddress("::ffff:127.0.0.1", get({ "x-real-ip": "203.0.113.9" }), none)).toBe("127.0.0.1");

    const proxies = parseTrustedProxies("10.0.0.0/8, 127.0.0.1 fd00::/8");
    // The client may write anything left of the proxies; only what the nearest untrusted hop is counts.
    expect(resolveClientAddress("127.0.0.1", get({ "x-forwarded-for": "1.1.1.1, 203.0.113.9, 10.1.2.3" }), proxies)).toBe("203.0.113.9");
    expect(resolveClientAddress("::ffff:10.0.0.7", get({ "x-forwarded-for": "198.51.100.4" }), proxies)).toBe("198.51.100.4");
    expect(resolveClientAddress("fd00::1", get({ forwarded: 'for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"' }), proxies)).toBe("2001:db8::17");
    expect(resolveClientAddress("127.0.0.1", get({ "x-real-ip": "198.51.100.5" }), proxies)).toBe("198.51.100.5");
    // All hops trusted: the furthest one. A hop that is no address ends the walk at the last trusted one.
    expect(resolveClientAddress("127.0.0.1", get({ "x-forwarded-for": "10.0.0.9, 10.0.0.8" }), proxies)).toBe("10.0.0.9");
    expect(resolveClientAddress("127.0.0.1", get({ "x-forwarded-for": "203.0.113.1, unknown, 10.0.0.8" }), proxies)).toBe("10.0.0.8");
    // A trusted proxy that sent no header is the client.
    expect(resolveClientAddress("10.0.0.7", get({}), proxies)).toBe("10.0.0.7");
  });

  it("refuses a setting that is not an address or range, naming it", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/SLIPWAY_TRUSTED_PROXIES: "10.0.0.0\/33"/);
    expect(() => parseTrustedProxies("proxy.example")).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => parseTrustedProxies("fd00::/129")).toThrow(/SLIPWAY_TRUSTED_PROXIES/);
  });
});

describe("over HTTP from an untrusted peer (no trusted proxies: the default)", () => {
  it("keeps the sign-in lock under rotated X-Forwarded-For, refusing the right password too", async () => {
    const { user } = await person("the right password");
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await cliLogin(user.email, `guess ${i}`, { "x-forwarded-for": `203.0.113.${i + 1}` })).toEqual({ status: 401, message: "wrong email or password" });
    }
    const claims: Record<string, string>[] = [{ "x-forwarded-for": "198.51.100.77" }, { forwarded: "for=198.51.100.78" }, { "x-real-ip": "198.51.100.79" }];
    for (const forged of claims) {
      const r = await cliLogin(user.email, "another guess", forged);
      expect(r.status).toBe(429);
      expect(r.message).toMatch(/too many failed sign-ins/);
    }
    expect((await cliLogin(user.email, "the right password", { "x-forwarded-for": "192.0.2.200" })).status).toBe(429);
    // Every attempt was recorded under the socket's address, none under a forged one.
    const ips = await h.db.selectDistinct({ ip: signInAttempts.ip }).from(signInAttempts).where(eq(signInAttempts.email, user.email));
    expect(ips).toEqual([{ ip: "127.0.0.1" }]);
  });

  it("cannot lock someone else out by claiming their address", async () => {
    const { user } = await person("victim's password");
    await h.db.insert(signInAttempts).values(Array.from({ length: MAX_FAILURES }, () => ({ email: user.email, ip: "192.0.2.55", success: false })));
    // The victim's address is locked; a client that claims it is not the victim.
    expect((await cliLogin(user.email, "victim's password", { "x-forwarded-for": "192.0.2.55" })).status).toBe(200);
  });

  it("records the socket's address in audit events", async () => {
    const { user, org } = await person("pw for audit");
    expect((await cliLogin(user.email, "pw for audit", { "x-forwarded-for": "203.0.113.66", "x-slipway-client-address": "forged 203.0.113.67 203.0.113.67 1 - 1" })).status).toBe(200);
    const [event] = await h.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, "token.create")));
    expect(event.ip).toBe("127.0.0.1");
  });
});

describe("over HTTP from a trusted proxy (SLIPWAY_TRUSTED_PROXIES=127.0.0.1)", () => {
  it("follows the proxy's header: limits per reported client, audit with the reported address", async () => {
    configureTrustedProxies("127.0.0.1");
    const { user, org } = await person("proxied password");
    for (let i = 0; i < MAX_FAILURES; i++) expect((await cliLogin(user.email, `guess ${i}`, { "x-forwarded-for": "198.51.100.10" })).status).toBe(401);
    // That client is locked, even with the right password…
    expect((await cliLogin(user.email, "proxied password", { "x-forwarded-for": "198.51.100.10" })).status).toBe(429);
    expect((await cliLogin(user.email, "proxied password", { forwarded: "for=198.51.100.10" })).status).toBe(429);
    // …another client behind the same proxy is not.
    expect((await cliLogin(user.email, "proxied password", { "x-forwarded-for": "1.2.3.4, 198.51.100.11" })).status).toBe(200);
    const [event] = await h.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, "token.create")));
    expect(event.ip).toBe("198.51.100.11");
  });

  it("still takes the socket's address for an audit event when the proxy sent no header", async () => {
    configureTrustedProxies("127.0.0.1");
    const owner = await makeUser(h.db);
    const org = await callerFor(h.db, actorOf(owner)).organization.create({ name: "Proxied", slug: `proxied-${Date.now()}` });
      await h.db.update(users).set({ passwordHash: await hashPassword("owner pw") }).where(eq(users.id, owner.id));
    expect((await cliLogin(owner.email, "owner pw")).status).toBe(200);
    const [event] = await h.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, "token.create")));
    expect(event.ip).toBe("127.0.0.1");
  });
});
