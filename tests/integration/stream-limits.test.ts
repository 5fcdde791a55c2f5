/**
 * Live streams are bounded: a cap on open streams per API token (and per signed-in person), refused
 * with 429 beyond it; and a stream ends as soon as its caller's access does (token revoked, member
 * removed, session expired), from events, not a poll. Over real HTTP (the console's /api/trpc
 * handler) and through createCaller.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import superjson from "superjson";
import type { DbHandle } from "@/db/client";
import { createCaller } from "@/server/api/root";
import { LogWriter } from "@/server/engine/log-writer";
import { sseSubscriptions } from "@/server/metrics/sse-subscriptions";
import { guardedStream, takeStreamSlot } from "@/server/api/stream-guard";
import { requireService } from "@/server/policy/access";
import { bus } from "@/server/engine/event-bus";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeEnvironment, makeUser } from "../support/actors";
import { makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { readLogStream, type Received } from "../support/log-events";

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
let fixture: Awaited<ReturnType<typeof makeEnvironment>> & { serviceId: string };
let writer: LogWriter;

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
  const env = await makeEnvironment(h);
  const svc = await env.api.service.create({ environmentId: env.env.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  fixture = { ...env, serviceId: svc.id };
  writer = new LogWriter(h.db);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});
afterEach(() => {
  delete process.env.SLIPWAY_MAX_STREAMS_PER_TOKEN;
});

const watchUrl = () => `${server.url}/api/trpc/logs.watch?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ serviceId: fixture.serviceId })))}`;
const open = (token: string, signal?: AbortSignal) => fetch(watchUrl(), { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal });

/** Writes a line and resolves once `received` holds it: the stream is open and delivering. */
async function lineArrives(received: Received[], text: string) {
  writer.write({ serviceId: fixture.serviceId, deploymentId: null, instanceId: "web-1", stream: "stdout", line: text, at: new Date() });
  await writer.flush();
  await vi.waitFor(() => expect(received.some((r) => r.event.type === "line" && r.event.line === text)).toBe(true), { timeout: 10_000 });
}

