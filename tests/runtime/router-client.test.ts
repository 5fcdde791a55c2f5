/**
 * The router's client side (its own HTTP/1.x reader and writer, not node:http's server), spoken to
 * over raw sockets: pipelining, HTTP/1.0, Expect: 100-continue, HEAD, request bodies, and the
 * malformed requests it must refuse (request smuggling shapes included). Run twice: client connections
 * read through `onread` into a shared buffer (the default) and through 'data' events (the fallback).
 */
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpRouter } from "@/server/runtime/process/router/http-router";
import { rawConnect } from "../support/raw-http";

const HOST = "web.staging.shop.localhost";
const INFO = { serviceId: "svc_web", serviceName: "web" };

let router: HttpRouter;
let upstream: http.Server;

const connect = () => rawConnect(router.port);

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`;

describe.each(["onread", "data"] as const)("the router's client side (%s reads)", (clientReads) => {
  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        if (req.url === "/stream") {
          // No length: the router frames it for the client.
          res.writeHead(200, { "content-type": "text/plain" });
          res.write("part one, ");
          res.end("part two");
          return;
        }
        const payload = JSON.stringify({ method: req.method, url: req.url, bodyLength: body.length, body: body.toString() });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
        res.end(req.method === "HEAD" ? undefined : payload);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    router = new HttpRouter({ port: 0, host: "127.0.0.1", clientReads });
    await router.start();
    // Nothing to restore here: unrouted hostnames answer 404 (router-hardening.test.ts covers the 503 before).
    router.markReady();
    router.setRoute(HOST, [{ id: "a", port: (upstream.address() as net.AddressInfo).port }], INFO);
  });

  afterAll(async () => {
    await router.stop();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it("answers pipelined requests in order on one connection", async () => {
    const c = connect();
    c.write(get("/a") + get("/b") + get("/c", "Connection: close\r\n"));
    const replies = [await c.response(), await c.response(), await c.response()];
    expect(replies.map((r) => JSON.parse(r.body).url)).toEqual(["/a", "/b", "/c"]);
    expect(replies[2].headers.connection).toBe("close");
    await c.closed();
  });

  it("answers a pipelined GET, chunked POST and HTTP/1.0 GET in order, and counts each once", async () => {
    const before = router.metrics(INFO.serviceId).requests;
    const c = connect();
    c.write(
      get("/p1") +
        `POST /p2 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
        `GET /p3 HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`,
    );
    const replies = [await c.response(), await c.response(), await c.response()];
    expect(replies.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ method: "GET", url: "/p1", bodyLength: 0 }),
      expect.objectContaining({ method: "POST", url: "/p2", bodyLength: 3, body: "abc" }),
      expect.objectContaining({ method: "GET", url: "/p3", bodyLength: 0 }),
    ]);
    await c.closed();
    expect(router.metrics(INFO.serviceId).requests - before).toBe(3);
  });

  it("serves an instance named by a hostname (localhost), not only by an IP address", async () => {
    const named = "named.staging.shop.localhost";
    router.setRoute(named, [{ id: "n", host: "localhost", port: (upstream.address() as net.AddressInfo).port }], { serviceId: "svc_named", serviceName: "named" });
    const c = connect();
    c.write(`GET /n HTTP/1.1\r\nHost: ${named}\r\nConnection: close\r\n\r\n`);
    expect(JSON.parse((await c.response()).body).url).toBe("/n");
    router.removeRoute(named);
  });

  it("keeps HTTP/1.1 connections open between requests and closes on Connection: close", async () => {
    const c = connect();
    c.write(get("/one"));
    expect(JSON.parse((await c.response()).body).url).toBe("/one");
    c.write(get("/two", "Connection: close\r\n"));
    expect(JSON.parse((await c.response()).body).url).toBe("/two");
    await c.closed();
  });

  it("serves HTTP/1.0: closes by default, keeps alive when asked, frames unknown lengths by closing", async () => {
    const plain = connect();
    plain.write(`GET /old HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
    const r = await plain.response();
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe("close");
    await plain.closed();

    const kept = connect();
    kept.write(`GET /k1 HTTP/1.0\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
    const k1 = await kept.response();
    expect(k1.headers.connection).toBe("keep-alive");
    kept.write(`GET /stream HTTP/1.0\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
    // No length from the instance: an HTTP/1.0 client reads until close (no chunked framing).
    await kept.closed();
    const streamed = await kept.response();
    expect(streamed.headers["transfer-encoding"]).toBeUndefined();
    expect(streamed.body).toBe("part one, part two");
  });

  it("frames a response without a length as chunked for HTTP/1.1 clients", async () => {
    const c = connect();
    c.write(get("/stream"));
    const r = await c.response();
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe("part one, part two");
    c.write(get("/after", "Connection: close\r\n"));
    expect(JSON.parse((await c.response()).body).url).toBe("/after");
  });

  it("answers Expect: 100-continue, then takes the body", async () => {
    const c = connect();
    c.write(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
    expect(await c.interim()).toBe("HTTP/1.1 100 Continue");
    c.write("hello");
    const r = await c.response();
    expect(JSON.parse(r.body)).toMatchObject({ method: "POST", bodyLength: 5, body: "hello" });
    c.destroy();
  });

  it("passes chunked request bodies with extensions and trailers, and reads the next request after them", async () => {
    const c = connect();
    c.write(`POST /chunks HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n` + get("/next"));
    expect(JSON.parse((await c.response()).body)).toMatchObject({ bodyLength: 11, body: "hello world" });
    expect(JSON.parse((await c.response()).body).url).toBe("/next");
    c.destroy();
  });

  it("answers HEAD with headers only and keeps the connection usable", async () => {
    const c = connect();
    c.write(`HEAD /h HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` + get("/after-head"));
    const head = await c.response({ head: true });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(JSON.parse((await c.response()).body).url).toBe("/after-head");
    c.destroy();
  });

  it("reads past the body of a request answered without the instance (unknown host) to serve the next one", async () => {
    const c = connect();
    c.write(`POST /x HTTP/1.1\r\nHost: nobody.localhost\r\nContent-Length: 4\r\n\r\nbody` + get("/served"));
    expect((await c.response()).status).toBe(404);
    expect(JSON.parse((await c.response()).body).url).toBe("/served");
    c.destroy();
  });

  it("answers an unknown host before its body has arrived, then reads past the body to the next request", async () => {
    const c = connect();
    c.write(`POST /x HTTP/1.1\r\nHost: nobody.localhost\r\nContent-Length: 4\r\n\r\nbo`);
    const page = await c.response();
    expect(page.status).toBe(404);
    expect(page.headers.connection).toBeUndefined();
    c.write(`dy${get("/served")}`);
    expect(JSON.parse((await c.response()).body).url).toBe("/served");
    c.destroy();
  });

  it.each([
    ["a malformed request line", "GARBAGE\r\n\r\n", 400],
    ["an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400],
    ["two Host headers", `GET / HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.localhost\r\n\r\n`, 400],
    ["Content-Length next to Transfer-Encoding", `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ["conflicting Content-Length headers", `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, 400],
    ["a transfer coding not ending in chunked", `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: gzip\r\n\r\n`, 400],
    ["whitespace before a header colon", `GET / HTTP/1.1\r\nHost : ${HOST}\r\n\r\n`, 400],
    ["obsolete line folding", `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: one\r\n two\r\n\r\n`, 400],
    ["a malformed chunk size", `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, 400],
    ["HTTP/2 prior knowledge", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505],
    ["a head over 16 KiB", `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${"x".repeat(17 * 1024)}\r\n\r\n`, 431],
  ])("refuses %s with %i and closes the connection", async (_what, raw, status) => {
    const c = connect();
    c.write(raw);
    const r = await c.response();
    expect(r.status).toBe(status);
    expect(r.headers.connection).toBe("close");
    await c.closed();
  });

  it("keeps partial heads and body bytes intact while other connections read (one shared read buffer)", async () => {
    // Each connection's first read is parsed in place in a buffer every client connection shares; what
    // outlives that read (a partial head, body bytes buffered for a retry) must be a copy. The long
    // requests on other connections in between overwrite the shared buffer past these bytes.
    const pad = `X-Pad: ${"z".repeat(400)}\r\n`;
    const posting = connect();
    posting.write(`POST /kept-body HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 10\r\n\r\naaaaa`);
    const partial = connect();
    partial.write(`GET /kept-head HTTP/1.1\r\nHo`);
    for (let i = 0; i < 3; i++) {
      const other = connect();
      other.write(get(`/other-${i}`, pad));
      expect(JSON.parse((await other.response()).body).url).toBe(`/other-${i}`);
      other.destroy();
    }
    posting.write("bbbbb");
    expect(JSON.parse((await posting.response()).body)).toMatchObject({ url: "/kept-body", bodyLength: 10, body: "aaaaabbbbb" });
    partial.write(`st: ${HOST}\r\n\r\n`);
    expect(JSON.parse((await partial.response()).body).url).toBe("/kept-head");
    posting.destroy();
    partial.destroy();
  });

  it("keeps serving after a client vanishes mid-request", async () => {
    const c = connect();
    c.write(`POST /gone HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100\r\n\r\nonly part`);
    c.destroy();
    const next = connect();
    next.write(get("/still-here", "Connection: close\r\n"));
    expect(JSON.parse((await next.response()).body).url).toBe("/still-here");
  });
});
