/**
 * A full data disk. A private PostgreSQL keeps its data folder on a small tmpfs (its WAL elsewhere, so
 * that the full disk refuses writes rather than stopping the server); a console deploys a worker that
 * prints every 20 ms; the tmpfs is filled to the last byte. /api/health must say "degraded" with the
 * database's own reason (disk full, 53100) while the console keeps answering health and the API; once
 * space is back the service's log must carry an honest note of what was dropped and why.
 * SLIPWAY_LOG_RETRY_S=2 makes the retry window pass quickly.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, freePort, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";
import { EXAMPLES } from "../support/examples";
import { waitForDeploymentEnd } from "../support/sse";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres";
import { mountSmallTmpfs, type SmallTmpfs } from "../support/small-tmpfs";

const EMAIL = "owner@example.test";
const PASSWORD = "full-disk-pass-1";
const unavailable = privatePostgresUnavailable();
const tmp = makeTempDir("slipway-fulldisk-");
let disk: SmallTmpfs | undefined;
let pg: PrivatePostgres | undefined;
const servers: ServerHandle[] = [];

beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const s of servers) await s.stop(5_000);
  pg?.stop();
  disk?.unmount();
  pg?.remove();
  tmp.remove();
});

type Health = { status: string; degraded?: string[]; logLinesDropped?: Record<string, number> };

/** Polls /api/health every 100 ms until `ok(health)`; fails after `ms` with the last answer. */
async function healthUntil(url: string, what: string, ok: (h: Health) => boolean, ms: number): Promise<Health> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
    const h = (await res.json()) as Health;
    last = { http: res.status, ...h };
    if (ok(h)) return h;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last health: ${JSON.stringify(last)}`);
}

it.skipIf(unavailable !== null)("a full data disk shows as degraded health with the true cause, the console keeps answering, and the log says what was lost", async () => {
  // The postgres user must reach its data and WAL folders inside this test's temp folder.
  fs.chmodSync(tmp.dir, 0o711);
  disk = mountSmallTmpfs(path.join(tmp.dir, "pgdata"), 160);
  pg = startPrivatePostgres({ port: await freePort(), dataDir: disk.dir, walDir: path.join(tmp.dir, "pgwal") });
  const url = await pg.createDatabase("slipway");
  const a = await startServer({
    dataDir: path.join(tmp.dir, "a"),
    databaseUrl: url,
    env: { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, AUTH_SECRET: crypto.randomBytes(24).toString("base64url"), SLIPWAY_HEALTH_TIMEOUT_MS: "30000", SLIPWAY_LOG_RETRY_S: "2" },
  });
  servers.push(a);
  const cookie = await signIn(a.url, EMAIL, PASSWORD);
  const api = trpcClient(a.url, { cookie });
  const org = await api.organization.create.mutate({ name: "Full", slug: "full" });
  const project = await api.project.create.mutate({ orgId: org.id, name: "disk" });
  const env = await api.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const printer = `node -e 'let n = 0; setInterval(() => console.log("n=" + ++n), 20)'`;
  const svc = await api.service.create.mutate({ environmentId: env.id, name: "printer", type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") }, run: { command: printer } } });
  const deployment = await api.deployment.create.mutate({ environmentId: env.id, serviceId: svc.id });
  const done = await waitForDeploymentEnd({ baseUrl: a.url, deploymentId: deployment.id, cookie });
  expect(`${done.deployment.status} ${done.deployment.message ?? ""}`.trim()).toMatch(/^DEPLOYED/);
  expect((await healthUntil(a.url, "ok health before the fault", (h) => h.status === "ok", 10_000)).status).toBe("ok");

  disk.fill();
  const failing = await healthUntil(a.url, "degraded health naming the full disk", (h) => h.status === "degraded" && (h.degraded ?? []).some((r) => r.includes("disk full (53100)")), 60_000);
  expect(failing.degraded?.join("\n")).toMatch(/log lines cannot be stored since .*: the database refused the write: disk full \(53100\)/);
  // The console keeps answering its API meanwhile.
  expect((await api.service.get.query({ environmentId: env.id, name: "printer" })).id).toBe(svc.id);
  const lost = await healthUntil(a.url, "dropped lines counted with their cause", (h) => (h.logLinesDropped?.["the database refused the write: disk full (53100)"] ?? 0) > 0, 60_000);
  expect(Object.keys(lost.logLinesDropped ?? {}).filter((c) => c.includes("printed faster"))).toEqual([]);
  expect((await api.service.get.query({ environmentId: env.id, name: "printer" })).id).toBe(svc.id);

  disk.free();
  const note = /^\[slipway\] \d+ log line\(s\) dropped: the database refused the write: disk full \(53100\)$/;
  const deadline = Date.now() + 60_000;
  let found: string | undefined;
  while (!found && Date.now() < deadline) {
    const page = await api.logs.history.query({ serviceId: svc.id, limit: 500 });
    found = page.lines.find((l) => l.stream === "system" && note.test(l.line))?.line;
    if (!found) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found, "the drop note in the service's log").toMatch(note);
  // Honest counts: the counters missing from the stored log (before the note) are exactly what the notes say.
  const all: { id: number; stream: string; line: string }[] = [];
  for (let afterId: number | undefined; ; ) {
    const page = await api.logs.history.query({ serviceId: svc.id, direction: "forward", afterId, limit: 5000 });
    all.push(...page.lines);
    if (!page.more || page.lines.length === 0) break;
    afterId = page.lines[page.lines.length - 1].id;
  }
  const firstNote = all.findIndex((l) => l.stream === "system" && note.test(l.line));
  const counters = all.slice(0, firstNote).flatMap((l) => /^n=(\d+)$/.exec(l.line)?.[1] ?? []).map(Number);
  const missing = Math.max(...counters) - counters.length;
  const noted = all.filter((l) => l.stream === "system" && note.test(l.line)).reduce((sum, l) => sum + Number(/\] (\d+) log line/.exec(l.line)?.[1]), 0);
  expect(new Set(counters).size).toBe(counters.length);
  expect(noted).toBe(missing);
  await healthUntil(a.url, "the store failure cleared (the drop is still reported)", (h) => !(h.degraded ?? []).some((r) => r.startsWith("log lines cannot be stored")), 30_000);
  console.log(`full-disk: ${found}; ${missing} counter line(s) missing, ${noted} noted; health while full: ${JSON.stringify(failing.degraded)}`);
}, 300_000);