describe("open streams per token", () => {
  it("refuses the next one with 429 and a message, and frees a slot when a stream closes", async () => {
    process.env.SLIPWAY_MAX_STREAMS_PER_TOKEN = "3";
    const { token } = await makeToken(h.db, { orgId: fixture.org.id, userId: fixture.user.id, role: "viewer" });
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    const streams = await Promise.all(aborts.map((a) => open(token, a.signal)));
    expect(streams.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await open(token);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("this API token already has 3 open live streams (SLIPWAY_MAX_STREAMS_PER_TOKEN); close one first");
    // Another token of the same person has its own slots.
    const other = await makeToken(h.db, { orgId: fixture.org.id, userId: fixture.user.id, role: "viewer" });
    const otherAbort = new AbortController();
    expect((await open(other.token, otherAbort.signal)).status).toBe(200);
    otherAbort.abort();

    const openBefore = sseSubscriptions().open;
    aborts[0].abort();
    await vi.waitFor(() => expect(sseSubscriptions().open).toBeLessThan(openBefore), { timeout: 10_000 });
    const again = new AbortController();
    expect((await open(token, again.signal)).status).toBe(200);
    for (const a of [...aborts, again]) a.abort();
  });

  it("counts a signed-in person's streams together, through createCaller too", async () => {
    process.env.SLIPWAY_MAX_STREAMS_PER_TOKEN = "1";
    const api = callerFor(h.db, actorOf(fixture.user));
    const first = (await api.logs.watch({ serviceId: fixture.serviceId }))[Symbol.asyncIterator]();
    await expect(api.logs.watch({ serviceId: fixture.serviceId })).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    // Returned before its first step: its slot is free again.
    await first.return?.();
    const second = (await api.logs.watch({ serviceId: fixture.serviceId }))[Symbol.asyncIterator]();
    await second.return?.();
  });
});

describe("streams end when access does", () => {
  it("ends a revoked token's open logs.watch, with the reason", async () => {
    const { token, row } = await makeToken(h.db, { orgId: fixture.org.id, userId: fixture.user.id, role: "viewer" });
    const res = await open(token);
    expect(res.status).toBe(200);
    const received: Received[] = [];
    const reading = readLogStream(res, (r) => received.push(r));
    await lineArrives(received, "before the revocation");
    await fixture.api.token.revoke({ tokenId: row.id });
    await expect(reading).rejects.toThrow(/the API token was revoked/);
    // And the server let go of it.
    await vi.waitFor(() => expect(sseSubscriptions().open).toBe(0), { timeout: 10_000 });
  });

  it("ends a removed member's stream, and keeps one whose role changed but still allows it", async () => {
    const member = await makeUser(h.db);
    await addMember(h.db, fixture.org.id, member.id, "developer");
    const kept = await makeUser(h.db);
    await addMember(h.db, fixture.org.id, kept.id, "developer");
    const memberToken = (await makeToken(h.db, { orgId: fixture.org.id, userId: member.id, role: "developer" })).token;
    const keptToken = (await makeToken(h.db, { orgId: fixture.org.id, userId: kept.id, role: "developer" })).token;

    const removedRes = await open(memberToken);
    const keptAbort = new AbortController();
    const keptRes = await open(keptToken, keptAbort.signal);
    const removedSeen: Received[] = [];
    const keptSeen: Received[] = [];
    const removedReading = readLogStream(removedRes, (r) => removedSeen.push(r));
    const keptReading = readLogStream(keptRes, (r) => keptSeen.push(r), keptAbort.signal);
    await lineArrives(removedSeen, "both see this");
    await lineArrives(keptSeen, "both see this");

    await fixture.api.member.updateRole({ orgId: fixture.org.id, userId: kept.id, role: "viewer" });
    await fixture.api.member.remove({ orgId: fixture.org.id, userId: member.id });
    await expect(removedReading).rejects.toThrow(/service not found/);
    // The viewer may still read logs: their stream goes on.
    await lineArrives(keptSeen, "only the kept one sees this");
    keptAbort.abort();
    await keptReading;
  });

  it("ends a stream whose member's role is lowered below what it needs (a stream that asked for service.write)", async () => {
    const dev = await makeUser(h.db);
    await addMember(h.db, fixture.org.id, dev.id, "developer");
    const ctx = { db: h.db, actor: actorOf(dev), meta: { source: "ui" as const, ip: "127.0.0.1" } };
    // Today's streams all need only org.read; this one checks a developer's permission, as a future one might.
    let wake!: () => void;
    async function* needsWrite() {
      await requireService(ctx, fixture.serviceId, "service.write");
      yield "allowed";
      await new Promise<void>((resolve) => (wake = resolve));
      yield "after wake";
    }
    const stream = guardedStream(needsWrite(), { ctx, sessionExpiresAt: null, lease: takeStreamSlot(ctx.actor) });
    expect((await stream.next()).value).toBe("allowed");
    const pending = stream.next();
    // Another organization's change does not concern it.
    bus.emit("access", { orgId: "00000000-0000-0000-0000-000000000000" });
    await fixture.api.member.updateRole({ orgId: fixture.org.id, userId: dev.id, role: "viewer" });
    await expect(pending).rejects.toMatchObject({ code: "FORBIDDEN" });
    wake();
  });

  it("ends a session's stream when the session expires (createCaller, as a server component would)", async () => {
    const ctx = { db: h.db, actor: actorOf(fixture.user), meta: { source: "ui" as const, ip: "127.0.0.1" }, rejectedToken: false, sessionExpiresAt: Date.now() + 1_000, response: { status: null } };
    const stream = await createCaller(ctx).logs.watch({ serviceId: fixture.serviceId });
    const drained = (async () => {
      for await (const _ of stream) void _;
    })();
    await expect(drained).rejects.toMatchObject({ code: "UNAUTHORIZED", message: "the session expired; sign in again" });
  });
});
