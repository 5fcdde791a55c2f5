// Log pipeline benchmark: `node bench/logs.mjs` (builds first when the production build is missing or stale).
//
// Against the built console (scripts/console-server.mjs, embedded PGlite on a temp data folder):
//   1. deploys a small app (generated into .slipway/bench-logs/app) that, when asked through the
//      router, prints `seq=<n> t=<ms since epoch> <padding>` lines to stdout for BENCH_SECONDS, either
//      as fast as it can or at a fixed rate;
//   2. a subscriber reads the live tail (`logs.watch`, SSE) from before the first line, and measures
//      print-to-subscriber latency from the time printed in each line (same machine, same clock);
//   3. prints, per round: lines printed, stored (received + skipped notices), lost (printed − stored,
//      and what the console said it dropped), stored lines/s, latency p50/p99 and the console's RSS
//      growth (VmRSS of the console process alone: the app runs in its own process).
// Rounds: BENCH_RATES (comma-separated lines/s; `max` = as fast as it can). Default: "10000,50000,max".
// It measures and prints; it never asserts (the exit code is 0 unless the bench itself broke).
//
// Environment (all optional):
//   BENCH_RATES     rounds, e.g. "50000" or "max" (default 10000,50000,max)
//   BENCH_SECONDS   printing time per round (default 10)      BENCH_LINE_BYTES  bytes per line (default 100)
//   BENCH_SUBSCRIBE=0  no live subscriber: measures the write path alone (no latency; stored = ids used)
//   BENCH_CPU_PROF  a folder: the console writes a V8 CPU profile (.cpuprofile) there when it exits
//   SLIPWAY_NEXT_DIST  Next's output folder (default .next); built there and served from there.
//
// Plain Node ESM. Everything it starts (console, instance, temp folders) is stopped and removed on exit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { URLSearchParams } from "node:url";
import { buildIfStale } from "../scripts/next-build.mjs";
import { CHATTY_HOST, CHATTY_SOURCE_ROOT, createChattyService, deployAndWait, subscribe, writeChattyApp } from "./lib/chatty-app.mjs";
import { makeTempDir } from "./lib/cleanup.mjs";
import { request, signIn as signInAs, startConsole as startNext, trpc } from "./lib/console-client.mjs";
import { freePort, killGroup, rssOf } from "./lib/processes.mjs";

const RATES = (process.env.BENCH_RATES || "10000,50000,max").split(",").map((r) => r.trim());
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const LINE_BYTES = Number(process.env.BENCH_LINE_BYTES || 100);
const SUBSCRIBE = process.env.BENCH_SUBSCRIBE !== "0";
const EMAIL = "bench@example.test";
const PASSWORD = "bench-password-1";

let console_ = null;

// ---------------------------------------------------------------------------------------------
// Processes and HTTP

async function startConsole() {
  const dir = makeTempDir("slipway-bench-logs");
  const routerPort = await freePort();
  // BENCH_CPU_PROF=<dir>: the console writes a V8 CPU profile there when it exits.
  const nodeArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const env = { SLIPWAY_DATA_DIR: path.join(dir, "data"), SLIPWAY_WORK_DIR: path.join(dir, "work"), SLIPWAY_ROUTER_PORT: String(routerPort), SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_SOURCE_ROOTS: CHATTY_SOURCE_ROOT };
  console_ = Object.assign(await startNext({ env, nodeArgs }), { routerPort });
  return console_;
}

const signIn = (server) => signInAs(server, { email: EMAIL, password: PASSWORD });

/**
 * Without a live subscriber: asks every 100 ms for the service's newest stored line (one index lookup;
 * the bench's own polling) until it is the round's last line. Only this service writes, so the ids
 * between the start and that line are the lines stored meanwhile. Returns { at, printed, stored }.
 */
