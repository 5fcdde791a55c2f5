/**
 * The router's own HTTP/1.1 client to instances (server/runtime/process/router/upstream-connection.ts),
 * against a scripted raw TCP upstream that sends exactly the bytes each case needs: chunked bodies
 * cut into single bytes, interim 1xx responses, close-delimited bodies, bodiless statuses, malformed
 * heads, keep-alive reuse and its limits, and which failures are retried.
 */
import http from "node:http";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpRouter } from "@/server/runtime/process/router/http-router";
import { Route, type Target } from "@/server/runtime/process/router/route-table";
import { ServiceMetrics } from "@/server/runtime/process/router/router-metrics";
import { UpstreamEndpoint } from "@/server/runtime/process/router/upstream-pool";

const HOST = "api.staging.shop.localhost";
const INFO = { serviceId: "svc_api", serviceName: "api" };

type RawRequest = { method: string; path: string; head: string; body: Buffer };
type Script = (req: RawRequest, socket: net.Socket) => Promise<void> | void;

type RawUpstream = { port: number; connections: number; requests: RawRequest[]; close(): Promise<void> };

const servers = new Set<net.Server>();
const sockets = new Set<net.Socket>();

/** A TCP server that reads HTTP/1.1 requests (Content-Length bodies) and answers each with `script`. */
async function rawUpstream(script: Script): Promise<RawUpstream> {
  const u: RawUpstream = {
    port: 0,
    connections: 0,
    requests: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = net.createServer((socket) => {
    u.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf: Buffer = Buffer.alloc(0);
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) break;
        const head = buf.subarray(0, end).toString("latin1");
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) break;
        const body = buf.subarray(end + 4, end + 4 + length);
        buf = buf.subarray(end + 4 + length);
        const [method, path] = head.split(" ");
        const req = { method, path, head, body };
        u.requests.push(req);
        await script(req, socket);
      }
      busy = false;
    };
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      void pump();
    });
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  u.port = (server.address() as net.AddressInfo).port;
  return u;
}

/** Writes `data` in pieces of `size` bytes, each its own write. */
async function writeInPieces(socket: net.Socket, data: string, size: number): Promise<void> {
  for (let i = 0; i < data.length; i += size) {
    await new Promise<void>((resolve) => socket.write(data.slice(i, i + size), "latin1", () => resolve()));
  }
}

type Reply = { status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: string };

function get(port: number, path: string, opts: { method?: string; agent?: http.Agent; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: { host: HOST }, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

let router: HttpRouter;

beforeEach(async () => {
  router = new HttpRouter({ port: 0, host: "127.0.0.1" });
  await router.start();
});

afterEach(async () => {
  await router.stop();
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all([...servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  servers.clear();
});

function route(...ports: number[]): void {
  router.setRoute(HOST, ports.map((port, i) => ({ id: `u${i}`, port })), INFO);
}

describe("response decoding", () => {
  it("decodes a chunked body with extensions and trailers arriving one byte at a time", async () => {
    const up = await rawUpstream((_req, socket) =>
      writeInPieces(
        socket,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-App: 1\r\n\r\n" +
          "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        1,
      ),
    );
    route(up.port);
    const r = await get(router.port, "/");
    expect(r.status).toBe(200);
    expect(r.body).toBe("hello 0123456789");
    expect(r.headers["x-app"]).toBe("1");
    // A second request on the same connection proves the message end was found exactly.
    expect((await get(router.port, "/")).body).toBe("hello 0123456789");
    expect(up.connections).toBe(1);
  });

  it("passes small binary bodies byte for byte", async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const up = await rawUpstream((_req, socket) => {
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes]));
    });
    route(up.port);
    const body = await new Promise<Buffer>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port: router.port, path: "/", headers: { host: HOST }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        })
        .on("error", reject);
    });
    expect(body.equals(bytes)).toBe(true);
  });

  it("skips interim 1xx responses and passes the final one", async () => {
    const up = await rawUpstream((_req, socket) => {
      socket.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
      socket.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    });
    route(up.port);
    const r = await get(router.port, "/");
    expect(r.status).toBe(201);
    expect(r.body).toBe("ok");
  });

  it("reads a close-delimited body to the end and does not reuse that connection", async () => {
    const up = await rawUpstream((_req, socket) => {
      socket.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
      socket.end("until the end");
    });
    route(up.port);
    expect((await get(router.port, "/")).body).toBe("until the end");
    expect((await get(router.port, "/")).body).toBe("until the end");
    expect(up.connections).toBe(2);
  });

  it("knows HEAD, 204 and 304 responses have no body, and keeps the connection", async () => {
    const up = await rawUpstream((req, socket) => {
      if (req.method === "HEAD") socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
      else if (req.path === "/204") socket.write("HTTP/1.1 204 No Content\r\n\r\n");
      else socket.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 99\r\n\r\n');
    });
    route(up.port);
    const head = await get(router.port, "/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("1234");
    expect((await get(router.port, "/204")).status).toBe(204);
    expect((await get(router.port, "/304")).status).toBe(304);
    expect(up.connections).toBe(1);
  });

  it("prefers Transfer-Encoding over Content-Length and then closes the connection", async () => {
    const up = await rawUpstream((_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n");
    });
    route(up.port);
    expect((await get(router.port, "/")).body).toBe("wxyz");
    expect((await get(router.port, "/")).body).toBe("wxyz");
    expect(up.connections).toBe(2);
  });

  it("keeps duplicate headers and drops hop-by-hop ones a Connection header names", async () => {
    const up = await rawUpstream((_req, socket) => {
      socket.write(
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n" +
          "Keep-Alive: timeout=30\r\nContent-Length: 0\r\n\r\n",
      );
    });
    route(up.port);
    const r = await get(router.port, "/");
    expect(r.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(r.headers["x-hop"]).toBeUndefined();
    expect(r.rawHeaders.filter((h) => h.toLowerCase() === "keep-alive" || h === "timeout=30")).toEqual([]);
  });

  it.each([
    ["a malformed status line", "HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n"],
    ["obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n"],
    ["a bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n"],
    ["conflicting Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"],
    ["a malformed chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"],
    ["a header larger than 64 KiB", `HTTP/1.1 200 OK\r\nX-Big: ${"b".repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`],
  ])("answers 502 for %s", async (_name, response) => {
    const up = await rawUpstream((_req, socket) => {
      socket.write(response);
    });
    route(up.port);
    const r = await get(router.port, "/").catch((err: Error) => ({ status: -1, body: err.message }));
    if (r.status === -1) {
      // Headers already went out (the malformed chunk): the client sees a broken response.
      expect(r.body).toMatch(/aborted|socket hang up|ECONNRESET/);
    } else {
      expect(r.status).toBe(502);
      expect(r.body).toContain("api (shop/staging)");
    }
  });
});

