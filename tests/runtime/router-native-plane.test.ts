/**
 * The router's native data plane (server/runtime/process/router/native): chosen when built, a clear
 * error when asked for and missing, connections it does not serve handed to the JS plane with the
 * bytes already read (also mid-connection, after pipelined requests it served), and one metrics
 * snapshot over both planes. The behaviour both planes share is in router*.test.ts, which the test
 * command runs on each plane.
 */
import http from "node:http";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HttpRouter } from "@/server/runtime/process/router/http-router";

const HOST = "web.staging.shop.localhost";
const INFO = { serviceId: "svc_native", serviceName: "web" };

let app: http.Server;
let appPort = 0;
let router: HttpRouter;

beforeEach(async () => {
  app = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = `${req.method} ${req.url} http/${req.httpVersion} body=${Buffer.concat(chunks).length}`;
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appPort = (app.address() as net.AddressInfo).port;
  router = new HttpRouter({ port: 0, host: "127.0.0.1", dataPlane: "native" });
  await router.start();
  router.setRoute(HOST, [{ id: "a", port: appPort }], INFO);
});

afterEach(async () => {
  await router.stop();
  await new Promise<void>((resolve) => {
    app.close(() => resolve());
    app.closeAllConnections();
  });
});

/** Writes raw bytes on one connection and reads until `done` says the answers are complete. */
function exchange(raw: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(router.port, "127.0.0.1");
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (done(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
    socket.write(raw);
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("the native data plane", () => {
  it("is the router's plane when built", () => {
    expect(router.dataPlane).toBe("native");
  });

  it("hands HTTP/1.0 and chunked requests to the JS plane and counts every request in one snapshot", async () => {
    const v11 = await exchange(`GET /one HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, (t) => t.includes("body=0"));
    expect(v11).toContain("GET /one http/1.1 body=0");
    const v10 = await exchange(`GET /two HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`, (t) => t.includes("body=0"));
    expect(v10).toMatch(/^HTTP\/1\.1 200/);
    expect(v10).toContain("GET /two http/1.1 body=0");
    const chunked = await exchange(
      `POST /three HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      (t) => t.includes("body=5"),
    );
    expect(chunked).toContain("POST /three http/1.1 body=5");
    const snap = router.metrics(INFO.serviceId);
    expect(snap.requests).toBe(3);
    expect(snap.byCode["200"]).toBe(3);
    expect(snap.latency.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("answers pipelined requests in order when the connection moves to the JS plane after the first", async () => {
    const raw =
      `GET /a HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` +
      `POST /b HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
      `GET /c HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
    const text = await exchange(raw, (t) => t.includes("GET /c"));
    expect(count(text, "HTTP/1.1 200")).toBe(3);
    const a = text.indexOf("GET /a http/1.1 body=0");
    const b = text.indexOf("POST /b http/1.1 body=3");
    const c = text.indexOf("GET /c http/1.1 body=0");
    expect(a).toBeGreaterThan(-1);
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(router.metrics(INFO.serviceId).requests).toBe(3);
  });

  it("serves a hostname whose instance is not an IPv4 address through the JS plane", async () => {
    router.setRoute("named.staging.shop.localhost", [{ id: "b", host: "localhost", port: appPort }], { serviceId: "svc_named", serviceName: "named" });
    const text = await exchange(`GET /n HTTP/1.1\r\nHost: named.staging.shop.localhost\r\nConnection: close\r\n\r\n`, (t) => t.includes("body=0"));
    expect(text).toContain("GET /n http/1.1 body=0");
    expect(router.metrics("svc_named").requests).toBe(1);
  });
});

describe("choosing the plane", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.resetModules();
  });

  it("refuses clearly when the native plane is asked for and cannot be loaded, and falls back to JS otherwise", async () => {
    vi.resetModules();
    process.env.SLIPWAY_ROUTER_ADDON = "/nonexistent/libslipway_router.so";
    const { chooseDataPlane } = await import("@/server/runtime/process/router/native-plane");
    expect(() => chooseDataPlane("native", "127.0.0.1")).toThrow(/could not be loaded.*build it with: node scripts\/build-native-router\.mjs/s);
    expect(chooseDataPlane(undefined, "127.0.0.1")).toBe("js");
    process.env.SLIPWAY_ROUTER_DATA_PLANE = "";
    expect(chooseDataPlane(undefined, "127.0.0.1")).toBe("js");
    process.env.SLIPWAY_ROUTER_DATA_PLANE = "fast";
    expect(() => chooseDataPlane(undefined, "127.0.0.1")).toThrow('SLIPWAY_ROUTER_DATA_PLANE must be "native" or "js", not "fast"');
  });

  it("keeps the JS plane for addresses the native one cannot listen on", async () => {
    const { chooseDataPlane } = await import("@/server/runtime/process/router/native-plane");
    expect(chooseDataPlane(undefined, "::1")).toBe("js");
    expect(() => chooseDataPlane("native", "::1")).toThrow(/IPv4 addresses only/);
  });
});
