/**
 * Bounded request bodies through the console's real /api/trpc handler over HTTP: 1 MiB by default,
 * manifests up to 8 MiB, answered 413 before the body is read further; a 400 MB body does not grow
 * the server's memory (here the server is this process: its RSS before and after).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { DbHandle } from "@/db/client";
import { gateByDeclaredLength, MIB } from "@/server/http/body-limits";
import { registerRequestGate } from "@/server/http/request-gate";
import { createTestDb } from "../support/test-db";
import { makeEnvironment } from "../support/actors";
import { makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { postBigBody } from "../support/big-body";

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
let headers: Record<string, string>;

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
  const { user, org } = await makeEnvironment(h);
  const { token } = await makeToken(h.db, { orgId: org.id, userId: user.id, role: "viewer" });
  headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

const MB400 = 400 * 1000 * 1000;

describe("/api/trpc", () => {
  it("answers 413 to a declared 400 MB body with a viewer token, reading none of it", async () => {
    const r = await postBigBody({ url: `${server.url}/api/trpc/project.create`, headers, totalBytes: MB400, declareLength: true });
    expect(r.status).toBe(413);
    expect(r.head.toLowerCase()).toContain("connection: close");
    expect(JSON.parse(r.body).error.json.message).toBe("the request body is larger than 1 MiB (SLIPWAY_MAX_BODY_BYTES; manifests may have up to 8 MiB)");
    // The client could only fill the socket's buffers before the server closed it.
    expect(r.bytesSent).toBeLessThan(64 * MIB);
  });

  it("counts a body of undeclared length and stops reading it past the limit, without the server's memory growing", async () => {
    // Warm the path first (code loaded, buffers allocated once): the measure is what 400 MB adds.
    await postBigBody({ url: `${server.url}/api/trpc/project.create`, headers, totalBytes: 4 * MIB, declareLength: false });
    const before = process.memoryUsage().rss;
    const r = await postBigBody({ url: `${server.url}/api/trpc/project.create`, headers, totalBytes: MB400, declareLength: false });
    const grown = process.memoryUsage().rss - before;
    expect(r.status).toBe(413);
    expect(r.body).toContain("larger than 1 MiB");
    expect(r.bytesSent).toBeLessThan(64 * MIB);
    expect(grown).toBeLessThan(16 * MIB);
  });

  it("takes a body up to the limit", async () => {
    // Just under 1 MiB of JSON reaches the procedure, which refuses it for what it says (not its size).
    const filler = "x".repeat(MIB - 200);
    const res = await fetch(`${server.url}/api/trpc/project.create`, { method: "POST", headers, body: JSON.stringify({ json: { orgId: "00000000-0000-0000-0000-000000000000", name: filler } }) });
    expect(res.status).not.toBe(413);
    expect(res.status).toBeLessThan(500);
  });

  it("gives manifests 8 MiB, and refuses more with the manifest's limit", async () => {
    const manifest = `# ${"x".repeat(3 * MIB)}\nproject: shop\n`;
    const ok = await fetch(`${server.url}/api/trpc/manifest.plan`, { method: "POST", headers: { ...headers, "x-http-method-override": "GET" }, body: JSON.stringify({ json: { orgId: "00000000-0000-0000-0000-000000000000", manifest } }) });
    expect(ok.status).not.toBe(413);
    const big = await postBigBody({ url: `${server.url}/api/trpc/manifest.applyManifest`, headers, totalBytes: 9 * MIB, declareLength: false });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.json.message).toBe("the request body is larger than the 8 MiB a manifest may have (SLIPWAY_MAX_MANIFEST_BYTES)");
    // A batch gets the larger limit only when every call in it takes a manifest.
    const batch = await postBigBody({ url: `${server.url}/api/trpc/manifest.applyManifest,project.create?batch=1`, headers, totalBytes: 2 * MIB, declareLength: true });
    expect(batch.status).toBe(413);
  });
});

describe("Next's routes and server actions (the gate scripts/console-server.mjs asks)", () => {
  it("refuses a declared length over the limit, and a body of no declared length", () => {
    expect(gateByDeclaredLength({ "content-length": String(MB400) })).toEqual({ ok: false, status: 413, message: "the request body is larger than 1 MiB (SLIPWAY_MAX_BODY_BYTES; manifests may have up to 8 MiB)" });
    expect(gateByDeclaredLength({ "content-length": String(MIB) })).toEqual({ ok: true });
    expect(gateByDeclaredLength({ "transfer-encoding": "chunked" })).toMatchObject({ ok: false, status: 411 });
    expect(gateByDeclaredLength({})).toEqual({ ok: true });
  });

  it("answers before the body is read, over HTTP, as console-server.mjs wires it", async () => {
    registerRequestGate();
    const gate = (globalThis as Record<symbol, ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined>)[Symbol.for("slipway.requestGate")];
    let reachedNext = 0;
    const next = http.createServer((req, res) => {
      if (gate?.(req, res)) return;
      reachedNext++;
      res.end("next");
    });
    await new Promise<void>((resolve) => next.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(next.address() as AddressInfo).port}/api/auth/callback/credentials`;
      const r = await postBigBody({ url, headers: { "content-type": "application/x-www-form-urlencoded" }, totalBytes: MB400, declareLength: true });
      expect(r.status).toBe(413);
      expect(r.body).toContain("SLIPWAY_MAX_BODY_BYTES");
      expect(r.bytesSent).toBeLessThan(64 * MIB);
      expect((await postBigBody({ url, headers: {}, totalBytes: 10, declareLength: false })).status).toBe(411);
      expect(reachedNext).toBe(0);
    } finally {
      next.closeAllConnections();
      await new Promise((resolve) => next.close(resolve));
    }
  });
});
