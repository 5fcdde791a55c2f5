/**
 * /metrics without a token: served to a direct loopback connection, judged by the socket, and refused
 * to the apps' users (a uid from the service range), found as the owner of the
 * client's socket in /proc/net/tcp. Real clients: child processes, as those uids (needs root).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { configureTrustedProxies } from "@/server/auth/client-address";
import { installClientAddressHook } from "@/server/http/client-address-hook";
import { checkMetricsAccess } from "@/server/metrics/metrics-access";
import { serviceUidRange } from "@/server/config/service-uids";
import { getAsUid } from "../support/get-as-uid";

let server: http.Server;
let port: number;

beforeAll(async () => {
  installClientAddressHook();
  // What app/metrics/route.ts does, on a plain server: the route sees headers only.
  server = http.createServer((req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    void checkMetricsAccess(headers, "").then((access) => {
      res.writeHead(access.ok ? 200 : access.status, { "content-type": "text/plain" }).end(access.ok ? "metrics\n" : access.message);
    });
  });
  // Dual stack: an IPv4 client shows as ::ffff:127.0.0.1, and its socket is in /proc/net/tcp, not tcp6.
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  configureTrustedProxies("");
  await new Promise((resolve) => server?.close(resolve));
});

const fetchAs = (opts: { uid?: number; host: string; headers?: Record<string, string> }) => getAsUid({ ...opts, port, path: "/metrics" });

const asRoot = process.getuid?.() === 0;

describe("/metrics on loopback without a token", () => {
  it("serves this machine's own users over IPv4 and IPv6 loopback", async () => {
    expect(await fetchAs({ host: "127.0.0.1" })).toEqual({ status: 200, body: "metrics\n" });
    expect(await fetchAs({ host: "::1" })).toEqual({ status: 200, body: "metrics\n" });
  });

  it.runIf(asRoot)("refuses a client running as a service uid (IPv4 and IPv6)", async () => {
    const uid = serviceUidRange().first + 123;
    for (const host of ["127.0.0.1", "::1"]) {
      const r = await fetchAs({ uid, host });
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/not served to the apps Slipway runs/);
    }
    // The same uid's neighbour outside the range (a person's account, say) is served.
    expect((await fetchAs({ uid: serviceUidRange().first - 1, host: "127.0.0.1" })).status).toBe(200);
  });

  it("ignores forwarding headers from an untrusted peer, and refuses what a trusted proxy forwards", async () => {
    // Claims of being elsewhere do not make a loopback client remote, nor the reverse.
    expect((await fetchAs({ host: "127.0.0.1", headers: { "x-forwarded-for": "203.0.113.9", "x-slipway-client-address": "x 127.0.0.1 127.0.0.1 1 - 1" } })).status).toBe(200);
    configureTrustedProxies("127.0.0.1, ::1");
    try {
      // Through a proxy the console cannot tell which local user connected: the token is needed.
      const r = await fetchAs({ host: "127.0.0.1", headers: { "x-forwarded-for": "127.0.0.1" } });
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/loopback clients only/);
    } finally {
      configureTrustedProxies("");
    }
  });
});
