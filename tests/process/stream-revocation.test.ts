/**
 * A revoked token's open live tail ends, on the built console (scripts/console-server.mjs): on PGlite
 * in one console; with TEST_DATABASE_URL, the stream is open on one console and the token is revoked
 * through another sharing the PostgreSQL, so the news crosses through the event bus's bridge.
 * The tail has nothing to deliver: it ends from the revocation alone, not at its next line.
 */
import crypto from "node:crypto";
import path from "node:path";
import superjson from "superjson";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, createScratchDatabase, makeTempDir, signIn, startServer, trpcClient, type ScratchDatabase, type ServerHandle } from "../support/server-process";

const PG_URL = process.env.TEST_DATABASE_URL;
const EMAIL = "owner@example.test";
const PASSWORD = "stream-revocation-1";
const tmp = makeTempDir("slipway-revoke-");
let db: ScratchDatabase | undefined;
const servers: ServerHandle[] = [];

beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const s of servers) await s.stop(5_000);
  await db?.drop();
  tmp.remove();
});

/** Reads SSE blocks, calling `onEvent(name)` for each tRPC event name (or "message"); resolves with the text of a serialized error, or null when the stream just ends. */
async function readEvents(res: Response, onEvent: (name: string) => void): Promise<string | null> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut).split("\n");
      buffer = buffer.slice(cut + 2);
      const name = block.find((l) => l.startsWith("event:"))?.slice(6).trim() ?? "message";
      const data = block.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (name === "serialized-error") return data;
      if (data || name !== "message") onEvent(name);
    }
  }
}

it(`ends a revoked token's open logs.watch${PG_URL ? " on another console (PostgreSQL)" : ""}`, async () => {
  const common = { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, AUTH_SECRET: crypto.randomBytes(24).toString("base64url"), SLIPWAY_ENGINE: "off" };
  if (PG_URL) db = await createScratchDatabase(PG_URL, "slipway_revoke");
  const streaming = await startServer({ dataDir: path.join(tmp.dir, "a"), databaseUrl: db?.url, env: common });
  servers.push(streaming);
  const revoking = db ? await startServer({ dataDir: path.join(tmp.dir, "b"), databaseUrl: db.url, env: common }) : streaming;
  if (revoking !== streaming) servers.push(revoking);

  const api = trpcClient(revoking.url, { cookie: await signIn(revoking.url, EMAIL, PASSWORD) });
  const org = await api.organization.create.mutate({ name: "Revoke", slug: "revoke" });
  const project = await api.project.create.mutate({ orgId: org.id, name: "shop" });
  const env = await api.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const svc = await api.service.create.mutate({ environmentId: env.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  const { token, id } = await api.token.create.mutate({ orgId: org.id, name: "tail", role: "viewer" });

  const url = `${streaming.url}/api/trpc/logs.watch?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ serviceId: svc.id })))}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } });
  expect(res.status).toBe(200);
  let connected!: () => void;
  const isConnected = new Promise<void>((resolve) => (connected = resolve));
  const reading = readEvents(res, (name) => name === "connected" && connected());
  await isConnected;

  await api.token.revoke.mutate({ tokenId: id });
  const error = await reading;
  expect(error).toContain("the API token was revoked");
  // And a new stream with it is refused.
  const again = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } });
  expect(await readEvents(again, () => {})).toContain("the API token is unknown or revoked");
}, 180_000);
