// Console benchmark: `node bench/console.mjs` (builds first when the production build is missing or stale).
//
// Measures, against the built console (scripts/console-server.mjs) on 127.0.0.1:
//   - cold start (spawn → first 200 from /api/health): PGlite with a new and with an existing data
//     folder, PostgreSQL with a new and an existing database;
//   - RSS of the server's process tree (VmRSS of the process and its descendants), idle after start
//     and a few requests, and after load;
//   - latency of `service.list` (an environment with 200 services) under 20 concurrent clients with a
//     bearer token, plus a breakdown (health route, a DB-free tRPC call, session cookie, no concurrency).
//
// Environment (all optional):
//   BENCH_DATABASE_URL  PostgreSQL admin URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres);
//                       a scratch database is created and dropped. BENCH_DATABASE_URL=off skips PostgreSQL.
//   BENCH_RUNS          cold starts per case (default 3)        BENCH_REQUESTS  measured requests (default 2000)
//   BENCH_CONCURRENCY   concurrent clients (default 20)         BENCH_SERVICES  services in the environment (default 200)
//   BENCH_WARMUP        requests before the steady-state rows (default 3000; an "early" row shows the first ones)
//
// Plain Node ESM. Everything it starts (servers, temp folders, databases) is removed on exit, Ctrl-C included.
// tests/support/server-process.ts is the TypeScript twin of the process helpers below.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildIfStale, distDir, ROOT } from "../scripts/next-build.mjs";
import { cleanup, makeTempDir, onSignalCleanup } from "./lib/cleanup.mjs";
import { request, signIn as signInAs, startConsole, trpc, trpcPath } from "./lib/console-client.mjs";
import { intEnv, treeStats } from "./lib/processes.mjs";

const GOAL_IDLE_RSS_MB = 250;
const GOAL_P95_MS = 50;
const RUNS = intEnv("BENCH_RUNS", 3);
const REQUESTS = intEnv("BENCH_REQUESTS", 2000);
const CONCURRENCY = intEnv("BENCH_CONCURRENCY", 20);
const SERVICES = intEnv("BENCH_SERVICES", 200);
const WARMUP = Math.min(300, REQUESTS);
// The goal rows are measured in steady state: a console serves for days, and its first few thousand
// requests still run partly unoptimized code (V8 tiers up the router, tRPC and PGlite's parsers
// gradually). Cold start is measured separately above; the "early" row shows the first requests.
const STEADY_WARMUP = intEnv("BENCH_WARMUP", 3000);
const PG_ADMIN_URL = process.env.BENCH_DATABASE_URL || "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const EMAIL = "bench@example.test";
const PASSWORD = "bench-password-1";
const START_TIMEOUT_MS = 120_000;

const scratchDbs = new Set();
onSignalCleanup(async () => {
  for (const db of [...scratchDbs]) await db.drop().catch((err) => console.error(`could not drop ${db.name}: ${err.message}`));
});

/**
 * Spawns the console server and polls /api/health until the first 200, sampling the tree's RSS meanwhile.
 * Returns the server with `startMs` (spawn → first 200) and `peakStartRss`.
 */