describe("connection reuse", () => {
  it("reuses one connection for sequential requests, and opens new ones after Connection: close", async () => {
    let close = false;
    const up = await rawUpstream((_req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${close ? "Connection: close\r\n" : ""}\r\nok`);
      if (close) socket.end();
    });
    route(up.port);
    for (let i = 0; i < 10; i++) expect((await get(router.port, "/")).body).toBe("ok");
    expect(up.connections).toBe(1);
    close = true;
    // The pooled connection carries the first of these and is closed after it; the others open their own.
    for (let i = 0; i < 3; i++) expect((await get(router.port, "/")).body).toBe("ok");
    expect(up.connections).toBe(3);
  });

  it("does not reuse a connection past the keep-alive timeout the instance announced", async () => {
    const up = await rawUpstream((_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok");
    });
    route(up.port);
    for (let i = 0; i < 3; i++) expect((await get(router.port, "/")).body).toBe("ok");
    // timeout=1 leaves no safe margin (the router keeps 1 s): every request gets a fresh connection.
    expect(up.connections).toBe(3);
  });

  it("retries a GET on another instance after a reset on a fresh connection, but not a POST", async () => {
    const resetter = await rawUpstream((_req, socket) => {
      socket.resetAndDestroy();
    });
    const good = await rawUpstream((req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${req.method.length}\r\n\r\n${req.method}`);
    });
    route(resetter.port, good.port);
    // Round-robin starts at the resetter.
    const r = await get(router.port, "/");
    expect(r.body).toBe("GET");
    expect(resetter.requests).toHaveLength(1);

    route(resetter.port, good.port);
    const post = await get(router.port, "/", { method: "POST", body: "charge the card" });
    // The instance may have acted on it: not sent again.
    expect(post.status).toBe(502);
    expect(resetter.requests).toHaveLength(2);
    expect(good.requests.filter((q) => q.method === "POST")).toHaveLength(0);
  });

  it("retries a POST when a kept-alive connection turns out closed", async () => {
    const perConnection = new WeakMap<net.Socket, number>();
    const flaky = await rawUpstream((_req, socket) => {
      const n = (perConnection.get(socket) ?? 0) + 1;
      perConnection.set(socket, n);
      // The second request on a connection meets the instance closing it (its keep-alive timer fired
      // as the request arrived): no answer, the request unread.
      if (n === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      else socket.destroy();
    });
    const good = await rawUpstream((req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${req.body.length}\r\n\r\n${req.body.toString()}`);
    });
    route(flaky.port);
    expect((await get(router.port, "/")).body).toBe("ok");
    route(flaky.port, good.port);
    // The route's cursor is back at the flaky instance, whose pooled connection is the one reused.
    const r = await get(router.port, "/", { method: "POST", body: "once" });
    expect(r.status).toBe(200);
    expect(r.body).toBe("once");
    expect(flaky.connections).toBe(1);
    expect(flaky.requests.map((q) => q.method)).toEqual(["GET", "POST"]);
    expect(good.requests.map((q) => q.method)).toEqual(["POST"]);
  });
});

describe("picking an instance", () => {
  it("goes round-robin, skips tried ones and avoids an instance that just refused while others are left", () => {
    const route = new Route("x.localhost", INFO, new ServiceMetrics(INFO.serviceId));
    const targets: Target[] = [1, 2, 3].map((port) => ({
      upstream: { id: `u${port}`, port },
      host: "127.0.0.1",
      port,
      endpoint: new UpstreamEndpoint("127.0.0.1", port),
    }));
    route.targets = targets;
    const ports = (n: number, tried: Target[] | null = null) => Array.from({ length: n }, () => route.pick(tried, 100)?.port);
    expect(ports(6)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(ports(2, [targets[1]])).toEqual([1, 3]);

    targets[0].endpoint.downUntil = 200;
    expect(ports(4)).toEqual([2, 3, 2, 3]);
    // All left are down: still try one rather than give up.
    expect(route.pick([targets[1], targets[2]], 100)?.port).toBe(1);
    // Time passed: back in rotation.
    expect(route.pick(null, 300)?.port).toBe(1);
  });
});
