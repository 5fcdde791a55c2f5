// Metrics storage benchmark: `node bench/metrics.mjs`.
//
// Loads BENCH_DAYS (default 7) days of 10 s samples for BENCH_SERVICES (default 50) services into a
// real PGlite database on disk (and into a fresh PostgreSQL database too when TEST_DATABASE_URL is
// set), through Slipway's own storage code: writeSamples for the raw rows, the same combine() the
// sampler's minute rollup uses, and rollup() for the hours. Hours go back 30 days (the hour tier is
// what a 30-day chart reads), so the 30-day query reads as much as it would in production. Then it
// times querySeries (the function behind metrics.service) for 30 d, 7 d, 24 h and 1 h ranges,
// BENCH_QUERIES times each on random services, and prints p50 / p95 / max. The goal is a 30-day query
// p95 ≤ 100 ms. It measures and prints; it never asserts.
//
// The TypeScript sources are loaded through Vite's SSR loader (shipped with vitest), with the same
// aliases as the tests. Environment (all optional):
//   BENCH_SERVICES (50)  BENCH_DAYS (7)  BENCH_QUERIES (40)  TEST_DATABASE_URL (also run on PostgreSQL)
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createViteServer } from "vitest/node";

const ROOT = path.resolve(import.meta.dirname, "..");
const SERVICES = Number(process.env.BENCH_SERVICES ?? 50);
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 40);
const STEP_MS = 10_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const HOUR_DAYS = 30;

const vite = await createViteServer({
  configFile: false,
  root: ROOT,
  logLevel: "error",
  appType: "custom",
  server: { middlewareMode: true, hmr: false, ws: false },
  optimizeDeps: { noDiscovery: true, include: [] },
  resolve: { alias: { "@": ROOT, "server-only": path.join(ROOT, "tests/support/server-only-stub.ts") } },
});
const load = (p) => vite.ssrLoadModule(p);
const { openDb } = await load("/db/client.ts");
const schema = await load("/db/schema/index.ts");
const { writeSamples, rollup } = await load("/server/metrics/metric-store.ts");
const { combine, emptyLatency } = await load("/server/metrics/sample-math.ts");
const { querySeries } = await load("/server/metrics/query-series.ts");

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (n) => `${n.toFixed(1)} ms`;

/** A day-shaped, slightly noisy traffic curve, so rows are not all alike. */
function rawSample(serviceId, t, i) {
  const phase = Math.sin((t / DAY) * 2 * Math.PI + i);
  const requests = Math.max(0, Math.round(50 + 40 * phase + Math.random() * 10));
  const latency = emptyLatency();
  latency[3] = Math.round(requests * 0.6);
  latency[6] = Math.round(requests * 0.3);
  latency[12] = requests - latency[3] - latency[6];
  const cpu = 5 + 4 * phase + Math.random();
  const rss = 80e6 + 10e6 * phase;
  return {
    serviceId,
    tier: 0,
    bucketStart: new Date(t),
    seconds: STEP_MS / 1000,
    cpu,
    cpuMax: cpu,
    rss,
    rssMax: rss,
    instances: 1,
    restarts: 0,
    requests,
    status4xx: requests > 80 ? 1 : 0,
    status5xx: 0,
    latency,
    latencyMaxMs: 50,
    perInstance: [{ id: `inst-${i}`, cpu, rss }],
  };
}

async function seed(db) {
  const [org] = await db.insert(schema.organizations).values({ name: "bench", slug: `bench-${crypto.randomBytes(3).toString("hex")}` }).returning();
  const [project] = await db.insert(schema.projects).values({ orgId: org.id, name: "shop" }).returning();
  const [env] = await db.insert(schema.environments).values({ projectId: project.id, name: "staging", mode: "staging" }).returning();
  const rows = Array.from({ length: SERVICES }, (_, i) => ({ environmentId: env.id, name: `svc-${i}`, type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080, instances: { min: 1, max: 1 } } }));
  return db.insert(schema.services).values(rows).returning({ id: schema.services.id });
}

