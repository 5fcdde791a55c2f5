/**
 * What bounds the router's clients and what it answers at the edges of HTTP/1.1, on raw sockets
 * against real HTTP servers on loopback: the request-head deadline (a bounded slowloris is cut while
 * other clients keep being served; idle keep-alive connections too), the connection limit per peer
 * address, LF-only request lines (RFC 9112 §2.2), absolute-form targets routed by their authority
 * (§3.2.2), and 503 "starting" for unrouted hostnames until the routes of a restart are restored.
 */
import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HttpRouter, type HttpRouterOptions } from "@/server/runtime/process/router/http-router";
import { routerLimitsFromEnv } from "@/server/runtime/process/router/router-limits";
import { rawConnect } from "../support/raw-http";

const WEB = "web.staging.shop.localhost";
const API = "api.staging.shop.localhost";

type Seen = { service: string; method: string; url: string; host: string; forwardedHost: string };

let router: HttpRouter | null = null;
const servers: http.Server[] = [];

/** An instance that answers with what it saw (its name, method, target, Host, X-Forwarded-Host). */
async function startInstance(service: string): Promise<number> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const seen: Seen = {
        service,
        method: req.method ?? "",
        url: req.url ?? "",
        host: req.headers.host ?? "",
        forwardedHost: String(req.headers["x-forwarded-host"] ?? ""),
      };
      const body = JSON.stringify(seen);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A started router with WEB and API routed to their own instance. */
async function startRouter(opts: Partial<HttpRouterOptions> = {}, { ready = true } = {}): Promise<HttpRouter> {
  const r = new HttpRouter({ port: 0, host: "127.0.0.1", ...opts });
  router = r;
  await r.start();
  r.setRoute(WEB, [{ id: "web-1", port: await startInstance("web") }], { serviceId: "svc_web", serviceName: "web" });
  r.setRoute(API, [{ id: "api-1", port: await startInstance("api") }], { serviceId: "svc_api", serviceName: "api" });
  if (ready) r.markReady();
  return r;
}

afterEach(async () => {
  await router?.stop();
  router = null;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

const get = (host: string, path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** One request on a connection of its own. */
async function request(port: number, raw: string, opts: { localAddress?: string } = {}) {
  const c = rawConnect(port, opts);
  c.write(raw);
  try {
    return await c.response();
  } finally {
    c.destroy();
  }
}

describe("the request-head deadline", () => {
  it("cuts a slowloris at the deadline while control requests on other connections keep answering", async () => {
    const HEAD_TIMEOUT_MS = 500;
    const r = await startRouter({ headTimeoutMs: HEAD_TIMEOUT_MS, maxConnectionsPerClient: 1_000 });
    // 100 connections, each sends the start of a head, then one more header byte every 50 ms: the
    // head never completes and each byte is activity, so only a deadline on the whole head cuts them.
    const slow = Array.from({ length: 100 }, () => {
      const openedAt = performance.now();
      const c = rawConnect(r.port);
      c.write(`GET /slow HTTP/1.1\r\nHost: ${WEB}\r\nX-Slow: `);
      return { c, openedAt, closedAt: 0 };
    });
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.c.isClosed()) s.c.write("a");
    }, 50);
    const allClosed = Promise.all(
      slow.map(async (s) => {
        await s.c.closed();
        s.closedAt = performance.now();
      }),
    );
    let done = false;
    void allClosed.then(() => (done = true));
    // Control traffic: a new connection per request, one after another, until every slow one is cut.
    const control: number[] = [];
    try {
      while (!done) {
        const reply = await request(r.port, get(API, "/control", "Connection: close\r\n"));
        control.push(reply.status);
        expect(JSON.parse(reply.body)).toMatchObject({ service: "api", url: "/control" });
      }
      await allClosed;
    } finally {
      clearInterval(trickle);
    }
    expect(control.length).toBeGreaterThan(0);
    expect(control.every((status) => status === 200)).toBe(true);
    for (const s of slow) {
      // Never before the deadline (counted from the router's accept, which follows our connect).
      expect(s.closedAt - s.openedAt).toBeGreaterThanOrEqual(HEAD_TIMEOUT_MS);
      // Cut with a 408 (or reset while a trickled byte was unread): never served.
      expect(s.c.unread()).not.toContain("200 OK");
    }
    expect(r.connectionStats().headTimeouts).toBe(100);
    // Their descriptors are gone, not half-open: only the connections still closing remain.
    await vi.waitFor(() => expect(r.connectionStats().open).toBe(0), { timeout: 5_000 });
  });

  it("answers 408 to a head that stopped arriving, and closes", async () => {
    const r = await startRouter({ headTimeoutMs: 300 });
    const c = rawConnect(r.port);
    c.write(`GET /half HTTP/1.1\r\nHost: ${WEB}\r\n`);
    const reply = await c.response();
    expect(reply.status).toBe(408);
    expect(reply.headers.connection).toBe("close");
    await c.closed();
  });

  it("closes a keep-alive connection that stays idle past the deadline after its response, silently", async () => {
    const r = await startRouter({ headTimeoutMs: 300 });
    const c = rawConnect(r.port);
    c.write(get(WEB, "/first"));
    expect(JSON.parse((await c.response()).body)).toMatchObject({ url: "/first" });
    await c.closed();
    expect(c.unread()).toBe("");
    expect(r.connectionStats().headTimeouts).toBe(1);
  });

  it("does not cut a request whose head arrived, however long its response takes", async () => {
    const r = await startRouter({ headTimeoutMs: 200 });
    const port = await new Promise<number>((resolve) => {
      const slowApp = http.createServer((_req, res) => {
        // The instance answers only after several deadlines (the app's own delay, not the test waiting).
        setTimeout(() => res.end("late but served"), 700);
      });
      servers.push(slowApp);
      slowApp.listen(0, "127.0.0.1", () => resolve((slowApp.address() as net.AddressInfo).port));
    });
    r.setRoute("slow.staging.shop.localhost", [{ id: "slow-1", port }], { serviceId: "svc_slow", serviceName: "slow" });
    const reply = await request(r.port, get("slow.staging.shop.localhost", "/"));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("late but served");
  });
});

