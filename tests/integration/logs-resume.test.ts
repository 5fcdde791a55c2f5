/**
 * Live tail over real HTTP server-sent events (the appRouter behind tRPC's fetch adapter, as the
 * console serves it): 10,000 lines are written while a subscriber reads them; the connection is cut
 * in the middle; the subscriber reconnects with the last event id it saw (the `Last-Event-ID` header,
 * as EventSource does) and ends with every line exactly once, in order.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import superjson from "superjson";
import type { DbHandle } from "@/db/client";
import { LogWriter } from "@/server/engine/log-writer";
import { createTestDb } from "../support/test-db";
import { actorOf, callerFor, makeUser } from "../support/actors";
import { makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { readLogStream, type Received } from "../support/log-events";
import { storedLines } from "../support/log-store";

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

it("resumes by last event id across a forced disconnect in the middle of 10,000 lines: no gap, no duplicate", async () => {
  const owner = await makeUser(h.db);
  const api = callerFor(h.db, actorOf(owner));
  const org = await api.organization.create({ name: "Resume", slug: "resume" });
  const project = await api.project.create({ orgId: org.id, name: "shop" });
  const env = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
  const svc = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  const { token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "viewer" });
  const headers = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
  const url = `${server.url}/api/trpc/logs.watch?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ serviceId: svc.id, lastEventId: "0" })))}`;

  const TOTAL = 10_000;
  const received: Received[] = [];
  const writer = new LogWriter(h.db);

  // First connection: from the very first line of the service (id 0), so it cannot matter whether
  // the stream is set up before or after the producer's first line is stored.
  const first = new AbortController();
  const res1 = await fetch(url, { headers, signal: first.signal });
  expect(res1.status).toBe(200);
  let cutAt = -1;
  const reading1 = readLogStream(res1, (r) => {
    received.push(r);
    // Cut the connection in the middle: the writer is still producing.
    if (received.length === 4_000 && cutAt < 0) {
      cutAt = received.length;
      first.abort();
    }
  });

  // The producer writes 10,000 lines in steps of 250, each stored before the next is written.
  const producing = (async () => {
    for (let i = 0; i < TOTAL; i += 250) {
      for (let j = i; j < i + 250; j++) writer.write({ serviceId: svc.id, deploymentId: null, instanceId: "web-1", stream: "stdout", line: `line ${j}`, at: new Date() });
      await writer.flush();
    }
  })();

  await reading1;
  expect(cutAt).toBe(4_000);
  const lastId = received[received.length - 1].id;

  // Reconnect as EventSource does: the same URL, with Last-Event-ID (which wins over the input's).
  const second = new AbortController();
  const res2 = await fetch(url, { headers: { ...headers, "last-event-id": lastId }, signal: second.signal });
  expect(res2.status).toBe(200);
  await readLogStream(res2, (r) => {
    received.push(r);
    if (received.length >= TOTAL) second.abort();
  });
  await producing;

  const lines = received.map((r) => (r.event.type === "line" ? r.event.line : `skipped ${r.event.count}`));
  expect(lines).toEqual(Array.from({ length: TOTAL }, (_, i) => `line ${i}`));
  const stored = await storedLines(h.db, svc.id);
  expect(received.map((r) => Number(r.id))).toEqual(stored.map((s) => s.id));
});
