/**
 * The built console serves /api/trpc/ from its own handler (scripts/console-server.mjs →
 * server/api/node-handler.ts), outside Next's request pipeline. It must authenticate exactly as the
 * Next route does: the next-auth session cookie (decoded without `auth()`), bearer tokens, nothing
 * else; and record the caller's address by the console's one rule (the socket's, unless a trusted proxy said otherwise).
 *
 * Needs a production build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";

const EMAIL = "owner@example.test";
const PASSWORD = "fast-lane-password-1";

let server: ServerHandle;
let temp: { dir: string; remove: () => void };
let cookie: string;

beforeAll(async () => {
  assertBuilt();
  temp = makeTempDir("slipway-fast-lane");
  server = await startServer({ dataDir: temp.dir, env: { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD } });
  cookie = await signIn(server.url, EMAIL, PASSWORD);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  temp?.remove();
});

/** A raw tRPC query over HTTP (GET, superjson input), returning the status and the parsed body. */
async function query(path: string, headers: Record<string, string>, input?: unknown) {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await fetch(`${server.url}/api/trpc/${path}${q}`, { headers });
  return { status: res.status, body: (await res.json()) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string } } } };
}

describe("the /api/trpc fast lane", () => {
  it("reads the next-auth session cookie as auth() does", async () => {
    const me = await query("viewer.me", { cookie });
    expect(me.status).toBe(200);
    expect(me.body.result?.data?.json).toMatchObject({ email: EMAIL });
  });

  it("refuses a tampered or foreign session cookie, and no credentials at all, with 401", async () => {
    const [name, value] = cookie.split("=");
    const flipped = `${name}=${value.slice(0, 40)}${value[40] === "A" ? "B" : "A"}${value.slice(41)}`;
    const attempts: Record<string, string>[] = [{ cookie: flipped }, { cookie: `${name}=not-a-jwt` }, { cookie: `other=${value}` }, {}];
    for (const headers of attempts) {
      const res = await query("organization.list", headers);
      expect(res.status).toBe(401);
    }
  });

  it("takes API tokens, and refuses an unknown one without falling back to the cookie", async () => {
    const api = trpcClient(server.url, { cookie });
    const org = await api.organization.create.mutate({ name: "Fast Lane", slug: "fast-lane" });
    const { token } = await api.token.create.mutate({ orgId: org.id, name: "ci", role: "viewer" });
    const ok = await query("organization.list", { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const bad = await query("organization.list", { authorization: "Bearer slp_unknown", cookie });
    expect(bad.status).toBe(401);
    expect(bad.body.error?.json?.message).toBe("the API token is unknown or revoked");
  });

  it("records the socket's address in the audit log, whatever forwarding headers an untrusted client sends", async () => {
    const direct = trpcClient(server.url, { cookie });
    const org = await direct.organization.create.mutate({ name: "Audited", slug: "audited" });
    // No SLIPWAY_TRUSTED_PROXIES: the peer (this test) is no proxy, so its claim is ignored.
    // (A trusted proxy's header is followed: tests/process/client-address-and-limits.test.ts.)
    const claiming = await fetch(`${server.url}/api/trpc/project.create`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "x-forwarded-for": "203.0.113.9, 10.0.0.1" },
      body: JSON.stringify({ json: { orgId: org.id, name: "behind-proxy" } }),
    });
    expect(claiming.status).toBe(200);
    const events = (await direct.audit.list.query({ orgId: org.id })).items;
    expect(events.find((e) => e.action === "organization.create")?.ip).toBe("127.0.0.1");
    expect(events.find((e) => e.action === "project.create")?.ip).toBe("127.0.0.1");
  });
});
