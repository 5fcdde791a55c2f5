/**
 * The process runtime's HTTP router, against real HTTP servers on 127.0.0.1 ephemeral ports:
 * routing, round-robin, retries, error pages, atomic upstream swaps under load, WebSocket passthrough,
 * header handling, metrics, aborts and shutdown.
 */
import crypto from "node:crypto";
import http from "node:http";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpRouter, latencyPercentile, type RouterSample, type Upstream } from "@/server/runtime/process/router/http-router";

const HOST = "web.staging.shop.localhost";
const INFO = { serviceId: "svc_web", serviceName: "web" };

// ---------------------------------------------------------------------------------------------
// Test upstreams: real servers that say who they are and can be drained like a stopping instance.

type TestUpstream = {
  name: string;
  port: number;
  server: http.Server;
  hits: number;
  inFlight: number;
  /** Requests seen, newest last (method, url, headers). */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
  /** Stops like a real instance: close the listener, let requests in flight finish, then close every connection. */
  drain(): Promise<void>;
  /** Dies at once: every connection reset. */
  kill(): Promise<void>;
  upstream(): Upstream;
};

const liveServers = new Set<http.Server>();
/** Upgraded upstream sockets, which leave their server's connection list. */
const liveSockets = new Set<net.Socket>();

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, u: TestUpstream) => void;

function defaultHandler(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, u: TestUpstream): void {
  const url = new URL(req.url ?? "/", "http://x");
  const status = Number(url.searchParams.get("status") ?? 200);
  const delay = Number(url.searchParams.get("delay") ?? 0);
  const reply = () => {
    const payload = JSON.stringify({ upstream: u.name, method: req.method, url: req.url, bodyLength: body.length, bodySha: sha(body) });
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  };
  // The app itself is slow here (a real delay of the instance), not the test waiting.
  if (delay > 0) setTimeout(reply, delay);
  else reply();
}