describe("the connection limit per client", () => {
  it("closes a client's connections beyond its limit at once, while other clients are served", async () => {
    const r = await startRouter({ maxConnectionsPerClient: 5, headTimeoutMs: 30_000 });
    const held = [];
    for (let i = 0; i < 5; i++) {
      const c = rawConnect(r.port);
      c.write(get(WEB, `/held-${i}`));
      // Answered: the router accepted it and it stays open (keep-alive).
      expect((await c.response()).status).toBe(200);
      held.push(c);
    }
    expect(r.connectionsFrom("127.0.0.1")).toBe(5);

    const sixth = rawConnect(r.port);
    sixth.write(get(WEB, "/sixth"));
    await sixth.closed();
    expect(sixth.unread()).toBe("");
    expect(r.connectionStats().refusedOverLimit).toBe(1);

    // Another client (another loopback address) is not affected.
    const other = await request(r.port, get(WEB, "/other"), { localAddress: "127.0.0.2" });
    expect(JSON.parse(other.body)).toMatchObject({ url: "/other" });

    // A connection closed frees its place.
    held[0].destroy();
    await vi.waitFor(() => expect(r.connectionsFrom("127.0.0.1")).toBe(4));
    const again = await request(r.port, get(WEB, "/again"));
    expect(JSON.parse(again.body)).toMatchObject({ url: "/again" });
    for (const c of held) c.destroy();
  });
});

describe("the limits' settings", () => {
  it("are read from the environment, and a bad value is refused naming the setting", () => {
    expect(routerLimitsFromEnv({})).toEqual({ headTimeoutMs: 10_000, maxConnectionsPerClient: 256 });
    expect(routerLimitsFromEnv({ SLIPWAY_ROUTER_HEAD_TIMEOUT_MS: "2500", SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT: "" })).toEqual({ headTimeoutMs: 2_500, maxConnectionsPerClient: 256 });
    expect(() => routerLimitsFromEnv({ SLIPWAY_ROUTER_HEAD_TIMEOUT_MS: "10s" })).toThrow('SLIPWAY_ROUTER_HEAD_TIMEOUT_MS must be a whole number from 100 to 3600000, not "10s"');
    expect(() => routerLimitsFromEnv({ SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT: "0" })).toThrow(/SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT must be a whole number from 1/);
  });
});

