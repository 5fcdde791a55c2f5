/**
 * The built console (scripts/console-server.mjs) as a real process: client addresses from the socket
 * unless SLIPWAY_TRUSTED_PROXIES says otherwise, through next-auth's sign-in (the Credentials
 * callback: a Next route) and the /api/trpc fast lane; request bodies bounded on both, with the
 * console's own RSS read from /proc while a 400 MB body is thrown at it.
 *
 * Needs a production build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import { assertBuilt, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";
import { postBigBody } from "../support/big-body";
import { getAsUid } from "../support/get-as-uid";
import { serviceUidRange } from "@/server/config/service-uids";

const EMAIL = "owner@example.test";
const PASSWORD = "client-address-password-1";
const MIB = 1024 * 1024;
const MB400 = 400 * 1000 * 1000;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;

async function start(env: Record<string, string>) {
  const temp = makeTempDir("slipway-client-address");
  const server = await startServer({ dataDir: temp.dir, env: { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_ENGINE: "off", SLIPWAY_METRICS_TOKEN: undefined, ...env } });
  return { server, temp };
}

describe("no trusted proxy (the default)", () => {
  let server: ServerHandle;
  let temp: { remove: () => void };
  let viewerToken: string;
  beforeAll(async () => {
    assertBuilt();
    ({ server, temp } = await start({}));
    const api = trpcClient(server.url, { cookie: await signIn(server.url, EMAIL, PASSWORD) });
    const org = await api.organization.create.mutate({ name: "Limits", slug: "limits" });
    viewerToken = (await api.token.create.mutate({ orgId: org.id, name: "viewer", role: "viewer" })).token;
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    temp?.remove();
  });

  it("keeps the sign-in lock under rotated X-Forwarded-For, the right password refused too", async () => {
    for (let i = 0; i < 5; i++) await expect(signIn(server.url, EMAIL, `wrong ${i}`, { "x-forwarded-for": `203.0.113.${i + 1}` })).rejects.toThrow(/failed/);
    await expect(signIn(server.url, EMAIL, PASSWORD, { "x-forwarded-for": "198.51.100.50" })).rejects.toThrow(/failed/);
    await expect(signIn(server.url, EMAIL, PASSWORD, { "x-real-ip": "198.51.100.51", forwarded: "for=198.51.100.51" })).rejects.toThrow(/failed/);
  });

  it.runIf(process.getuid?.() === 0)("serves /metrics (no token set) to this machine's users on loopback, not to a service uid", async () => {
    const get = (uid?: number) => getAsUid({ uid, host: "127.0.0.1", port: server.port, path: "/metrics" });
    expect((await get()).status).toBe(200);
    const app = await get(serviceUidRange().first + 7);
    expect(app.status).toBe(403);
    expect(app.body).toContain("not served to the apps Slipway runs");
  });

  it("answers 413 to a 400 MB body on /api/trpc with a viewer token, and on a Next route, without its memory growing", async () => {
    const url = `${server.url}/api/trpc/project.create`;
    const headers = { "content-type": "application/json", authorization: `Bearer ${viewerToken}` };
    // Warm the path (code loaded, buffers allocated once): the measure is what the big bodies add.
    expect((await postBigBody({ url, headers, totalBytes: 4 * MIB, declareLength: false })).status).toBe(413);
    const before = rssOf(server.pid);
    for (const declareLength of [true, false]) {
      const r = await postBigBody({ url, headers, totalBytes: MB400, declareLength });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.json.message).toContain("the request body is larger than 1 MiB (SLIPWAY_MAX_BODY_BYTES");
      expect(r.bytesSent).toBeLessThan(64 * MIB);
    }
    const next = await postBigBody({ url: `${server.url}/api/auth/callback/credentials`, headers: { "content-type": "application/x-www-form-urlencoded" }, totalBytes: MB400, declareLength: true });
    expect(next.status).toBe(413);
    expect(next.body).toContain("the request body is larger than 1 MiB (SLIPWAY_MAX_BODY_BYTES");
    expect(next.bytesSent).toBeLessThan(64 * MIB);
    const grown = rssOf(server.pid) - before;
    console.log(`[measure] console RSS ${(before / MIB).toFixed(1)} MiB, +${(grown / MIB).toFixed(1)} MiB after three 400 MB bodies`);
    expect(grown).toBeLessThan(16 * MIB);
  });
});

describe("behind a trusted proxy (SLIPWAY_TRUSTED_PROXIES=127.0.0.1)", () => {
  let server: ServerHandle;
  let temp: { remove: () => void };
  beforeAll(async () => {
    assertBuilt();
    ({ server, temp } = await start({ SLIPWAY_TRUSTED_PROXIES: "127.0.0.1" }));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    temp?.remove();
  });

  it("follows the proxy's header: the lock is per reported client, audit events carry the reported address", async () => {
    for (let i = 0; i < 5; i++) await expect(signIn(server.url, EMAIL, `wrong ${i}`, { "x-forwarded-for": "198.51.100.10" })).rejects.toThrow(/failed/);
    await expect(signIn(server.url, EMAIL, PASSWORD, { "x-forwarded-for": "198.51.100.10" })).rejects.toThrow(/failed/);
    // Another client behind the proxy signs in; what it wrote left of the proxy's entry does not count.
    const cookie = await signIn(server.url, EMAIL, PASSWORD, { "x-forwarded-for": "198.51.100.10, 203.0.113.9" });
    const org = await trpcClient(server.url, { cookie }).organization.create.mutate({ name: "Proxied", slug: "proxied" });
    const viaProxy = await fetch(`${server.url}/api/trpc/project.create`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "x-forwarded-for": "192.0.2.1, 203.0.113.9" },
      body: JSON.stringify({ json: { orgId: org.id, name: "behind-proxy" } }),
    });
    expect(viaProxy.status).toBe(200);
    const events = (await trpcClient(server.url, { cookie }).audit.list.query({ orgId: org.id })).items;
    // The proxy (127.0.0.1) sent no header for the organization: the socket's address.
    expect(events.find((e) => e.action === "organization.create")?.ip).toBe("127.0.0.1");
    expect(events.find((e) => e.action === "project.create")?.ip).toBe("203.0.113.9");
  });
});