async function startUpstream(name: string, handler: Handler = defaultHandler): Promise<TestUpstream> {
  const server = http.createServer();
  liveServers.add(server);
  let drained: (() => void) | null = null;
  const u: TestUpstream = {
    name,
    port: 0,
    server,
    hits: 0,
    inFlight: 0,
    seen: [],
    drain: () =>
      new Promise<void>((resolve) => {
        server.close();
        const finish = () => {
          server.closeAllConnections();
          liveServers.delete(server);
          resolve();
        };
        if (u.inFlight === 0) finish();
        else drained = finish;
      }),
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        liveServers.delete(server);
      }),
    upstream: () => ({ id: name, port: u.port }),
  };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    u.hits++;
    u.inFlight++;
    res.on("close", () => {
      u.inFlight--;
      if (u.inFlight === 0 && drained) {
        const d = drained;
        drained = null;
        d();
      }
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      u.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body, u);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  u.port = (server.address() as net.AddressInfo).port;
  return u;
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function sha(b: Buffer): string {
  return crypto.createHash("sha256").update(b).digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Client side.

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string; raw: Buffer };

function send(
  port: number,
  opts: { host: string; path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; agent?: http.Agent },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/",
        headers: { host: opts.host, ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString(), raw });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

function json(r: Reply): { upstream: string; method: string; url: string; bodyLength: number; bodySha: string } {
  return JSON.parse(r.body);
}

/** Polls a condition (a state of the system, not a duration). */
async function waitUntil(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---------------------------------------------------------------------------------------------

let router: HttpRouter;

beforeEach(async () => {
  router = new HttpRouter({ port: 0, host: "127.0.0.1" });
  await router.start();
  // Nothing to restore here: unrouted hostnames answer 404 (router-hardening.test.ts covers the 503 before).
  router.markReady();
});

afterEach(async () => {
  await router.stop();
  for (const s of liveSockets) s.destroy();
  liveSockets.clear();
  await Promise.all(
    [...liveServers].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
  liveServers.clear();
});

describe("routing", () => {
  it("routes by Host, ignoring the port part and case", async () => {
    const web = await startUpstream("web");
    const api = await startUpstream("api");
    router.setRoute(HOST, [web.upstream()], INFO);
    router.setRoute("API.staging.shop.localhost", [api.upstream()], { serviceId: "svc_api", serviceName: "api" });

    expect(json(await send(router.port, { host: HOST })).upstream).toBe("web");
    expect(json(await send(router.port, { host: `${HOST}:8000` })).upstream).toBe("web");
    expect(json(await send(router.port, { host: "WEB.Staging.SHOP.localhost:8000" })).upstream).toBe("web");
    expect(json(await send(router.port, { host: "api.staging.shop.localhost" })).upstream).toBe("api");
    expect(json(await send(router.port, { host: "api.staging.shop.localhost.", path: "/x?y=1" }))).toMatchObject({
      upstream: "api",
      url: "/x?y=1",
    });

    expect(router.routes().map((r) => r.hostname).sort()).toEqual(["api.staging.shop.localhost", HOST]);
    expect(router.routes().find((r) => r.hostname === HOST)?.upstreams).toEqual([{ id: "web", port: web.port }]);

    router.removeRoute("api.staging.shop.localhost");
    expect((await send(router.port, { host: "api.staging.shop.localhost" })).status).toBe(404);
  });

  it("spreads requests round-robin over the instances", async () => {
    const ups = await Promise.all(["a", "b", "c"].map((n) => startUpstream(n)));
    router.setRoute(HOST, ups.map((u) => u.upstream()), INFO);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const name = json(await send(router.port, { host: HOST, agent })).upstream;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    agent.destroy();
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  it("retries on another instance when one is down, for GET and small POST bodies", async () => {
    const ups = await Promise.all(["a", "b", "c"].map((n) => startUpstream(n)));
    router.setRoute(HOST, ups.map((u) => u.upstream()), INFO);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    // Warm the router's keep-alive pools, then kill one instance: its pooled sockets go stale too.
    for (let i = 0; i < 6; i++) expect((await send(router.port, { host: HOST, agent })).status).toBe(200);
    await ups[1].kill();

    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? send(router.port, { host: HOST, method: "POST", body: `payload-${i}`, agent })
          : send(router.port, { host: HOST, agent }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(new Set(replies.map((r) => json(r).upstream))).toEqual(new Set(["a", "c"]));
    const post = replies.find((r) => json(r).method === "POST");
    expect(post && json(post).bodyLength).toBeGreaterThan(0);
    agent.destroy();
  });
});

describe("error pages", () => {
  it("answers 404 naming the hostname when nothing is routed there", async () => {
    const r = await send(router.port, { host: "nope.staging.shop.localhost:8000" });
    expect(r.status).toBe(404);
    expect(r.headers["content-type"]).toContain("text/plain");
    expect(r.body).toContain("nope.staging.shop.localhost");
    expect(r.body).toMatch(/no service is routed/i);

    const html = await send(router.port, { host: "<script>x</script>.localhost", headers: { accept: "text/html,*/*" } });
    expect(html.status).toBe(404);
    expect(html.headers["content-type"]).toContain("text/html");
    expect(html.body).not.toContain("<script>");
    expect(html.body).toContain("&#60;script&#62;x&#60;/script&#62;.localhost");
  });

  it("answers 503 with retry-after when the service has no instance", async () => {
    router.setRoute(HOST, [], INFO);
    const r = await send(router.port, { host: HOST });
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("5");
    expect(r.body).toContain("The service web (shop/staging) has no healthy instance right now");

    router.setRoute("shop.example.com", [], { ...INFO, projectName: "shop", environmentName: "production" });
    expect((await send(router.port, { host: "shop.example.com" })).body).toContain("The service web (shop/production)");
  });

  it("answers 502 naming the service when every instance fails", async () => {
    router.setRoute(HOST, [{ id: "x", port: await deadPort() }, { id: "y", port: await deadPort() }], INFO);
    const r = await send(router.port, { host: HOST, headers: { accept: "text/html" } });
    expect(r.status).toBe(502);
    expect(r.body).toContain("web (shop/staging)");
    const snap = router.metrics(INFO.serviceId);
    expect(snap.byCode["502"]).toBe(1);
  });

  it("passes a response that is cut off mid-body on as a broken response, not a complete one", async () => {
    const broken = await startUpstream("broken", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("only a part");
      res.once("finish", () => {});
      setImmediate(() => res.socket?.destroy());
    });
    router.setRoute(HOST, [broken.upstream()], INFO);
    await expect(send(router.port, { host: HOST })).rejects.toThrow();
    // The router is still fine.
    const ok = await startUpstream("ok");
    router.setRoute(HOST, [ok.upstream()], INFO);
    expect((await send(router.port, { host: HOST })).status).toBe(200);
  });
});

describe("rollouts", () => {
  it("closes its idle connections to an instance no route names any more, so the instance can stop", async () => {
    const old = await startUpstream("old");
    const next = await startUpstream("new");
    let open = 0;
    old.server.on("connection", (socket: net.Socket) => {
      open++;
      socket.on("close", () => open--);
    });
    router.setRoute(HOST, [old.upstream()], INFO);
    expect(json(await send(router.port, { host: HOST })).upstream).toBe("old");
    expect(open).toBe(1); // kept alive in the router's pool
    router.setRoute(HOST, [next.upstream()], INFO);
    await waitUntil(() => open === 0, "the router closed its idle connection to the old instance");
    expect(json(await send(router.port, { host: HOST })).upstream).toBe("new");
  });

  it("lets a request in flight finish on the old instance while new requests go to the new set", async () => {
    const old = await startUpstream("old");
    const next = await startUpstream("new");
    router.setRoute(HOST, [old.upstream()], INFO);
    const slow = send(router.port, { host: HOST, path: "/?delay=300" });
    await waitUntil(() => old.inFlight === 1, "the slow request reached the old instance");
    router.setRoute(HOST, [next.upstream()], INFO);
    expect(json(await send(router.port, { host: HOST })).upstream).toBe("new");
    const drained = old.drain();
    const r = await slow;
    expect(r.status).toBe(200);
    expect(json(r).upstream).toBe("old");
    await drained;
  });

  it("drops zero requests under concurrent load while the upstream set is swapped and old instances stopped", async () => {
    const SWAPS = 8;
    const WORKERS = 16;
    const MAX_REQUESTS = 20_000;
    const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
    let current = [await startUpstream("g0a"), await startUpstream("g0b")];
    router.setRoute(HOST, current.map((u) => u.upstream()), INFO);

    let stop = false;
    let sent = 0;
    let ok = 0;
    const failures: string[] = [];
    const served = new Map<string, number>();
    const worker = async (w: number) => {
      while (!stop && sent < MAX_REQUESTS) {
        const i = sent++;
        try {
          const post = (i + w) % 4 === 0;
          const r = post
            ? await send(router.port, { host: HOST, method: "POST", body: `body-${i}`, agent, path: `/?i=${i}` })
            : await send(router.port, { host: HOST, agent, path: `/?i=${i}` });
          if (r.status !== 200) failures.push(`#${i}: ${r.status} ${r.body.slice(0, 200)}`);
          else {
            ok++;
            const name = json(r).upstream;
            served.set(name, (served.get(name) ?? 0) + 1);
          }
        } catch (err) {
          failures.push(`#${i}: ${String(err)}`);
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    for (let gen = 1; gen <= SWAPS; gen++) {
      const before = ok;
      await waitUntil(() => ok >= before + 300 || sent >= MAX_REQUESTS, `generation ${gen - 1} served traffic`);
      const next = [await startUpstream(`g${gen}a`), await startUpstream(`g${gen}b`)];
      const old = current;
      router.setRoute(HOST, next.map((u) => u.upstream()), INFO);
      // As a rollout does: stop the old instances once they drained.
      await Promise.all(old.map((u) => u.drain()));
      current = next;
    }
    const atEnd = ok;
    await waitUntil(() => ok >= atEnd + 300 || sent >= MAX_REQUESTS, "the last generation served traffic");
    stop = true;
    await Promise.all(workers);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(sent).toBeLessThan(MAX_REQUESTS);
    for (let gen = 0; gen <= SWAPS; gen++) {
      expect((served.get(`g${gen}a`) ?? 0) + (served.get(`g${gen}b`) ?? 0), `generation ${gen}`).toBeGreaterThan(0);
    }
    const snap = router.metrics(INFO.serviceId);
    expect(snap.byCode["200"]).toBe(ok);
    expect(snap.byClass["5xx"]).toBe(0);
  });
});

describe("headers", () => {
  it("drops hop-by-hop headers, adds X-Forwarded-*, keeps Host", async () => {
    const echo = await startUpstream("echo", (_req, res) => {
      res.writeHead(200, {
        "content-type": "text/plain",
        connection: "keep-alive, x-internal-hop",
        "x-internal-hop": "secret",
        "keep-alive": "timeout=5",
        "x-app": "yes",
      });
      res.end("ok");
    });
    router.setRoute(HOST, [echo.upstream()], INFO);
    const r = await send(router.port, {
      host: `${HOST}:8000`,
      headers: {
        connection: "keep-alive, x-client-hop",
        "x-client-hop": "drop me",
        "keep-alive": "timeout=30",
        te: "trailers",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
        "x-keep": "kept",
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers["x-app"]).toBe("yes");
    expect(r.headers["x-internal-hop"]).toBeUndefined();
    expect(r.headers["keep-alive"]).not.toBe("timeout=5");

    const seen = echo.seen[0].headers;
    expect(seen.host).toBe(`${HOST}:8000`);
    expect(seen["x-keep"]).toBe("kept");
    expect(seen["x-client-hop"]).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen["proxy-authorization"]).toBeUndefined();
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe(`${HOST}:8000`);
  });

  it("holds a large response while the client does not read, without losing or reordering a byte", async () => {
    const big = crypto.randomBytes(16 * 1024 * 1024 + 5);
    let blocked = false;
    const up = await startUpstream("up", (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": big.length });
      let off = 0;
      const pump = () => {
        while (off < big.length) {
          const part = big.subarray(off, off + 64 * 1024);
          off += part.length;
          if (!res.write(part)) {
            blocked = true;
            return void res.once("drain", pump);
          }
        }
        res.end();
      };
      pump();
    });
    router.setRoute(HOST, [up.upstream()], INFO);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: router.port, path: "/big", headers: { host: HOST }, agent: false }, (res) => {
        res.pause();
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", reject);
        // 16 MiB is more than the socket buffers and the router's own queue hold: the client starts
        // reading only once the instance has had to wait for a drain.
        waitUntil(() => blocked, "the instance's writes were held back").then(() => res.resume(), reject);
      });
      req.on("error", reject);
    });
    expect(got.length).toBe(big.length);
    expect(sha(got)).toBe(sha(big));
    expect(router.metrics(INFO.serviceId).bytesSent).toBeGreaterThanOrEqual(big.length);
  });

  it("streams large and chunked bodies both ways intact", async () => {
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const up = await startUpstream("up", (req, res, body) => {
      if (req.url === "/download") {
        res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: chunked
        let off = 0;
        const pump = () => {
          while (off < big.length) {
            const part = big.subarray(off, off + 100_000);
            off += part.length;
            if (!res.write(part)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ upstream: "up", method: req.method, url: req.url, bodyLength: body.length, bodySha: sha(body) }));
    });
    router.setRoute(HOST, [up.upstream()], INFO);

    const upload = await send(router.port, { host: HOST, method: "PUT", body: big });
    expect(json(upload)).toMatchObject({ bodyLength: big.length, bodySha: sha(big) });

    // A chunked upload (no content-length), larger than the retry buffer.
    const chunked = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: router.port, method: "POST", path: "/chunked", headers: { host: HOST } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString(), raw });
        });
      });
      req.on("error", reject);
      for (let off = 0; off < big.length; off += 50_000) req.write(big.subarray(off, off + 50_000));
      req.end();
    });
    expect(json(chunked)).toMatchObject({ bodyLength: big.length, bodySha: sha(big) });

    const download = await send(router.port, { host: HOST, path: "/download" });
    expect(download.headers["transfer-encoding"]).toBe("chunked");
    expect(sha(download.raw)).toBe(sha(big));
    expect(router.metrics(INFO.serviceId).bytesSent).toBeGreaterThanOrEqual(big.length);
  });
});