async function startServer({ dataDir, databaseUrl }) {
  let peak = 0;
  const server = await startConsole({
    env: { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    timeoutMs: START_TIMEOUT_MS,
    onPoll: (pid) => (peak = Math.max(peak, treeStats(pid).bytes)),
  });
  server.peakStartRss = Math.max(peak, treeStats(server.pid).bytes);
  return server;
}

const signIn = (server) => signInAs(server, { email: EMAIL, password: PASSWORD });
const queryPath = trpcPath;

// ---------------------------------------------------------------------------------------------
// Load

/**
 * `total` requests from `concurrency` clients; returns latency percentiles (ms), throughput and, when
 * `serverPid` is given, the server tree's CPU time per request.
 */
async function load(total, concurrency, makeRequest, serverPid) {
  const cpu0 = serverPid ? treeStats(serverPid).cpuMs : 0;
  const latencies = [];
  let next = 0;
  let errors = 0;
  let firstError = null;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const t = performance.now();
      try {
        const res = await makeRequest();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerReq = serverPid ? (treeStats(serverPid).cpuMs - cpu0) / total : null;
  if (errors) throw new Error(`${errors} of ${total} requests failed; first: ${firstError.message}`);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  return { n: total, concurrency, p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1), rps: total / seconds, cpuPerReq };
}

/** Org → project → environment with `SERVICES` services, and an admin API token for the org. */
async function seed(server) {
  const cookie = await signIn(server);
  const auth = { cookie };
  const org = await trpc(server, auth, "mutation", "organization.create", { name: "Bench", slug: "bench" });
  const project = await trpc(server, auth, "mutation", "project.create", { orgId: org.id, name: "shop" });
  const env = await trpc(server, auth, "mutation", "environment.create", { projectId: project.id, name: "staging", mode: "staging" });
  let i = 0;
  const creator = async () => {
    while (i < SERVICES) {
      const n = ++i;
      await trpc(server, auth, "mutation", "service.create", {
        environmentId: env.id,
        name: `svc-${String(n).padStart(3, "0")}`,
        type: "application",
        spec: { source: { path: "./examples/hello-node" }, port: 8080 },
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, creator));
  const { token } = await trpc(server, auth, "mutation", "token.create", { orgId: org.id, name: "bench", role: "admin" });
  const listed = await trpc(server, { token }, "query", "service.list", { environmentId: env.id });
  if (listed.length !== SERVICES) throw new Error(`service.list returned ${listed.length} services, expected ${SERVICES}`);
  return { cookie, token, envId: env.id, listBytes: Buffer.byteLength(JSON.stringify(listed)) };
}

/** The latency scenarios for one server; the first is the one with a goal. */
async function latencySuite(server, label) {
  const s = await seed(server);
  const list = queryPath("service.list", { environmentId: s.envId });
  const bearer = { authorization: `Bearer ${s.token}` };
  const cases = [
    { name: `service.list ×${SERVICES}, bearer, ${CONCURRENCY} clients`, goal: true, conc: CONCURRENCY, n: REQUESTS, go: () => request(server, "GET", list, { headers: bearer }) },
    { name: `service.list ×${SERVICES}, bearer, 1 client`, conc: 1, n: Math.min(300, REQUESTS), go: () => request(server, "GET", list, { headers: bearer }) },
    { name: `service.list ×${SERVICES}, session cookie, ${CONCURRENCY} clients`, conc: CONCURRENCY, n: Math.min(1000, REQUESTS), go: () => request(server, "GET", list, { headers: { cookie: s.cookie } }) },
    { name: `viewer.me (no query), bearer, ${CONCURRENCY} clients`, conc: CONCURRENCY, n: Math.min(1000, REQUESTS), go: () => request(server, "GET", queryPath("viewer.me"), { headers: bearer }) },
    { name: `/api/health (select 1), ${CONCURRENCY} clients`, conc: CONCURRENCY, n: Math.min(1000, REQUESTS), go: () => request(server, "GET", "/api/health") },
  ];
  // Warm-up: JIT, route modules, DB caches.
  await load(WARMUP, CONCURRENCY, cases[0].go);
  await load(100, CONCURRENCY, cases[2].go);
  await load(100, CONCURRENCY, cases[3].go);
  const results = [];
  const early = await load(REQUESTS, CONCURRENCY, cases[0].go, server.pid);
  results.push({ label, name: `${cases[0].name}, early: right after ${WARMUP} warm-up requests`, ...early });
  const topUp = STEADY_WARMUP - WARMUP - REQUESTS;
  if (topUp > 0) await load(topUp, CONCURRENCY, cases[0].go);
  for (const c of cases) results.push({ label, name: c.name, goal: c.goal, ...(await load(c.n, c.conc, c.go, server.pid)) });
  return { results, listBytes: s.listBytes };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function pgAvailable() {
  if (PG_ADMIN_URL === "off") return { ok: false, why: "BENCH_DATABASE_URL=off" };
  const host = new URL(PG_ADMIN_URL).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) return { ok: false, why: `BENCH_DATABASE_URL host ${host} is not local` };
  try {
    const { default: pg } = await import("pg");
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await c.connect();
    const { rows } = await c.query("show server_version");
    await c.end();
    return { ok: true, version: rows[0].server_version };
  } catch (err) {
    return { ok: false, why: `cannot connect to ${PG_ADMIN_URL.replace(/\/\/[^@]*@/, "//…@")}: ${err.message || err.code}` };
  }
}

async function createScratchDb() {
  const { default: pg } = await import("pg");
  const name = `slipway_bench_${crypto.randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      scratchDbs.delete(db);
    },
  };
  scratchDbs.add(db);
  return db;
}

// ---------------------------------------------------------------------------------------------
// Report

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const msf = (ms) => `${ms.toFixed(1)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "  " + cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [line(headers), "  " + widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function verdict(ok) {
  return ok ? "ok" : "MISSED";
}

/** Idle RSS: a few ordinary requests, then settle and take the median of a few samples. */
async function idleRss(server) {
  const cookie = await signIn(server);
  for (let i = 0; i < 5; i++) {
    await request(server, "GET", "/api/health");
    await trpc(server, { cookie }, "query", "organization.list");
  }
  const samples = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    samples.push(treeStats(server.pid));
  }
  return { bytes: median(samples.map((s) => s.bytes)), processes: samples.at(-1).processes };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const loadAtStart = os.loadavg();
  await buildIfStale();
  const nextVersion = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "next", "package.json"), "utf8")).version;
  const buildId = fs.readFileSync(path.join(distDir(ROOT), "BUILD_ID"), "utf8").trim();
  const root = makeTempDir("slipway-bench");
  const cold = [];
  const memory = [];
  const latency = [];
  const notes = [];
  const progress = (m) => console.error(`· ${m}`);

  // PGlite: new data folders, then the last one again (existing).
  const pgliteNew = [];
  let existingDir = null;
  for (let i = 0; i < RUNS; i++) {
    const dataDir = path.join(root, `pglite-${i}`);
    const s = await startServer({ dataDir });
    pgliteNew.push(s);
    progress(`PGlite new data folder, run ${i + 1}: ${secs(s.startMs)}, peak ${mb(s.peakStartRss)}`);
    await s.stop();
    if (existingDir) fs.rmSync(existingDir, { recursive: true, force: true });
    existingDir = dataDir;
  }
  cold.push(["PGlite, new data folder", pgliteNew]);
  const pgliteExisting = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await startServer({ dataDir: existingDir });
    pgliteExisting.push(s);
    progress(`PGlite existing data folder, run ${i + 1}: ${secs(s.startMs)}, peak ${mb(s.peakStartRss)}`);
    if (i < RUNS - 1) await s.stop();
  }
  cold.push(["PGlite, existing data folder", pgliteExisting]);

  // The last PGlite server stays up: idle memory, then load.
  {
    const s = pgliteExisting.at(-1);
    const idle = await idleRss(s);
    memory.push({ name: "PGlite: idle after start + a few requests", rss: idle, goal: GOAL_IDLE_RSS_MB });
    memory.push({ name: "PGlite: peak while opening a NEW data folder", rss: { bytes: Math.max(...pgliteNew.map((x) => x.peakStartRss)) } });
    progress(`PGlite idle RSS ${mb(idle.bytes)}; seeding ${SERVICES} services and measuring latency …`);
    const { results, listBytes } = await latencySuite(s, "PGlite");
    latency.push(...results);
    notes.push(`service.list answer: ${(listBytes / 1024).toFixed(1)} KiB of JSON for ${SERVICES} services (before superjson framing)`);
    memory.push({ name: "PGlite: after the latency runs", rss: treeStats(s.pid) });
    await s.stop();
  }

  // PostgreSQL.
  const pg = await pgAvailable();
  let pgSkipped = null;
  if (!pg.ok) {
    pgSkipped = pg.why;
  } else {
    const pgNew = [];
    let db = null;
    for (let i = 0; i < RUNS; i++) {
      if (db) await db.drop();
      db = await createScratchDb();
      const s = await startServer({ dataDir: path.join(root, `pg-${i}`), databaseUrl: db.url });
      pgNew.push(s);
      progress(`PostgreSQL new database, run ${i + 1}: ${secs(s.startMs)}`);
      await s.stop();
    }
    cold.push([`PostgreSQL ${pg.version}, new database`, pgNew]);
    const pgExisting = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await startServer({ dataDir: path.join(root, `pg-${RUNS - 1}`), databaseUrl: db.url });
      pgExisting.push(s);
      progress(`PostgreSQL existing database, run ${i + 1}: ${secs(s.startMs)}`);
      if (i < RUNS - 1) await s.stop();
    }
    cold.push([`PostgreSQL ${pg.version}, existing database`, pgExisting]);
    const s = pgExisting.at(-1);
    const idle = await idleRss(s);
    memory.push({ name: "PostgreSQL: idle after start + a few requests (server only)", rss: idle });
    progress(`PostgreSQL idle RSS ${mb(idle.bytes)}; measuring latency …`);
    const { results } = await latencySuite(s, "PostgreSQL");
    latency.push(...results);
    memory.push({ name: "PostgreSQL: after the latency runs (server only)", rss: treeStats(s.pid) });
    await s.stop();
    await db.drop();
  }

  // -------------------------------------------------------------------------------------------
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log("");
  console.log(`Slipway console bench — ${new Date().toISOString()}`);
  console.log(`Node ${process.version} · next ${nextVersion} (build ${buildId}) · ${os.cpus().length} × ${cpu} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`Server: scripts/console-server.mjs (Next + the /api/trpc fast lane) on 127.0.0.1; the load generator shares the same CPUs.`);
  const la = (l) => l.map((x) => x.toFixed(1)).join(" ");
  console.log(`Load average at start ${la(loadAtStart)}, at end ${la(os.loadavg())} (above ${os.cpus().length} means other work competed for the CPUs)`);
  console.log("");
  console.log(`Cold start: spawn of the console server → first 200 from /api/health (median of ${RUNS}, [min – max])`);
  const coldRows = cold.map(([name, runs]) => {
    const t = runs.map((r) => r.startMs);
    return [name, secs(median(t)), `[${secs(Math.min(...t))} – ${secs(Math.max(...t))}]`, mb(Math.max(...runs.map((r) => r.peakStartRss)))];
  });
  if (pgSkipped) coldRows.push(["PostgreSQL", "skipped", pgSkipped, ""]);
  console.log(table(["case", "median", "range", "peak RSS"], coldRows));
  console.log("");
  console.log("Memory: VmRSS of the server process and its descendants");
  console.log(
    table(
      ["when", "RSS", "processes", "goal", "result"],
      memory.map((m) => [m.name, mb(m.rss.bytes), m.rss.processes ?? "", m.goal ? `≤ ${m.goal} MB` : "", m.goal ? verdict(m.rss.bytes <= m.goal * 1024 * 1024) : ""]),
    ),
  );
  console.log("");
  console.log(
    `Latency (ms), steady state: after ${Math.max(STEADY_WARMUP, WARMUP + REQUESTS)} warm-up requests (the "early" row: the ${REQUESTS} right after ${WARMUP}); ` +
      `HTTP keep-alive; ${SERVICES} services in the environment`,
  );
  console.log(
    table(
      ["db", "request", "n", "p50", "p95", "p99", "max", "req/s", "srv CPU/req", "goal", "result"],
      latency.map((r) => [
        r.label,
        r.name,
        r.n,
        msf(r.p50),
        msf(r.p95),
        msf(r.p99),
        msf(r.max),
        r.rps.toFixed(0),
        r.cpuPerReq === null ? "" : `${r.cpuPerReq.toFixed(1)} ms`,
        r.goal ? `p95 ≤ ${GOAL_P95_MS}` : "",
        r.goal ? verdict(r.p95 <= GOAL_P95_MS) : "",
      ]),
    ),
  );
  console.log("  srv CPU/req: user+system CPU of the console's process tree per request (for PostgreSQL, not counting the");
  console.log("  database server's own processes). Node runs the handlers on one thread, so with C clients waiting the mean");
  console.log("  latency cannot be below about C × CPU/req:");
  for (const r of latency.filter((x) => x.goal && x.cpuPerReq !== null)) {
    console.log(
      `    ${r.label}: ${r.concurrency} × ${r.cpuPerReq.toFixed(1)} ms ≈ ${(r.concurrency * r.cpuPerReq).toFixed(0)} ms floor; ` +
        `even a mean of ${GOAL_P95_MS} ms at ${r.concurrency} clients needs ≤ ${(GOAL_P95_MS / r.concurrency).toFixed(1)} ms of CPU per request`,
    );
  }
  if (pgSkipped) console.log(`  PostgreSQL: skipped: ${pgSkipped}`);
  console.log("");
  for (const n of notes) console.log(`Note: ${n}`);
  console.log(`Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main()
  .then(() => cleanup())
  .catch(async (err) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    process.exitCode = 1;
  });