async function fill(db, services, now) {
  const end = Math.floor(now / HOUR) * HOUR;
  const start = end - DAYS * DAY;
  let raw = 0;
  let minutes = 0;
  const t0 = performance.now();
  for (const [i, { id }] of services.entries()) {
    const rows = [];
    const minuteRows = [];
    for (let m = start; m < end; m += MIN) {
      const inMinute = [];
      for (let t = m; t < m + MIN; t += STEP_MS) inMinute.push(rawSample(id, t, i));
      rows.push(...inMinute);
      minuteRows.push({ serviceId: id, tier: 1, bucketStart: new Date(m), ...combine(inMinute), perInstance: null });
    }
    await writeSamples(db, rows, 2_000);
    await writeSamples(db, minuteRows, 2_000);
    raw += rows.length;
    minutes += minuteRows.length;
    if ((i + 1) % 10 === 0 || i === services.length - 1) process.stdout.write(`  ${i + 1}/${services.length} services, ${raw} raw rows, ${((performance.now() - t0) / 1000).toFixed(0)} s\r`);
  }
  const insertS = (performance.now() - t0) / 1000;
  process.stdout.write("\n");
  // Hours the way the sampler makes them: rollup() over the closed hour's minute rows.
  const t1 = performance.now();
  const ids = services.map((s) => s.id);
  for (let h = start; h < end; h += HOUR) await rollup(db, { serviceIds: ids, to: 2, start: h });
  const rollupS = (performance.now() - t1) / 1000;
  // Older hours (days 8–30), so a 30-day chart reads 30 days of hour rows.
  const older = [];
  for (const { id } of services) {
    for (let h = end - HOUR_DAYS * DAY; h < start; h += HOUR) {
      const r = rawSample(id, h, 0);
      older.push({ ...r, tier: 2, seconds: 3600, requests: r.requests * 360, latency: r.latency.map((n) => n * 360), status4xx: r.status4xx * 360, perInstance: null });
    }
  }
  await writeSamples(db, older, 2_000);
  return { raw, minutes, hours: (DAYS * 24 + older.length / services.length) * services.length, insertS, rollupS };
}

async function timeQueries(db, services, now) {
  const out = [];
  for (const [label, span] of [["30 d", 30 * DAY], ["7 d", 7 * DAY], ["24 h", DAY], ["1 h", HOUR]]) {
    const times = [];
    let points = 0;
    // One untimed warm-up (plans, caches), as a long-running console would be.
    await querySeries(db, { serviceId: services[0].id, from: now - span, to: now, now });
    for (let q = 0; q < QUERIES; q++) {
      const { id } = services[Math.floor(Math.random() * services.length)];
      const t = performance.now();
      const s = await querySeries(db, { serviceId: id, from: now - span, to: now, now });
      times.push(performance.now() - t);
      points = Math.max(points, s.points.length);
    }
    times.sort((a, b) => a - b);
    out.push({ label, p50: pct(times, 50), p95: pct(times, 95), max: times.at(-1), points });
  }
  return out;
}

async function run(kind, open) {
  console.log(`\n== ${kind}: ${SERVICES} services × ${DAYS} days of ${STEP_MS / 1000} s samples (+ hour rows back to ${HOUR_DAYS} days)`);
  const { handle, cleanup } = await open();
  try {
    const now = Date.now();
    const services = await seed(handle.db);
    const f = await fill(handle.db, services, now);
    console.log(`  stored ${f.raw} raw + ${f.minutes} minute rows in ${f.insertS.toFixed(1)} s (${Math.round((f.raw + f.minutes) / f.insertS)} rows/s); ${f.hours} hour rows, hour rollups ${f.rollupS.toFixed(1)} s`);
    for (const q of await timeQueries(handle.db, services, now)) {
      console.log(`  query ${q.label.padEnd(5)} p50 ${ms(q.p50).padStart(9)}  p95 ${ms(q.p95).padStart(9)}  max ${ms(q.max).padStart(9)}  (${q.points} points)${q.label === "30 d" ? `  goal p95 ≤ 100 ms: ${q.p95 <= 100 ? "met" : "MISSED"}` : ""}`);
    }
  } finally {
    await handle.close();
    await cleanup();
  }
}

try {
  console.log(`metrics bench on ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  await run("PGlite (on disk)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-metrics-bench-"));
    return { handle: await openDb({ dataDir: dir }), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  });
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    await run("PostgreSQL", async () => {
      const { default: pg } = await import("pg");
      const name = `slipway_bench_${crypto.randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        handle: await openDb({ databaseUrl: url.toString() }),
        cleanup: async () => {
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          await c.query(`drop database if exists ${name} with (force)`);
          await c.end();
        },
      };
    });
  }
} finally {
  await vite.close();
}