// ---------------------------------------------------------------------------------------------
// WebSocket: a minimal echo server (RFC 6455 handshake, small text frames) without dependencies.

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function wsFrame(payload: Buffer, masked: boolean): Buffer {
  if (payload.length > 125) throw new Error("test frames are small");
  const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = crypto.randomBytes(4);
  return Buffer.concat([head, key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]))]);
}

/** Parses complete frames off the front of `buf`. */
function wsParse(buf: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let off = 0;
  while (buf.length - off >= 2) {
    const len = buf[off + 1] & 0x7f;
    const masked = (buf[off + 1] & 0x80) !== 0;
    const total = 2 + (masked ? 4 : 0) + len;
    if (buf.length - off < total) break;
    let payload = buf.subarray(off + 2 + (masked ? 4 : 0), off + total);
    if (masked) {
      const key = buf.subarray(off + 2, off + 6);
      payload = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
    }
    messages.push(payload.toString());
    off += total;
  }
  return { messages, rest: buf.subarray(off) };
}

async function startWsEcho(name: string): Promise<TestUpstream & { closed: Promise<void> }> {
  const u = await startUpstream(name);
  let closedResolve: () => void = () => {};
  const closed = new Promise<void>((r) => (closedResolve = r));
  u.server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const accept = crypto.createHash("sha1").update(`${req.headers["sec-websocket-key"]}${WS_GUID}`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Upstream: ${name}\r\n\r\n`,
    );
    let buf: Buffer = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      const parsed = wsParse(Buffer.concat([buf, d]));
      buf = parsed.rest;
      for (const m of parsed.messages) socket.write(wsFrame(Buffer.from(`${name}:${m}`), false));
    };
    liveSockets.add(socket);
    socket.on("data", onData);
    // Like a WebSocket server answering a close: end our side when the peer ends.
    socket.on("end", () => socket.end());
    socket.on("close", () => {
      liveSockets.delete(socket);
      closedResolve();
    });
    socket.on("error", () => {});
    onData(head);
  });
  return Object.assign(u, { closed });
}

/** A WebSocket client on a raw socket; `first` is sent in the same write as the handshake. */
function wsClient(port: number, host: string, first?: string) {
  const socket = net.connect(port, "127.0.0.1");
  const key = crypto.randomBytes(16).toString("base64");
  let buf: Buffer = Buffer.alloc(0);
  let head: string | null = null;
  const messages: string[] = [];
  let wake: () => void = () => {};
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (head === null) {
      const end = buf.indexOf("\r\n\r\n");
      if (end === -1) return;
      head = buf.subarray(0, end).toString("latin1");
      buf = buf.subarray(end + 4);
    }
    const parsed = wsParse(buf);
    buf = parsed.rest;
    messages.push(...parsed.messages);
    wake();
  });
  const handshake = Buffer.from(
    `GET /socket HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  socket.write(first === undefined ? handshake : Buffer.concat([handshake, wsFrame(Buffer.from(first), true)]));
  const closed = new Promise<void>((r) => socket.on("close", () => r()));
  socket.on("error", () => {});
  return {
    socket,
    closed,
    head: () => head,
    send: (m: string) => socket.write(wsFrame(Buffer.from(m), true)),
    /** Resolves once `n` messages arrived in total. */
    received: (n: number) =>
      new Promise<string[]>((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) resolve(messages.slice());
          else if (socket.destroyed) reject(new Error(`socket closed after ${messages.length} messages; head: ${head}`));
          else wake = check;
        };
        socket.once("close", check);
        check();
      }),
  };
}