async function waitStored(server, cookie, serviceId, round, startAfter) {
  for (;;) {
    const [newest] = (await trpc(server, cookie, "query", "logs.history", { serviceId, limit: 1 })).lines;
    const done = newest && new RegExp(`^r=${round} done printed=(\\d+)`).exec(newest.line);
    if (done) return { at: Date.now(), printed: Number(done[1]), stored: newest.id - startAfter - 1 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The console's own log counters from /metrics (loopback needs no token): ingested and dropped so far. */
async function logCounters(server) {
  const res = await request(server, "GET", "/metrics").catch(() => null);
  const value = (name) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(res?.body ?? "")?.[1] ?? NaN);
  return { ingested: value("slipway_log_lines_ingested_total"), dropped: value("slipway_log_lines_dropped_total") };
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------

async function main() {
  await buildIfStale();
  const appDir = writeChattyApp("bench-logs");

  const c = await startConsole();
  const cookie = await signIn(c);
  const { env, service } = await createChattyService(c, cookie, appDir);
  await deployAndWait(c, cookie, env.id, service.id);
  console.log(`console pid ${c.pid}, chatty deployed; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`rounds: ${RATES.join(", ")} lines/s for ${SECONDS} s each, ${LINE_BYTES}-byte lines\n`);

  const host = CHATTY_HOST;
  const rows = [];
  for (const [i, rate] of RATES.entries()) {
    const round = `R${i}`;
    const latencies = [];
    let received = 0;
    let skipped = 0;
    let skipNotices = 0;
    let droppedSaid = 0;
    let printed = null;
    let firstAt = null;
    let lastAt = null;
    let finish;
    const finished = new Promise((r) => (finish = r));
    const prefix = `r=${round} `;
    const onValue = (_id, v) => {
      if (v.type === "skipped") {
        skipped += v.count;
        skipNotices++;
        return;
      }
      for (const l of v.lines) onLine(l.line);
    };
    const onLine = (text) => {
      const now = Date.now();
      const dropped = /^\[slipway\] (\d+) log line\(s\) dropped/.exec(text);
      if (dropped) droppedSaid += Number(dropped[1]);
      if (!text.startsWith(prefix)) return;
      const done = /done printed=(\d+)/.exec(text);
      if (done) {
        printed = Number(done[1]);
        finish();
        return;
      }
      const t = Number(/ t=(\d+)/.exec(text)?.[1]);
      received++;
      firstAt ??= now;
      lastAt = now;
      latencies.push(now - t);
    };
    // BENCH_SUBSCRIBE=0: no live subscriber; the stored lines are found by reading history afterwards.
    const sub = SUBSCRIBE ? subscribe(c.port, cookie, "logs.watch", { serviceId: service.id, tail: 0 }, onValue) : { close() {} };
    const startedAt = Date.now();
    // The subscription is open once the console answers the request below on the same event loop; give
    // it its "connected" round trip first by asking for something cheap.
    await trpc(c, cookie, "query", "logs.history", { serviceId: service.id, limit: 1 });
    const counters0 = await logCounters(c);
    const startAfter = SUBSCRIBE ? 0 : ((await trpc(c, cookie, "query", "logs.history", { serviceId: service.id, limit: 1 })).lines[0]?.id ?? 0);
    const rss0 = rssOf(c.pid);
    let rssPeak = rss0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(c.pid))), 250);
    const q = new URLSearchParams({ rate, seconds: String(SECONDS), bytes: String(LINE_BYTES), round }).toString();
    const res = await request({ port: c.routerPort }, "GET", `/print?${q}`, { headers: { host } });
    if (res.status !== 200) throw new Error(`print request: HTTP ${res.status} ${res.body}`);
    // Wait for the app's last line (it comes after every printed line); if lines were lost the count says so.
    const guard = setTimeout(() => finish(), (SECONDS + 60) * 1000);
    let storedBy = null;
    let storedCount = null;
    if (!SUBSCRIBE)
      void waitStored(c, cookie, service.id, round, startAfter).then(
        (r) => {
          storedBy = r.at;
          storedCount = r.stored;
          printed = r.printed;
          finish();
        },
        () => finish(),
      );
    await finished;
    clearTimeout(guard);
    // The done line may have been dropped with the others: ask the app what it printed.
    if (printed === null) {
      const count = await request({ port: c.routerPort }, "GET", `/count?round=${round}`, { headers: { host } }).catch(() => null);
      if (count?.status === 200 && /^\d+$/.test(count.body)) printed = Number(count.body);
    }
    clearInterval(sampler);
    sub.close();
    const rss1 = rssOf(c.pid);
    const counters1 = await logCounters(c);
    latencies.sort((a, b) => a - b);
    // Without a subscriber: ids between the round's start and its last line (drop notices included).
    const stored = SUBSCRIBE ? received + skipped : (storedCount ?? NaN);
    // Without a subscriber, "seen" times are when the read-back found them: measure from the print request.
    const secs = SUBSCRIBE ? (firstAt !== null && lastAt > firstAt ? (lastAt - firstAt) / 1000 : NaN) : ((storedBy ?? NaN) - startedAt) / 1000;
    const row = {
      rate,
      printed,
      printedPerS: printed === null ? NaN : Math.round(printed / SECONDS),
      storedPerS: Math.round(stored / secs),
      received,
      skipped,
      skipNotices,
      lost: printed === null ? "?" : printed - stored,
      droppedSaid,
      ingested: counters1.ingested - counters0.ingested,
      droppedCounted: counters1.dropped - counters0.dropped,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: latencies.at(-1),
      rss: `${mb(rss0)} → peak ${mb(rssPeak)} → ${mb(rss1)}`,
    };
    rows.push(row);
    console.log(
      `${String(rate).padStart(6)} lines/s asked: printed ${printed} (${row.printedPerS}/s), stored+seen ${stored} (${row.storedPerS}/s), lost ${row.lost} ` +
        `(console counted ingested ${row.ingested}, dropped ${row.droppedCounted}; said dropped ${droppedSaid} in the log; subscriber skipped ${skipped} in ${skipNotices} notice(s)), latency p50 ${row.p50} ms p99 ${row.p99} ms max ${row.max} ms, console RSS ${row.rss}`,
    );
  }
  console.log("\nsummary");
  console.table(rows);
  // Let it exit on its own (a CPU profile is written at exit).
  killGroup(c.pid, "SIGTERM");
  for (let i = 0; i < 100 && fs.existsSync(`/proc/${c.pid}`); i++) await new Promise((r) => setTimeout(r, 100));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err.stack ?? err);
    if (console_) console.error(console_.output().slice(-3000));
    process.exit(1);
  },
);