describe("LF-only requests (RFC 9112 §2.2)", () => {
  it("answers heads whose lines end in a bare LF, and forwards them with CRLF", async () => {
    const r = await startRouter();
    const lf = await request(r.port, `GET /lf HTTP/1.1\nHost: ${WEB}\nAccept: */*\n\n`);
    expect(lf.status).toBe(200);
    expect(JSON.parse(lf.body)).toMatchObject({ service: "web", url: "/lf", host: WEB });
    const old = await request(r.port, `GET /lf10 HTTP/1.0\nHost: ${API}\n\n`);
    expect(JSON.parse(old.body)).toMatchObject({ service: "api", url: "/lf10" });
    // Mixed endings, the blank line as CRLF after a bare-LF line.
    const mixed = await request(r.port, `GET /mixed HTTP/1.1\r\nHost: ${WEB}\nAccept: */*\n\r\n`);
    expect(JSON.parse(mixed.body)).toMatchObject({ url: "/mixed" });
  });

  it("ends a head at its first empty line, whatever its form, so pipelined requests stay apart", async () => {
    const r = await startRouter();
    const c = rawConnect(r.port);
    // The first head ends at "\n\n"; had the router looked for "\r\n\r\n" only, the second request
    // would have been read as part of the first.
    c.write(`GET /one HTTP/1.1\nHost: ${WEB}\n\nGET /two HTTP/1.1\r\nHost: ${API}\r\nConnection: close\r\n\r\n`);
    expect(JSON.parse((await c.response()).body)).toMatchObject({ service: "web", url: "/one" });
    expect(JSON.parse((await c.response()).body)).toMatchObject({ service: "api", url: "/two" });
    await c.closed();
  });

  it("still refuses a CR that is not followed by LF", async () => {
    const r = await startRouter();
    for (const raw of [`GET /cr HTTP/1.1\rHost: ${WEB}\r\n\r\n`, `GET /cr HTTP/1.1\r\nHost: ${WEB}\rX: y\r\n\r\n`, `GET /cr HTTP/1.1\nHost: ${WEB}\nX: a\rb\n\n`]) {
      const reply = await request(r.port, raw);
      expect(reply.status).toBe(400);
      expect(reply.headers.connection).toBe("close");
    }
  });
});

describe("absolute-form requests (RFC 9112 §3.2.2)", () => {
  it("routes by the target's authority, not Host, and forwards origin-form with that authority as Host", async () => {
    const r = await startRouter();
    const authority = `${API}:${r.port}`;
    const reply = await request(r.port, `GET http://${authority}/path?q=1 HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ service: "api", method: "GET", url: "/path?q=1", host: authority, forwardedHost: authority });
    // No path: "/"; a query only: "/?…"; the scheme and the host are case-insensitive.
    const bare = await request(r.port, `GET HTTP://API.staging.shop.localhost HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`);
    expect(JSON.parse(bare.body)).toMatchObject({ service: "api", url: "/" });
    const query = await request(r.port, `GET http://${API}?x=y HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`);
    expect(JSON.parse(query.body)).toMatchObject({ service: "api", url: "/?x=y" });
    // HTTP/1.0 without any Host header: the authority is the Host.
    const old = await request(r.port, `GET http://${API}/old HTTP/1.0\r\n\r\n`);
    expect(JSON.parse(old.body)).toMatchObject({ service: "api", url: "/old", host: API });
  });

  it("answers 404 naming the authority when it is not routed, even if Host is", async () => {
    const r = await startRouter();
    const reply = await request(r.port, `GET http://nobody.staging.shop.localhost/ HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`);
    expect(reply.status).toBe(404);
    expect(reply.body).toContain("No service is routed to nobody.staging.shop.localhost.");
  });

  it.each([
    ["another scheme", `GET ftp://${API}/ HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`],
    ["userinfo in the authority", `GET http://user@${API}/ HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`],
    ["an empty authority", `GET http:///path HTTP/1.1\r\nHost: ${WEB}\r\n\r\n`],
  ])("refuses %s with 400", async (_what, raw) => {
    const r = await startRouter();
    const reply = await request(r.port, raw);
    expect(reply.status).toBe(400);
  });
});

describe("503 starting until the routes of a restart are restored", () => {
  it("answers unrouted hostnames 503 with retry-after while starting, serves routed ones, then 404 once ready", async () => {
    const r = await startRouter({}, { ready: false });
    const starting = await request(r.port, get("restoring.staging.shop.localhost"));
    expect(starting.status).toBe(503);
    expect(starting.headers["retry-after"]).toBe("2");
    expect(starting.body).toContain("Slipway is starting");
    // Routes already restored are served meanwhile.
    expect(JSON.parse((await request(r.port, get(WEB, "/meanwhile"))).body)).toMatchObject({ service: "web" });
    // A WebSocket handshake to an unrouted hostname gets the same answer.
    const upgrade = await request(r.port, `GET /ws HTTP/1.1\r\nHost: restoring.staging.shop.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
    expect(upgrade.status).toBe(503);

    r.markReady();
    const missing = await request(r.port, get("restoring.staging.shop.localhost"));
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("No service is routed to restoring.staging.shop.localhost.");
  });
});