describe("websocket passthrough", () => {
  it("pipes the upgrade and the raw frames both ways", async () => {
    const echo = await startWsEcho("ws1");
    router.setRoute(HOST, [echo.upstream()], INFO);
    const client = wsClient(router.port, `${HOST}:8000`, "early");
    expect(await client.received(1)).toEqual(["ws1:early"]);
    expect(client.head()).toMatch(/^HTTP\/1.1 101/);
    expect(client.head()).toMatch(/sec-websocket-accept: /i);
    expect(client.head()).toMatch(/x-upstream: ws1/i);
    client.send("hello");
    client.send("world");
    expect(await client.received(3)).toEqual(["ws1:early", "ws1:hello", "ws1:world"]);
    expect(router.metrics(INFO.serviceId).byCode["101"]).toBe(1);

    // Closing the client closes the upstream side too, and the close travels back.
    client.socket.end();
    await echo.closed;
    await client.closed;
  });

  it("pipes upgrades the same way when client connections are read through 'data' (the fallback)", async () => {
    await router.stop();
    router = new HttpRouter({ port: 0, host: "127.0.0.1", clientReads: "data" });
    await router.start();
    const echo = await startWsEcho("ws-data");
    router.setRoute(HOST, [echo.upstream()], INFO);
    const client = wsClient(router.port, HOST, "early");
    expect(await client.received(1)).toEqual(["ws-data:early"]);
    client.send("hello");
    expect(await client.received(2)).toEqual(["ws-data:early", "ws-data:hello"]);
    client.socket.end();
    await echo.closed;
    await client.closed;
  });

  it.each(["onread", "data"] as const)("carries 16 MiB each way through an upgraded connection, more than the socket buffers hold (%s reads)", async (clientReads) => {
    // More than the socket buffers hold: hops fill up and must go on once drained.
    const TOTAL = 16 * 1024 * 1024;
    if (clientReads === "data") {
      await router.stop();
      router = new HttpRouter({ port: 0, host: "127.0.0.1", clientReads });
      await router.start();
    }
    const u = await startUpstream("bulk");
    let upstreamGot = 0;
    const upstreamDone = new Promise<void>((resolve) => {
      u.server.on("upgrade", (_req: http.IncomingMessage, socket: net.Socket) => {
        liveSockets.add(socket);
        socket.on("error", () => {});
        socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: bulk\r\nConnection: Upgrade\r\n\r\n");
        socket.write(Buffer.alloc(TOTAL, 0x61));
        socket.on("data", (d: Buffer) => {
          upstreamGot += d.length;
          if (upstreamGot >= TOTAL) resolve();
        });
      });
    });
    router.setRoute(HOST, [u.upstream()], INFO);
    const client = net.connect(router.port, "127.0.0.1");
    liveSockets.add(client);
    client.on("error", () => {});
    let head = "";
    let clientGot = 0;
    const clientDone = new Promise<void>((resolve) => {
      client.on("data", (d: Buffer) => {
        if (head === "" || !head.includes("\r\n\r\n")) {
          head += d.toString("latin1");
          const end = head.indexOf("\r\n\r\n");
          if (end === -1) return;
          clientGot += head.length - end - 4;
          head = head.slice(0, end + 4);
        } else {
          clientGot += d.length;
        }
        if (clientGot >= TOTAL) resolve();
      });
    });
    client.write(`GET /bulk HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: bulk\r\nConnection: Upgrade\r\n\r\n`);
    client.write(Buffer.alloc(TOTAL, 0x62));
    await Promise.all([upstreamDone, clientDone]);
    expect(head).toMatch(/^HTTP\/1.1 101/);
    expect(upstreamGot).toBe(TOTAL);
    expect(clientGot).toBe(TOTAL);
    client.destroy();
  });

  it("retries a refused upgrade on another instance and answers 404 for unknown hosts", async () => {
    const echo = await startWsEcho("ws2");
    router.setRoute(HOST, [{ id: "dead", port: await deadPort() }, echo.upstream()], INFO);
    for (let i = 0; i < 2; i++) {
      const client = wsClient(router.port, HOST);
      client.send(`m${i}`);
      expect(await client.received(1)).toEqual([`ws2:m${i}`]);
      client.socket.destroy();
    }
    const lost = wsClient(router.port, "nowhere.localhost");
    await lost.closed;
    expect(lost.head()).toMatch(/^HTTP\/1.1 404/);
  });

  it("stop() closes open websockets", async () => {
    const echo = await startWsEcho("ws3");
    router.setRoute(HOST, [echo.upstream()], INFO);
    const client = wsClient(router.port, HOST);
    client.send("x");
    await client.received(1);
    await router.stop();
    await client.closed;
    await echo.closed;
  });
});

describe("metrics", () => {
  it("counts requests by status class and code, bytes and latency per service", async () => {
    const up = await startUpstream("m");
    router.setRoute(HOST, [up.upstream()], INFO);
    const samples: RouterSample[] = [];
    router.on("sample", (s) => samples.push(s));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    for (let i = 0; i < 20; i++) await send(router.port, { host: HOST, agent });
    for (let i = 0; i < 3; i++) await send(router.port, { host: HOST, path: "/?status=404", agent });
    await send(router.port, { host: HOST, path: "/?status=301", agent });
    await send(router.port, { host: HOST, path: "/?status=500", agent });
    for (let i = 0; i < 5; i++) await send(router.port, { host: HOST, path: "/?delay=60", agent });
    agent.destroy();
    await waitUntil(() => router.metrics(INFO.serviceId).requests === 30, "all 30 requests were recorded");

    const snap = router.metrics(INFO.serviceId);
    expect(snap.byClass).toEqual({ "1xx": 0, "2xx": 25, "3xx": 1, "4xx": 3, "5xx": 1 });
    expect(snap.byCode).toEqual({ "200": 25, "301": 1, "404": 3, "500": 1 });
    expect(snap.bytesSent).toBeGreaterThan(30 * 50);
    expect(snap.latency.counts.reduce((a, b) => a + b, 0)).toBe(30);
    const p50 = latencyPercentile(snap, 50);
    const p95 = latencyPercentile(snap, 95);
    const p99 = latencyPercentile(snap, 99);
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThan(50);
    expect(p95).toBeGreaterThanOrEqual(50); // 5 of 30 took ≥ 60 ms
    expect(p99).toBeGreaterThanOrEqual(p95);
    expect(p99).toBeLessThanOrEqual(snap.latency.maxMs);

    expect(samples).toHaveLength(30);
    expect(samples[0]).toMatchObject({ serviceId: "svc_web", status: 200 });
    expect(samples.filter((s) => s.status === 404)).toHaveLength(3);
    expect(router.metrics("unknown").requests).toBe(0);
  });

  it("derives percentiles from the histogram", () => {
    const snap = router.metrics("none");
    expect(latencyPercentile(snap, 99)).toBe(0);
    const buckets = snap.latency.bucketsMs;
    const counts = buckets.map(() => 0).concat(0);
    const i10 = buckets.indexOf(10);
    counts[i10] = 90; // 90 requests in (7.5, 10]
    counts[buckets.indexOf(100)] = 10; // 10 in (75, 100]
    const s = { ...snap, requests: 100, latency: { ...snap.latency, counts, maxMs: 99 } };
    expect(latencyPercentile(s, 50)).toBeGreaterThan(7.5);
    expect(latencyPercentile(s, 50)).toBeLessThanOrEqual(10);
    expect(latencyPercentile(s, 95)).toBeGreaterThan(75);
    expect(latencyPercentile(s, 95)).toBeLessThanOrEqual(99);
    expect(latencyPercentile(s, 100)).toBe(99);
  });
});

describe("robustness", () => {
  it("aborts the upstream request when the client goes away, and keeps serving", async () => {
    let upstreamSawClose: () => void = () => {};
    const sawClose = new Promise<void>((r) => (upstreamSawClose = r));
    const hang = await startUpstream("hang", (req, res) => {
      if (req.url === "/hang") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first part");
        res.on("close", () => upstreamSawClose());
        return; // never ends
      }
      res.end("fine");
    });
    router.setRoute(HOST, [hang.upstream()], INFO);

    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: router.port, path: "/hang", headers: { host: HOST } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (err) => {
        if (!req.destroyed) reject(err);
      });
    });
    await sawClose;
    // A client gone before the upstream answered at all.
    const never = await startUpstream("never", () => {});
    router.setRoute("never.localhost", [never.upstream()], { serviceId: "svc_never", serviceName: "never" });
    const early = http.get({ host: "127.0.0.1", port: router.port, path: "/", headers: { host: "never.localhost" } });
    early.on("error", () => {});
    await waitUntil(() => never.inFlight === 1, "the request reached the instance");
    early.destroy();
    await waitUntil(() => never.inFlight === 0, "the instance saw the request go away");

    expect((await send(router.port, { host: HOST, path: "/ok" })).body).toBe("fine");
    await waitUntil(() => router.metrics(INFO.serviceId).byCode["499"] === 1, "the abort was recorded as 499");
    await waitUntil(() => router.metrics("svc_never").byCode["499"] === 1, "the early abort was recorded as 499");
  });

  it("start() rejects clearly when the port is taken, and stop() frees the port", async () => {
    const port = router.port;
    const clash = new HttpRouter({ port, host: "127.0.0.1" });
    await expect(clash.start()).rejects.toThrow(new RegExp(`port ${port} is already in use`));

    // An idle keep-alive client connection must not hold stop() up.
    const up = await startUpstream("a");
    router.setRoute(HOST, [up.upstream()], INFO);
    const agent = new http.Agent({ keepAlive: true });
    expect((await send(router.port, { host: HOST, agent })).status).toBe(200);
    await router.stop();
    agent.destroy();

    const again = new HttpRouter({ port, host: "127.0.0.1" });
    await again.start();
    expect(again.port).toBe(port);
    await again.stop();
    await clash.stop();
  });
});
